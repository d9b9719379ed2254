/**
 * How the hub authenticates as an OAuth client at its upstream's authorization server: the same
 * at the token endpoint (the SDK's `auth()`) and at the revocation endpoint (RFC 7009 §2.1 — "the
 * client also includes its authentication credentials as described in Section 2.3 of RFC 6749").
 */
import {
  type AddClientAuthentication,
  type AuthorizationServerMetadata,
  type OAuthClientInformationMixed,
  selectClientAuthMethod,
} from '@modelcontextprotocol/client';
import { importPKCS8, SignJWT } from 'jose';
import type { UpstreamOAuthConfig } from './upstream-oauth-config.js';

/** The parts of an upstream's `oauth` block that say how the hub authenticates. */
export type ClientAuthenticationConfig = Pick<
  UpstreamOAuthConfig,
  'clientId' | 'clientSecret' | 'tokenEndpointAuthMethod' | 'privateKey' | 'signingAlgorithm'
>;

/** How long a client assertion is valid. */
const ASSERTION_LIFETIME_SECONDS = 300;

/**
 * The `private_key_jwt` authentication (RFC 7523 §2.2) of a pre-registered client whose config
 * says so: a signed assertion (`iss` and `sub` the client id, `aud` the authorization server's
 * issuer, else the endpoint's URL; 5 minutes; a fresh `jti`). What the SDK's
 * `createPrivateKeyJwtAuth` makes, signed with jose's named exports: the SDK imports the whole of
 * jose (37 KB more in the edge hub's bundle, whose limit is 1 MiB).
 */
export function privateKeyJwtAuthentication(
  config: ClientAuthenticationConfig,
): AddClientAuthentication | undefined {
  const { clientId, privateKey } = config;
  if (config.tokenEndpointAuthMethod !== 'private_key_jwt' || !privateKey || !clientId) {
    return undefined;
  }
  const alg = config.signingAlgorithm ?? 'ES256';
  let key: Promise<CryptoKey | Uint8Array> | undefined;
  return async (_headers, params, url, metadata) => {
    // An HMAC algorithm takes the configured string as its secret, as the SDK does.
    key ??= alg.startsWith('HS')
      ? Promise.resolve(new TextEncoder().encode(privateKey))
      : importPKCS8(privateKey, alg);
    const now = Math.floor(Date.now() / 1000);
    const assertion = await new SignJWT({})
      .setProtectedHeader({ alg, typ: 'JWT' })
      .setIssuer(clientId)
      .setSubject(clientId)
      .setAudience(String(metadata?.issuer ?? url))
      .setIssuedAt(now)
      .setExpirationTime(now + ASSERTION_LIFETIME_SECONDS)
      .setJti(crypto.randomUUID())
      .sign(await key);
    params.set('client_assertion', assertion);
    params.set('client_assertion_type', 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer');
  };
}

/**
 * Adds the client's authentication to a request to `endpoint` (a form body `params`), as the
 * SDK does at the token endpoint: `private_key_jwt` from config, else the method the
 * registration names if the server supports it, else `client_secret_basic`, `client_secret_post`
 * or `none` by what the server's `token_endpoint_auth_methods_supported` lists.
 */
export async function addClientAuthentication(
  request: { headers: Headers; params: URLSearchParams; endpoint: string },
  client: OAuthClientInformationMixed,
  metadata: AuthorizationServerMetadata | undefined,
  config: ClientAuthenticationConfig = {},
): Promise<void> {
  const { headers, params, endpoint } = request;
  const signed = privateKeyJwtAuthentication(config);
  if (signed) {
    await signed(headers, params, endpoint, metadata);
    return;
  }
  const registered = (client as { token_endpoint_auth_method?: unknown })
    .token_endpoint_auth_method;
  if (registered === 'private_key_jwt') {
    throw new Error(
      'The client authenticates with private_key_jwt, but the config names no privateKey.',
    );
  }
  const secret = client.client_secret ?? config.clientSecret;
  const method = selectClientAuthMethod(
    { ...client, ...(secret !== undefined && { client_secret: secret }) },
    metadata?.token_endpoint_auth_methods_supported ?? [],
  );
  if (method === 'client_secret_basic' && secret !== undefined) {
    // RFC 6749 §2.3.1: both parts form-encoded before base64.
    const user = encodeURIComponent(client.client_id);
    headers.set('authorization', `Basic ${btoa(`${user}:${encodeURIComponent(secret)}`)}`);
    return;
  }
  params.set('client_id', client.client_id);
  if (method === 'client_secret_post' && secret !== undefined) params.set('client_secret', secret);
}
