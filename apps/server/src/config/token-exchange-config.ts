/**
 * The `tokenExchange` key of a remote `mcpServers` entry: per-user upstream credentials by OAuth
 * 2.0 Token Exchange (RFC 8693). With `"isolation": "per-principal"`, each caller's connection
 * carries the token the configured authorization server issues for the upstream in exchange for
 * the caller's own OAuth access token (which goes to that token endpoint only).
 */

import { canonicalJson } from '@fedmcp/protocol';
import type { TokenExchange } from '@fedmcp/proxy-auth';
import { createTokenExchange } from '@fedmcp/proxy-auth';
import { z } from 'zod';

const oneOrMore = z.union([
  z.string().min(1, { error: 'expected a non-empty string' }),
  z.array(z.string().min(1), { error: 'expected a string or a list of strings' }).min(1),
]);

/** `mcpServers.<name>.tokenExchange`. */
export const tokenExchangeConfigSchema = z
  .object(
    {
      /** The authorization server's token endpoint (https; http on loopback only). */
      tokenEndpoint: z.url({ error: 'expected the token endpoint URL' }).refine(
        (value) => {
          const url = new URL(value);
          const loopback = ['localhost', '127.0.0.1', '[::1]'].includes(url.hostname);
          return url.protocol === 'https:' || (url.protocol === 'http:' && loopback);
        },
        { error: 'expected an https URL (http only on loopback): callers’ tokens are sent there' },
      ),
      /** The hub's client id at the authorization server. */
      clientId: z.string({ error: 'expected the hub’s client id' }).min(1),
      /** The hub's client secret; use a `${secret:NAME}` reference. */
      clientSecret: z.string().min(1).optional(),
      clientAuthMethod: z
        .enum(['client_secret_basic', 'client_secret_post'], {
          error: 'expected "client_secret_basic" or "client_secret_post"',
        })
        .optional(),
      /** RFC 8693 `audience` of the upstream token. */
      audience: oneOrMore.optional(),
      /** RFC 8693 / RFC 8707 `resource`: @default the upstream's URL */
      resource: oneOrMore.optional(),
      scope: oneOrMore.optional(),
      requestedTokenType: z.string().min(1).optional(),
    },
    { error: 'expected { "tokenEndpoint": "https://…", "clientId": "…", … }' },
  )
  .strict();

/** A parsed `tokenExchange` block. */
export type TokenExchangeConfig = z.infer<typeof tokenExchangeConfigSchema>;

/** The upstreams with a `tokenExchange` block, as `upstreamsFromConfig` lists them. */
interface ConfiguredTokenExchange {
  name: string;
  spec: unknown;
  tokenExchange?: TokenExchangeConfig;
}

/**
 * The `exchangeFor` of the hub's token-exchange connector over the configured upstreams (read
 * on each connect, so a reload applies): one exchange per upstream URL and block, kept while the
 * block is unchanged so callers' tokens stay cached across reloads.
 */
export function createConfiguredTokenExchanges(
  configured: () => Iterable<ConfiguredTokenExchange>,
  options: { fetch?: typeof fetch } = {},
): (spec: { url: string }) => TokenExchange | undefined {
  const exchanges = new Map<string, { key: string; exchange: TokenExchange }>();
  return (spec) => {
    for (const upstream of configured()) {
      const url = (upstream.spec as { url?: unknown }).url;
      const config = upstream.tokenExchange;
      if (!config || url !== spec.url) continue;
      const key = canonicalJson(config);
      const held = exchanges.get(spec.url);
      if (held?.key === key) return held.exchange;
      const exchange = createTokenExchange({
        tokenEndpoint: config.tokenEndpoint,
        clientId: config.clientId,
        resource: config.resource ?? spec.url,
        configPath: `mcpServers.${upstream.name}.tokenExchange`,
        ...(config.clientSecret !== undefined && { clientSecret: config.clientSecret }),
        ...(config.clientAuthMethod && { clientAuthMethod: config.clientAuthMethod }),
        ...(config.audience !== undefined && { audience: config.audience }),
        ...(config.scope !== undefined && { scope: config.scope }),
        ...(config.requestedTokenType && { requestedTokenType: config.requestedTokenType }),
        ...(options.fetch && { fetch: options.fetch }),
      });
      exchanges.set(spec.url, { key, exchange });
      return exchange;
    }
    return undefined;
  };
}
