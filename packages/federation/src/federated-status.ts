/**
 * Federated health: a hub's status (its upstreams and their states) together with, for each peer
 * upstream, the peer's own status as the peer reports it at its `/status` route — fetched with
 * the caller's credentials (a peer token), cached briefly, with a timeout, to a bounded depth and
 * never revisiting a hub already on the way (the `trail`).
 */
import { DEFAULT_MAX_HOPS, HubIdSchema, readBodyBytes } from '@fedmcp/protocol';
import * as z from 'zod';
import type { UpstreamStatus } from './hub-options.js';
import type { UpstreamState } from './upstream.js';

/** The path of a hub's status document. */
export const HUB_STATUS_PATH = '/status';

/** What a hub says about one of its upstreams. */
export interface HubStatusUpstream {
  id: string;
  /** `peer` for another hub, `server` for an MCP server. */
  kind: 'server' | 'peer';
  state: UpstreamState;
  /** Tools exposed from it (0 while it is not available). */
  tools: number;
  /** The last connection or health error. */
  error?: string;
  /** For a peer, what the peer reports about itself (absent when the depth ran out). */
  peer?: PeerStatusReport;
}

/** A peer's status as it reported it, or why there is none. */
export type PeerStatusReport =
  | { reachable: true; status: HubStatus }
  | { reachable: false; error: string }
  /** Not fetched: the peer is already on the trail of this status request (a peering loop). */
  | { reachable: 'skipped'; reason: string };

/** A hub's status document (`GET /status`). */
export interface HubStatus {
  hub: { id: string; name: string; version: string };
  /** `ready` when every upstream is ready. */
  status: 'ready' | 'degraded';
  upstreams: HubStatusUpstream[];
}

/** Which part of the federation a status request covers. */
export interface HubStatusRequest {
  /**
   * Levels of peers to include: 0 is this hub only, 1 adds each peer's own status, 2 its peers'
   * too… Capped at `maxDepth`.
   * @default 1
   */
  depth?: number;
  /** Hubs this request already went through (callers first); their status is not fetched again. */
  trail?: readonly string[];
}

/** How to reach one peer's status. */
export interface PeerStatusTarget {
  /** The peer's base URL (`https://eu.example.com`); `/status` is appended. */
  url: string;
  /** A fetch that authenticates to the peer (a peer token fetch). */
  fetch: typeof fetch;
}

/** Options of {@link createFederatedStatus}. */
export interface FederatedStatusOptions {
  /** This hub's id, name and version. */
  hub(): { id: string; name: string; version: string };
  /** The upstreams and their states (`hub.upstreams.list()`). */
  upstreams(): ReadonlyArray<Pick<UpstreamStatus, 'id' | 'state' | 'tools' | 'error'>>;
  /** How to reach the peer behind an upstream; `undefined` when the upstream is not a peer. */
  peer(upstreamId: string): PeerStatusTarget | undefined;
  /** Largest depth served (the hub's max hops). @default 4 */
  maxDepth?: number;
  /** Timeout of one peer status fetch. @default 3000 */
  timeoutMs?: number;
  /** How long a peer's answer is reused. @default 5000 */
  cacheMs?: number;
  /** Largest peer answer read, in bytes. @default 1048576 */
  maxResponseBytes?: number;
  /** The clock. @default Date.now */
  now?: () => number;
}

/** A hub's federated status. See {@link createFederatedStatus}. */
export interface FederatedStatus {
  /** This hub's status with its peers' own statuses to `request.depth` levels. */
  status(request?: HubStatusRequest): Promise<HubStatus>;
  /** Forgets cached peer answers. */
  clear(): void;
}

const UPSTREAM_STATES = ['connecting', 'ready', 'degraded', 'down', 'closed'] as const;
const Text = z.string().max(2000);

const HubStatusSchema: z.ZodType<HubStatus> = z.lazy(() =>
  z.object({
    hub: z.object({ id: HubIdSchema, name: Text, version: Text }),
    status: z.enum(['ready', 'degraded']),
    upstreams: z
      .array(
        z.object({
          id: z.string().max(64),
          kind: z.enum(['server', 'peer']),
          state: z.enum(UPSTREAM_STATES),
          tools: z.int().min(0),
          error: Text.optional(),
          peer: z
            .union([
              z.object({ reachable: z.literal(true), status: HubStatusSchema }),
              z.object({ reachable: z.literal(false), error: Text }),
              z.object({ reachable: z.literal('skipped'), reason: Text }),
            ])
            .optional(),
        }),
      )
      .max(1000),
  }),
) as z.ZodType<HubStatus>;

/**
 * Reads a status request from a `/status` URL's query: `depth` (an integer, default 1) and
 * `trail` (comma-separated hub ids).
 * @throws {Error} naming the parameter when one is malformed.
 */
export function parseHubStatusQuery(url: URL): HubStatusRequest {
  const request: HubStatusRequest = {};
  const depth = url.searchParams.get('depth');
  if (depth !== null) {
    if (!/^\d{1,2}$/.test(depth)) throw new Error('depth must be a non-negative integer');
    request.depth = Number(depth);
  }
  const trail = url.searchParams.get('trail');
  if (trail !== null && trail !== '') {
    const hubs = trail.split(',');
    if (hubs.length > 32 || !hubs.every((hub) => HubIdSchema.safeParse(hub).success)) {
      throw new Error('trail must be up to 32 comma-separated hub ids');
    }
    request.trail = hubs;
  }
  return request;
}

/** The `/status` URL of a peer for a request. */
export function hubStatusUrl(baseUrl: string, request: HubStatusRequest = {}): string {
  const url = new URL(baseUrl);
  url.pathname = `${url.pathname.replace(/\/mcp\/?$/, '').replace(/\/$/, '')}${HUB_STATUS_PATH}`;
  url.search = '';
  url.hash = '';
  if (request.depth !== undefined) url.searchParams.set('depth', String(request.depth));
  if (request.trail && request.trail.length > 0) {
    url.searchParams.set('trail', request.trail.join(','));
  }
  return url.href;
}

async function readLimited(response: Response, limit: number): Promise<string> {
  const bytes = await readBodyBytes(response, limit);
  if (bytes === undefined) throw new Error(`status answer larger than ${limit} bytes`);
  return new TextDecoder().decode(bytes);
}

/**
 * Creates a hub's federated status: what {@link HubStatus} a hub's `/status` route answers and
 * `fedmcp status` prints. Peer answers are fetched concurrently, each with a timeout, cached for
 * `cacheMs` (concurrent requests share one fetch), validated, and a peer that cannot be reached or
 * answers badly is reported `reachable: false` with the reason. A peer on the request's trail
 * (or this hub itself) is not asked again, so peering loops end.
 *
 * @example
 * ```ts
 * const federated = createFederatedStatus({
 *   hub: () => ({ id: 'home', name: 'home', version: '0.1.0' }),
 *   upstreams: () => hub.upstreams.list(),
 *   peer: (id) => (id === 'eu' ? { url: 'https://eu.example.com', fetch: peerFetch } : undefined),
 * });
 * const status = await federated.status({ depth: 1 });
 * ```
 */
export function createFederatedStatus(options: FederatedStatusOptions): FederatedStatus {
  const now = options.now ?? Date.now;
  const maxDepth = options.maxDepth ?? DEFAULT_MAX_HOPS;
  const timeoutMs = options.timeoutMs ?? 3000;
  const cacheMs = options.cacheMs ?? 5000;
  const maxResponseBytes = options.maxResponseBytes ?? 1_048_576;
  const cache = new Map<string, { at: number; report: Promise<PeerStatusReport> }>();

  const fetchReport = async (
    id: string,
    target: PeerStatusTarget,
    request: Required<HubStatusRequest>,
  ): Promise<PeerStatusReport> => {
    try {
      const response = await target.fetch(hubStatusUrl(target.url, request), {
        method: 'GET',
        headers: { accept: 'application/json' },
        signal: AbortSignal.timeout(timeoutMs),
      });
      const text = await readLimited(response, maxResponseBytes);
      if (!response.ok) {
        const reason = /^[\x20-\x7e]{1,200}$/.test(text) ? `: ${text}` : '';
        return { reachable: false, error: `HTTP ${response.status}${reason}` };
      }
      const parsed = HubStatusSchema.safeParse(JSON.parse(text));
      if (!parsed.success) return { reachable: false, error: 'invalid status document' };
      if (parsed.data.hub.id !== id) {
        return {
          reachable: false,
          error: `the peer reports hub id "${parsed.data.hub.id}", expected "${id}"`,
        };
      }
      return { reachable: true, status: parsed.data };
    } catch (error) {
      const name = (error as { name?: unknown }).name;
      if (name === 'TimeoutError' || name === 'AbortError') {
        return { reachable: false, error: `no answer within ${timeoutMs} ms` };
      }
      const cause = (error as { cause?: { code?: unknown; message?: unknown } }).cause;
      const detail = typeof cause?.code === 'string' ? ` (${cause.code})` : '';
      return {
        reachable: false,
        error: `${error instanceof Error ? error.message : String(error)}${detail}`,
      };
    }
  };

  const peerReport = (
    id: string,
    target: PeerStatusTarget,
    request: Required<HubStatusRequest>,
  ): Promise<PeerStatusReport> => {
    const key = `${id}\u0000${request.depth}\u0000${request.trail.join(',')}`;
    const cached = cache.get(key);
    if (cached && now() - cached.at < cacheMs) return cached.report;
    if (cache.size >= 1000) cache.clear();
    const report = fetchReport(id, target, request);
    cache.set(key, { at: now(), report });
    return report;
  };

  return {
    async status(request = {}) {
      const hub = options.hub();
      const depth = Math.max(0, Math.min(request.depth ?? 1, maxDepth));
      const trail = [...(request.trail ?? [])];
      const visited = new Set([...trail, hub.id]);
      // A request that comes back to a hub on its trail gets this hub's own upstreams only.
      const looped = trail.includes(hub.id);
      const upstreams = await Promise.all(
        options.upstreams().map(async (upstream): Promise<HubStatusUpstream> => {
          const target = options.peer(upstream.id);
          const entry: HubStatusUpstream = {
            id: upstream.id,
            kind: target ? 'peer' : 'server',
            state: upstream.state,
            tools: upstream.tools,
            ...(upstream.error ? { error: upstream.error } : {}),
          };
          if (!target || depth === 0 || looped) return entry;
          if (visited.has(upstream.id)) {
            entry.peer = {
              reachable: 'skipped',
              reason: `hub "${upstream.id}" is already on this status request's trail`,
            };
            return entry;
          }
          entry.peer = await peerReport(upstream.id, target, {
            depth: depth - 1,
            trail: [...trail, hub.id],
          });
          return entry;
        }),
      );
      return {
        hub,
        status: upstreams.every((upstream) => upstream.state === 'ready') ? 'ready' : 'degraded',
        upstreams,
      };
    },
    clear() {
      cache.clear();
    },
  };
}
