/**
 * The OAuth side of the client under test: for each `auth/*` scenario of the official client
 * suite (0.1.16), the hub's upstream OAuth client (`createUpstreamOAuthProvider` +
 * `withUpstreamOAuth` of `@fedmcp/proxy-auth`, wired by `createOAuthUpstreamConnector` of
 * `@fedmcp/federation`) configured as an operator would configure the upstream's `oauth` block,
 * from the credentials the runner passes in `MCP_CONFORMANCE_CONTEXT`.
 */
import type { UpstreamOAuthBinding } from '@fedmcp/federation';
import {
  type AuthorizeUpstream,
  createMemoryOAuthCredentialStore,
  createUpstreamOAuthProvider,
  oauthCredentialKey,
  type UpstreamOAuthConfigInput,
  upstreamOAuthConfigSchema,
} from '@fedmcp/proxy-auth';

/** The `auth/*` scenarios the hub's OAuth client must pass (core, back-compat, extensions). */
export const AUTH_CLIENT_SCENARIOS = [
  'auth/metadata-default',
  'auth/metadata-var1',
  'auth/metadata-var2',
  'auth/metadata-var3',
  'auth/basic-cimd',
  'auth/scope-from-www-authenticate',
  'auth/scope-from-scopes-supported',
  'auth/scope-omitted-when-undefined',
  'auth/scope-step-up',
  'auth/scope-retry-limit',
  'auth/token-endpoint-auth-basic',
  'auth/token-endpoint-auth-post',
  'auth/token-endpoint-auth-none',
  'auth/pre-registration',
  'auth/2025-03-26-oauth-metadata-backcompat',
  'auth/2025-03-26-oauth-endpoint-fallback',
  'auth/client-credentials-jwt',
  'auth/client-credentials-basic',
] as const;

/** The redirect URI the suite's authorization server redirects to (nothing listens there). */
const REDIRECT_URL = 'http://localhost:3000/callback';
/** An https client metadata document URL, used as the client id where the server takes CIMD. */
const CLIENT_METADATA_URL = 'https://conformance-test.local/client-metadata.json';

/**
 * The suite's authorization endpoint approves at once with a redirect carrying the code: this
 * plays the user's browser, reading the code off the `Location` header.
 */
export const followAuthorizationRedirect: AuthorizeUpstream = async (authorizationUrl) => {
  const response = await fetch(authorizationUrl, { redirect: 'manual' });
  await response.body?.cancel();
  const location = response.headers.get('location');
  if (!location)
    throw new Error(`The authorization endpoint did not redirect (${response.status})`);
  const query = new URL(location).searchParams;
  const code = query.get('code');
  if (!code) throw new Error(`The authorization redirect has no code: ${query.get('error')}`);
  const state = query.get('state');
  const iss = query.get('iss');
  return { code, ...(state !== null && { state }), ...(iss !== null && { iss }) };
};

/** The upstream `oauth` block an operator would write for the scenario. */
export function oauthConfigFor(scenario: string, context: Record<string, unknown>) {
  const text = (name: string) => {
    const value = context[name];
    if (typeof value !== 'string') throw new Error(`MCP_CONFORMANCE_CONTEXT has no "${name}"`);
    return value;
  };
  let config: UpstreamOAuthConfigInput = { mode: 'hub', clientMetadataUrl: CLIENT_METADATA_URL };
  if (scenario === 'auth/pre-registration') {
    config = { mode: 'hub', clientId: text('client_id'), clientSecret: text('client_secret') };
  } else if (scenario === 'auth/client-credentials-basic') {
    config = {
      mode: 'hub',
      grant: 'client_credentials',
      clientId: text('client_id'),
      clientSecret: text('client_secret'),
      tokenEndpointAuthMethod: 'client_secret_basic',
    };
  } else if (scenario === 'auth/client-credentials-jwt') {
    const algorithm = context.signing_algorithm;
    config = {
      mode: 'hub',
      grant: 'client_credentials',
      clientId: text('client_id'),
      tokenEndpointAuthMethod: 'private_key_jwt',
      privateKey: text('private_key_pem'),
      ...(typeof algorithm === 'string' && { signingAlgorithm: algorithm }),
    };
  }
  return upstreamOAuthConfigSchema.parse(config);
}

/** The OAuth binding of the scenario's upstream: a fresh hub-wide holder, in memory. */
export function oauthBindingFor(
  scenario: string,
  context: Record<string, unknown>,
): UpstreamOAuthBinding {
  const config = oauthConfigFor(scenario, context);
  const provider = createUpstreamOAuthProvider({
    config,
    store: createMemoryOAuthCredentialStore(),
    key: oauthCredentialKey('conformance', 'hub'),
    redirectUrl: REDIRECT_URL,
    clientName: 'fedmcp-conformance-client',
  });
  return { provider, authorize: followAuthorizationRedirect };
}
