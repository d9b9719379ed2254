/**
 * Finds an issuer's key set URL from its metadata: OpenID Connect Discovery
 * (`<issuer>/.well-known/openid-configuration`) first, then OAuth 2.0 Authorization Server
 * Metadata (RFC 8414 §3.1: `<origin>/.well-known/oauth-authorization-server<issuer path>`). The
 * document must name the same issuer (RFC 8414 §3.3), or it is ignored.
 */
import { FedmcpError } from '@fedmcp/protocol';
import { readLimitedText } from './read-limited-text.js';

/** Options of {@link discoverJwksUri}. */
export interface DiscoverJwksUriOptions {
  /** The fetch to use. @default globalThis.fetch */
  fetch?: typeof fetch;
  /** Abort each request after this long. @default 5000 */
  timeoutMs?: number;
}

function isLoopback(url: URL): boolean {
  return (
    url.hostname === 'localhost' ||
    url.hostname === '[::1]' ||
    /^127(\.\d{1,3}){3}$/.test(url.hostname)
  );
}

/** The metadata URLs tried for `issuer`, in order. */
export function issuerMetadataUrls(issuer: string): string[] {
  const url = new URL(issuer);
  const path = url.pathname.replace(/\/$/, '');
  return [
    `${url.origin}${path}/.well-known/openid-configuration`,
    `${url.origin}/.well-known/oauth-authorization-server${path}`,
  ];
}

/**
 * Discovers the `jwks_uri` of an issuer.
 *
 * @throws {FedmcpError} `UPSTREAM_UNAVAILABLE` when no metadata document names this issuer and a
 * usable `jwks_uri` (https, or http on loopback).
 */
export function discoverJwksUri(
  issuer: string,
  options: DiscoverJwksUriOptions = {},
): Promise<string> {
  return discoverIssuerEndpoint(issuer, 'jwks_uri', { ...options, hint: 'set jwksUri' });
}

/**
 * Discovers an endpoint named in an issuer's metadata (`jwks_uri`, `introspection_endpoint`…).
 *
 * @throws {FedmcpError} `UPSTREAM_UNAVAILABLE` when no metadata document names this issuer and a
 * usable URL in `field` (https, or http on loopback); the message ends with `options.hint`.
 */
export async function discoverIssuerEndpoint(
  issuer: string,
  field: string,
  options: DiscoverJwksUriOptions & { hint: string },
): Promise<string> {
  const fetchImplementation = options.fetch ?? globalThis.fetch;
  const problems: string[] = [];
  for (const candidate of issuerMetadataUrls(issuer)) {
    try {
      const response = await fetchImplementation(candidate, {
        headers: { accept: 'application/json' },
        redirect: 'manual',
        signal: AbortSignal.timeout(options.timeoutMs ?? 5_000),
      });
      if (response.status !== 200) {
        await response.body?.cancel();
        problems.push(`${candidate} answered HTTP ${response.status}`);
        continue;
      }
      const metadata = JSON.parse(await readLimitedText(response, 1_048_576)) as Record<
        string,
        unknown
      >;
      if (metadata.issuer !== issuer) {
        problems.push(`${candidate} names another issuer`);
        continue;
      }
      const value = metadata[field];
      if (typeof value !== 'string' || !URL.canParse(value)) {
        problems.push(`${candidate} has no ${field}`);
        continue;
      }
      const endpoint = new URL(value);
      if (
        endpoint.protocol !== 'https:' &&
        !(endpoint.protocol === 'http:' && isLoopback(endpoint))
      ) {
        problems.push(`${candidate} gives a ${field} that is not https`);
        continue;
      }
      return endpoint.href;
    } catch (cause) {
      problems.push(
        `${candidate} failed (${cause instanceof Error ? cause.message : String(cause)})`,
      );
    }
  }
  const what = field === 'jwks_uri' ? 'the key set' : `the ${field}`;
  throw new FedmcpError(
    'UPSTREAM_UNAVAILABLE',
    `Cannot discover ${what} of issuer ${issuer}: ${problems.join('; ')}. Check the issuer URL or ${options.hint}.`,
  );
}
