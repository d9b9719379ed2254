/**
 * What every handler of one downstream session works with: the hub's services, the session,
 * and who it serves (for the federation `_meta` and the access hook).
 */
import type { ClientCapabilities, ServerContext } from '@modelcontextprotocol/server';
import type { Caller } from '../pipeline/forward.js';
import {
  downstreamLogLevel,
  droppedClaims,
  type FederationContext,
  federationMeta,
  type PrincipalLike,
  stripDownstreamMeta,
  withUpstreamLogLevel,
} from '../pipeline/meta.js';
import type { HubServices } from '../services/hub-services.js';
import type { HubSession } from '../services/session-registry.js';

/** The scope of one session's handlers; see the file comment. */
export interface SessionScope {
  readonly services: HubServices;
  readonly session: HubSession;
  readonly federation: FederationContext;
}

/** Builds the scope of a session. */
export function createSessionScope(services: HubServices, session: HubSession): SessionScope {
  return {
    services,
    session,
    federation: {
      hubId: services.settings.hubId(),
      maxHops: services.settings.maxHops,
      principal: (session.principal ?? undefined) as PrincipalLike | undefined,
    },
  };
}

/** The capabilities of the client behind a request, in either era. */
export function clientCapabilities(ctx: ServerContext, session: HubSession): ClientCapabilities {
  return (
    ((ctx.mcpReq.envelope as Record<string, unknown> | undefined)?.[
      'io.modelcontextprotocol/clientCapabilities'
    ] as ClientCapabilities | undefined) ??
    session.server.getClientCapabilities() ??
    {}
  );
}

/** The caller of a request, as the gate sees it. */
export function callerOf(scope: SessionScope, ctx: ServerContext): Caller {
  return {
    principal: scope.session.principal,
    capabilities: clientCapabilities(ctx, scope.session),
  };
}

/** The `_meta` keys of a request that the hub drops (for the audit record), as an access field. */
export function claimsDropped(scope: SessionScope, meta: unknown): { droppedClaims?: string[] } {
  const dropped = droppedClaims(stripDownstreamMeta(meta).meta, scope.federation);
  return dropped ? { droppedClaims: dropped } : {};
}

/** The `_meta` a request carries upstream: the client's own keys out, this hub's in. */
export function outgoingMeta(
  scope: SessionScope,
  meta: unknown,
): Record<string, unknown> | undefined {
  return federationMeta(stripDownstreamMeta(meta).meta, scope.federation);
}

/** Params for an upstream, with the client's log level stamped for a 2026-07-28 upstream. */
export function withClientLogLevel(
  scope: SessionScope,
  upstream: { era: 'legacy' | 'modern' | undefined },
  params: Record<string, unknown>,
  ctx: ServerContext,
): Record<string, unknown> {
  if (upstream.era !== 'modern') return params;
  const { services, session } = scope;
  const level = downstreamLogLevel(ctx, session.era, services.notifications.logLevelOf(session));
  return withUpstreamLogLevel(upstream.era, params, level);
}

/**
 * Whose own upstream connection a call of this session uses, per the upstream's isolation:
 * the session's (`per-session`, 2025-era sessions), the caller's (`per-principal`, any era),
 * or none (shared connections).
 */
export function connectionOwner(
  scope: SessionScope,
  upstream: { options: { isolation?: string } },
): object | undefined {
  const isolation = upstream.options.isolation;
  if (isolation === 'per-session' && scope.session.era === 'legacy') return scope.session;
  if (isolation === 'per-principal')
    return scope.services.principals.ownerOf(scope.session.principal);
  return undefined;
}

/**
 * The lease of a plain (non-interactive) request on the caller's own connection, when the
 * upstream isolates callers: a prompt, read or completion must carry the caller's credentials
 * (per-user OAuth tokens, token exchange) as its tool calls do, never the shared connection's.
 * `{}` for shared upstreams (the request goes on the primary connection).
 */
export function callerLease(
  scope: SessionScope,
  upstream: { options: { isolation?: string } },
): { lease?: { interactive: false; owner: object } } {
  const owner = connectionOwner(scope, upstream);
  return owner ? { lease: { interactive: false, owner } } : {};
}
