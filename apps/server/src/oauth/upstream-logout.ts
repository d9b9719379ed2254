/**
 * `fedmcp auth logout [--subject S] <upstream>`: forgets the tokens of one holder at an
 * OAuth-protected upstream (the hub's, or one caller's with `"mode": "user"`), in the hub's store.
 * Providers read the tokens from the store on each use, so a running hub (any replica on the same
 * store) stops using them on its next request to that upstream: a user is asked to sign in again.
 * When the authorization server advertises a revocation endpoint (RFC 7009), the tokens are
 * revoked there first, so the grant ends at the server too.
 */
import { FedmcpError } from '@fedmcp/protocol';
import { type AuditLog, oauthCredentialKey, revokeUpstreamTokens } from '@fedmcp/proxy-auth';
import type { KeyValueStore } from '@fedmcp/store';
import type { FetchLike } from '@modelcontextprotocol/client';
import type { FedmcpConfig } from '../config/config-schema.js';
import { upstreamsFromConfig } from '../upstreams-from-config.js';
import { oauthUpstreamsOf, openOAuthCredentialStore } from './hub-upstream-oauth.js';

/** Options of {@link logoutUpstream}. */
export interface LogoutUpstreamOptions {
  /** The hub's config, secrets resolved. */
  config: FedmcpConfig;
  /** The upstream id (its `mcpServers` key). */
  upstreamId: string;
  /** The caller whose tokens go (`"mode": "user"`); omitted for the hub's own (`"mode": "hub"`). */
  subject?: string;
  /** The caller's issuer (an OAuth principal's `iss`); omitted for API-key and mTLS callers. */
  issuer?: string;
  /** The hub's key/value store. */
  kv: Pick<KeyValueStore, 'get' | 'set' | 'delete'>;
  /** The credential key file (`<dataDir>/oauth-credentials.key`). */
  keyFile: string;
  /** Where the revocation is recorded. */
  audit?: Pick<AuditLog, 'record'>;
  /** The fetch of the revocation request. @default globalThis.fetch */
  fetch?: FetchLike;
}

/**
 * Deletes one holder's stored tokens for an upstream.
 *
 * @returns whether tokens were stored.
 * @throws FedmcpError INVALID_CONFIG when the upstream has no `oauth` block, or the subject does
 * not fit its mode.
 */
export async function logoutUpstream(options: LogoutUpstreamOptions): Promise<boolean> {
  const { upstreamId, subject, issuer } = options;
  if (issuer !== undefined && subject === undefined) {
    throw new FedmcpError('INVALID_CONFIG', '--issuer names the issuer of a --subject: add one.');
  }
  const upstream = oauthUpstreamsOf(upstreamsFromConfig(options.config)).find(
    (candidate) => candidate.id === upstreamId,
  );
  if (!upstream) {
    throw new FedmcpError('INVALID_CONFIG', `mcpServers.${upstreamId} has no "oauth" block.`);
  }
  if (upstream.oauth.mode === 'user' && subject === undefined) {
    throw new FedmcpError(
      'INVALID_CONFIG',
      `mcpServers.${upstreamId}.oauth has "mode": "user": name whose tokens to forget with --subject.`,
    );
  }
  if (upstream.oauth.mode === 'hub' && subject !== undefined) {
    throw new FedmcpError(
      'INVALID_CONFIG',
      `mcpServers.${upstreamId}.oauth has "mode": "hub" (one token for the hub): drop --subject.`,
    );
  }
  const store = await openOAuthCredentialStore(options.kv, options.keyFile);
  const key = oauthCredentialKey(
    upstream.id,
    subject === undefined ? 'hub' : { subject, ...(issuer !== undefined && { issuer }) },
  );
  // Authenticated at the revocation endpoint as at the token endpoint (RFC 7009 §2.1).
  const revoked = await revokeUpstreamTokens(await store.load(key).catch(() => undefined), {
    config: upstream.oauth,
    ...(options.fetch && { fetch: options.fetch }),
  });
  const deleted = await store.delete(key);
  if (deleted) {
    await options.audit?.record({
      type: 'auth',
      outcome: 'revoked',
      action: 'oauth.logout',
      upstream: upstream.id,
      details: { atAuthorizationServer: revoked },
      ...(subject !== undefined && {
        principal: {
          subject,
          ...(issuer !== undefined && { issuer }),
          authMethod: 'oauth',
        },
      }),
    });
  }
  return deleted;
}
