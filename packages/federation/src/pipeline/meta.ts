/**
 * Stage 2 of the pipeline — the `_meta` of a request as it goes upstream, in pure functions:
 * the downstream's own keys out (its progress token, the era envelope), this hub's federation
 * keys in (the hop trail with this hub added, the end user it is made for, a child span of its
 * trace), and a 2026-07-28 upstream's per-request log level. Only a peer hub's trail is taken,
 * and it is checked first: it must be the delegation chain the peer's verified token names, and
 * a request that would revisit this hub or exceed max hops is refused. Any other caller's claimed
 * trail or end user is dropped.
 */
import {
  checkHopTrail,
  HOP_TRAIL_META_KEY,
  ON_BEHALF_OF_META_KEY,
  readHopTrail,
  withChildSpan,
} from '@fedmcp/protocol';
import type { LoggingLevel, ServerContext } from '@modelcontextprotocol/server';
import { hubError } from '../errors.js';

type Params = Record<string, unknown>;

const RESERVED_META_PREFIX = 'io.modelcontextprotocol/';
/** The 2026-07-28 envelope key of a request's log level. */
export const LOG_LEVEL_KEY = 'io.modelcontextprotocol/logLevel';

/** What the hub reads of a principal: the fields of `@fedmcp/proxy-auth`'s `Principal`. */
export interface PrincipalLike {
  subject?: unknown;
  issuer?: unknown;
  authMethod?: unknown;
  via?: unknown;
}

/** Who a principal is, for comparing the principals of two requests. */
export function principalKey(principal: unknown): string {
  const { subject, issuer, authMethod, via } = (principal ?? {}) as PrincipalLike;
  return JSON.stringify([subject, issuer, authMethod, via]);
}

/** Strips the downstream's progress token and era envelope keys from `_meta` (notes §6.2). */
export function stripDownstreamMeta(meta: unknown): {
  meta: Params | undefined;
  progressToken: unknown;
} {
  if (!meta || typeof meta !== 'object') return { meta: undefined, progressToken: undefined };
  // One pass over the keys (no rest pattern, entries array or second count): every request with
  // a `_meta` (a peer hub's always has one) comes through here.
  const source = meta as Params;
  let kept: Params | undefined;
  for (const key of Object.keys(source)) {
    if (key === 'progressToken' || key.startsWith(RESERVED_META_PREFIX)) continue;
    kept ??= {};
    kept[key] = source[key];
  }
  return { meta: kept, progressToken: source.progressToken };
}

/**
 * A server→client request's params as the hub relays them to its client: without the upstream's
 * `_meta.progressToken`. That token names the request on the upstream's own leg (SDK servers set
 * one on every question they send a 2025-era client); the hub relays no progress a client sends
 * about a question back upstream, so it does not invite any, and a client's progress for it
 * would reach the hub under a token the hub never issued. The other `_meta` keys pass.
 */
export function withoutQuestionProgressToken(params: Params): Params {
  const meta = params._meta;
  if (!meta || typeof meta !== 'object' || !('progressToken' in meta)) return params;
  const { progressToken: _upstreamToken, ...kept } = meta as Params;
  const { _meta: _dropped, ...rest } = params;
  return Object.keys(kept).length === 0 ? rest : { ...rest, _meta: kept };
}

/** Who is asking and through which hub: the inputs of {@link federationMeta}. */
export interface FederationContext {
  /** This hub's id; undefined = not a federated hub. */
  hubId: string | undefined;
  maxHops: number;
  principal: PrincipalLike | undefined;
}

function sameTrail(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((hub, index) => hub === b[index]);
}

/**
 * The federation `_meta` of a request forwarded upstream (see the file comment).
 * @throws FedmcpError LOOP_DETECTED / INVALID_REQUEST for a trail that must not go on.
 */
export function federationMeta(
  meta: Params | undefined,
  context: FederationContext,
): Params | undefined {
  const { hubId, maxHops, principal } = context;
  if (hubId === undefined) {
    // Not a federated hub: the trail passes as it is, but who the request is for is never the
    // client's claim.
    if (!meta || !(ON_BEHALF_OF_META_KEY in meta)) return meta;
    const { [ON_BEHALF_OF_META_KEY]: _claimed, ...rest } = meta;
    return rest;
  }
  const peerVia =
    principal?.authMethod === 'peer' && Array.isArray(principal.via)
      ? (principal.via as string[])
      : undefined;
  // The hub writes the trail: only a peer hub's trail (checked against its token) is taken;
  // what any other caller claims is dropped (see `droppedClaims`).
  const trail = principal?.authMethod === 'peer' ? readHopTrail(meta) : [];
  if (peerVia) {
    const chain = [...peerVia].reverse();
    if (!sameTrail(trail, chain)) {
      throw hubError(
        'INVALID_REQUEST',
        `The hop trail [${trail.join(', ')}] does not match the delegation chain of the peer token [${chain.join(', ')}]; the request is refused.`,
        { hopTrail: trail, delegation: chain },
      );
    }
  }
  checkHopTrail(trail, { selfId: hubId, maxHops });
  const next: Params = withChildSpan(meta);
  next[HOP_TRAIL_META_KEY] = [...trail, hubId];
  if (typeof principal?.subject === 'string' && principal.subject !== '') {
    // `via` is the delegation this hub verified (a peer's token), never the claimed trail: a
    // peer token minted from it names only hubs that really carried the request.
    next[ON_BEHALF_OF_META_KEY] = {
      subject: principal.subject,
      ...(typeof principal.issuer === 'string' && principal.issuer !== ''
        ? { issuer: principal.issuer }
        : {}),
      ...(peerVia && peerVia.length > 0 ? { via: peerVia } : {}),
    };
  } else {
    delete next[ON_BEHALF_OF_META_KEY];
  }
  return next;
}

/**
 * The federation `_meta` keys a request carries that its caller may not write and the hub drops:
 * the hop trail of a caller that is not a peer hub (at a federated hub), and an on-behalf-of
 * claim of a caller that is not a peer hub. For the audit record.
 */
export function droppedClaims(
  meta: Params | undefined,
  context: FederationContext,
): string[] | undefined {
  if (!meta || context.principal?.authMethod === 'peer') return undefined;
  const dropped: string[] = [];
  if (context.hubId !== undefined && HOP_TRAIL_META_KEY in meta) dropped.push(HOP_TRAIL_META_KEY);
  if (ON_BEHALF_OF_META_KEY in meta) dropped.push(ON_BEHALF_OF_META_KEY);
  return dropped.length > 0 ? dropped : undefined;
}

/**
 * The log level of the client behind a request: per request in 2026-07-28 (`_meta` envelope;
 * absent = no log messages), per session in 2025 (`logging/setLevel`; a session that never set
 * one has none: MCP 2025-11-25 leaves what to send to the server then, and the hub asks upstreams
 * for no logs, so a plain call stays plain JSON down a chain of hubs).
 */
export function downstreamLogLevel(
  ctx: ServerContext,
  era: 'legacy' | 'modern',
  sessionLevel: LoggingLevel | undefined,
): LoggingLevel | undefined {
  const envelope = ctx.mcpReq.envelope as Params | undefined;
  if (envelope !== undefined || era === 'modern') {
    return envelope?.[LOG_LEVEL_KEY] as LoggingLevel | undefined;
  }
  return sessionLevel;
}

/** 2026-07-28 upstreams log per request: stamps the client's level (absent = silent). */
export function withUpstreamLogLevel(
  upstreamEra: 'legacy' | 'modern' | undefined,
  params: Params,
  level: LoggingLevel | undefined,
): Params {
  if (upstreamEra !== 'modern' || level === undefined) return params;
  return { ...params, _meta: { ...(params._meta as Params | undefined), [LOG_LEVEL_KEY]: level } };
}
