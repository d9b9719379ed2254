/**
 * Token revocation at an upstream's authorization server (RFC 7009), for a logout: the refresh
 * token — whose revocation also ends the access tokens of its grant (RFC 7009 §2.1; servers
 * that issue JWT access tokens often cannot revoke those alone) — or, without one, the access
 * token is sent to the `revocation_endpoint` the server's metadata advertises (RFC 8414 §2), with
 * the client's own authentication. Servers that advertise none are left alone: the hub forgets the tokens anyway.
 */
import type { AuthorizationServerMetadata, FetchLike } from '@modelcontextprotocol/client';
import {
  addClientAuthentication,
  type ClientAuthenticationConfig,
} from './client-authentication.js';
import type { OAuthCredentials } from './oauth-credential-store.js';

/** Options of {@link revokeUpstreamTokens}. */
export interface RevokeUpstreamTokensOptions {
  /**
   * The upstream's `oauth` block (or its client authentication part): the hub authenticates at
   * the revocation endpoint as at the token endpoint (RFC 7009 §2.1) — `private_key_jwt` with
   * its key, a pre-registered client's secret.
   */
  config?: ClientAuthenticationConfig;
  /** The pre-registered client secret when the stored registration has none (from config). */
  clientSecret?: string;
  /** @default globalThis.fetch */
  fetch?: FetchLike;
}

/**
 * Revokes the stored tokens of one holder where the authorization server supports it.
 *
 * @returns `'revoked'` when the server accepted the revocation, `'unsupported'` when it
 * advertises no revocation endpoint (or nothing is stored), `'failed'` when it refused one or
 * could not be reached (the caller forgets the tokens anyway; the message never carries a token).
 */
export async function revokeUpstreamTokens(
  credentials: OAuthCredentials | undefined,
  options: RevokeUpstreamTokensOptions = {},
): Promise<'revoked' | 'unsupported' | 'failed'> {
  const metadata = credentials?.discoveryState?.authorizationServerMetadata as
    | AuthorizationServerMetadata
    | undefined;
  const endpoint = (metadata as { revocation_endpoint?: unknown } | undefined)?.revocation_endpoint;
  const tokens = credentials?.tokens;
  const client = credentials?.clientInformation;
  if (typeof endpoint !== 'string' || !tokens || !client) return 'unsupported';
  const fetch = options.fetch ?? ((url, init) => globalThis.fetch(url, init));
  const config: ClientAuthenticationConfig = {
    ...options.config,
    ...(options.clientSecret !== undefined && { clientSecret: options.clientSecret }),
  };
  const revoke = async (token: string, hint: string) => {
    const params = new URLSearchParams({ token, token_type_hint: hint });
    const headers = new Headers({
      'content-type': 'application/x-www-form-urlencoded',
      accept: 'application/json',
    });
    await addClientAuthentication({ headers, params, endpoint }, client, metadata, config);
    const response = await fetch(endpoint, { method: 'POST', headers, body: params });
    await response.body?.cancel();
    // RFC 7009 §2.2: 200 also for a token that was already invalid.
    return response.ok;
  };
  try {
    const revoked = tokens.refresh_token
      ? await revoke(tokens.refresh_token, 'refresh_token')
      : await revoke(tokens.access_token, 'access_token');
    return revoked ? 'revoked' : 'failed';
  } catch {
    return 'failed';
  }
}
