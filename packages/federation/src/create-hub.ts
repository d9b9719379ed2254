import {
  canonicalJson,
  DEFAULT_MAX_HOPS,
  FEDMCP_VERSION,
  type FedmcpError,
  type Logger,
  silentLogger,
} from '@fedmcp/protocol';
import type { Implementation, Server, ServerEventBus } from '@modelcontextprotocol/server';
import type { CatalogGuard, QuarantinedItem } from './catalog-guard.js';
import { connectRemoteUpstream } from './connect-remote-upstream.js';
import { hubError } from './errors.js';
import { createFastRequest, type FastRequestHandler } from './handlers/fast-path.js';
import type { HubAccess } from './hub-access.js';
import { createHubSessionServer, type HubSessionContext } from './hub-session.js';
import { createHubServices } from './services/hub-services.js';
import type { UpstreamStateChange } from './services/upstream-events.js';
import { isValidId } from './services/upstream-set.js';
import type { Upstream, UpstreamState } from './upstream.js';
import type { UpstreamConnector, UpstreamOptions, UpstreamSpec } from './upstream-options.js';

/** An upstream entry of {@link HubOptions.upstreams}: where it lives plus how to treat it. */
export type UpstreamConfig = UpstreamSpec & UpstreamOptions;

/** Options of {@link createHub}. */
export interface HubOptions {
  /** Identity announced to downstream clients. @default { name: 'fedmcp', version: FEDMCP_VERSION } */
  serverInfo?: Implementation;
  /** Identity announced to upstream servers. @default { name: 'fedmcp', version: FEDMCP_VERSION } */
  clientInfo?: Implementation;
  /** Instructions returned to downstream clients at initialize. */
  instructions?: string;
  /** Upstreams to register at start, by id (`[a-z0-9][a-z0-9-]{0,31}`). @default {} */
  upstreams?: Record<string, UpstreamConfig>;
  /**
   * Opens an upstream connection. @default remote upstreams only (Streamable HTTP / SSE); the
   * `@fedmcp/federation/node` entry's `createHub` adds stdio.
   */
  connect?: UpstreamConnector;
  /** Per-call timeout in ms, reset by progress. @default 60_000 */
  timeoutMs?: number;
  /** Timeout of an upstream handshake in ms. @default 30_000 */
  connectTimeoutMs?: number;
  /** Interval of upstream health pings in ms; 0 turns them off. @default 30_000 */
  healthIntervalMs?: number;
  /** Timeout of one health ping in ms. @default 10_000 */
  healthTimeoutMs?: number;
  /** First reconnection delay in ms (doubles per attempt, with jitter). @default 500 */
  reconnectBaseMs?: number;
  /** Longest reconnection delay in ms. @default 30_000 */
  reconnectMaxMs?: number;
  /** Consecutive failures (timeouts, closed connections, failed pings) that open the circuit. @default 3 */
  failureThreshold?: number;
  /** Extra upstream connections idle this long (ms) are closed. @default 60_000 */
  idleConnectionMs?: number;
  /** How long an interactive call waits for the client's answers, in ms. @default 600_000 */
  roundTimeoutMs?: number;
  /** Items per page of the hub's list results. @default 500 */
  pageSize?: number;
  /** Debounce of downstream list_changed notifications in ms. @default 50 */
  listChangedDebounceMs?: number;
  /** `'open'`: a down upstream is left out; `'closed'`: requests fail while one is down. @default 'open' */
  failureMode?: 'open' | 'closed';
  /**
   * HMAC key (≥ 32 bytes) signing the `requestState` of interactive calls; share it between
   * replicas. @default a random per-process key
   */
  requestStateKey?: string | Uint8Array;
  /** Change-event bus for 2026-07-28 `subscriptions/listen` streams (pass it to `createMcpHandler`). @default in-process */
  bus?: ServerEventBus;
  /** pino-shaped logger. @default silent */
  logger?: Logger;
  /**
   * Relay plain tools/calls of 2025-era clients that can answer no questions as raw JSON-RPC
   * (see {@link Hub.fastRequest}). @default true
   */
  fastPath?: boolean;
  /**
   * Who sees and may use what: list filtering, a check before every forwarded request (policy,
   * rate limits, consent) and a record of each (audit). See `createPolicyAccess`. @default open
   */
  access?: HubAccess;
  /**
   * Reviews upstream tools and prompts before they are exposed (definition pinning: see
   * `createToolPinning`); held-back items are hidden and their calls refused. @default none
   */
  catalogGuard?: CatalogGuard;
  /**
   * This hub's id (`[a-z0-9][a-z0-9-]{0,31}`) in federation `_meta`: with it, every forwarded
   * request carries the hop trail (`io.fedmcp/hops`, this hub appended), the end user
   * (`io.fedmcp/onBehalfOf`) and a child trace span; a request whose trail already holds this hub
   * or reaches `maxHops` is refused; exposed tools and prompts carry their origin path
   * (`io.fedmcp/origin`) and what originated at this hub is not re-imported through a peer.
   * A function is asked each time (for an id known only once the hub listens).
   * @default none (no federation `_meta`)
   */
  hubId?: string | (() => string | undefined);
  /** The most hubs a request may cross, this one included. @default 4 */
  maxHops?: number;
}

/** An upstream as reported by {@link Hub.upstreams}. */
export interface UpstreamStatus {
  id: string;
  state: UpstreamState;
  spec: UpstreamSpec;
  prefix: string | false;
  era: 'legacy' | 'modern' | undefined;
  connections: number;
  tools: number;
  error?: string;
}

/** The runtime upstream registry of a hub. */
export interface UpstreamRegistry {
  /**
   * Registers and connects an upstream. Resolves once the first connection attempt settled
   * (`ready`, or `down` and retrying in the background).
   * @throws FedmcpError INVALID_CONFIG for a duplicate or malformed id, or a name collision (the
   * upstream is then removed again).
   */
  add(id: string, spec: UpstreamSpec, options?: UpstreamOptions): Promise<UpstreamStatus>;
  /** Closes and unregisters an upstream; its tools are withdrawn with list_changed. */
  remove(id: string): Promise<void>;
  /** Replaces an upstream's spec and options (remove + add), keeping downstream sessions. */
  replace(id: string, spec: UpstreamSpec, options?: UpstreamOptions): Promise<UpstreamStatus>;
  /** Every upstream with its state, in registration order. */
  list(): UpstreamStatus[];
  /**
   * Reconciles the registry with a desired set of upstreams (a reloaded config): removes the
   * ones not in `desired`, adds the new ones and replaces those whose config changed (compared
   * as canonical JSON), keeping downstream sessions.
   * @returns the ids added, removed and changed, in that order of application.
   * @throws FedmcpError INVALID_CONFIG as {@link UpstreamRegistry.add} does; what was applied
   * before the failing entry stays applied.
   */
  sync(desired: Record<string, UpstreamConfig>): Promise<UpstreamSyncResult>;
}

/** What {@link UpstreamRegistry.sync} changed. */
export interface UpstreamSyncResult {
  added: string[];
  removed: string[];
  changed: string[];
}

/** A federation hub. See {@link createHub}. */
export interface Hub extends AsyncDisposable {
  /**
   * Builds the downstream MCP server for one session (2025 era) or one request (2026-07-28):
   * the `createServer` of `createMcpHttpHost`, `serveStdio` or an SDK `createMcpHandler`.
   */
  createServer(context?: HubSessionContext): Server;
  /**
   * The forwarding fast path, for the `fastRequest` option of `createMcpHttpHost`: answers a
   * plain tools/call of a 2025-era session as raw JSON-RPC, or declines (`undefined`).
   */
  readonly fastRequest: FastRequestHandler;
  /** The upstream registry. */
  readonly upstreams: UpstreamRegistry;
  /** Connects the configured upstreams. @throws FedmcpError INVALID_CONFIG on a name collision. */
  start(): Promise<void>;
  /** Subscribes to upstream state changes; returns the unsubscribe function. */
  onUpstreamStateChange(listener: (change: UpstreamStateChange) => void): () => void;
  /** The change-event bus feeding 2026-07-28 listen streams. */
  readonly bus: ServerEventBus;
  /**
   * The access hook's decisions may have changed (a policy reload): sessions whose view of a list
   * changed get that list's list_changed.
   */
  refreshAccess(): void;
  /** Tools and prompts the catalog guard holds back, by exposed name. */
  quarantined(): Array<QuarantinedItem & { upstream: string; exposedName: string }>;
  /** Closes every upstream connection (no orphaned stdio children). */
  close(): Promise<void>;
}

const DEFAULT_INFO: Implementation = { name: 'fedmcp', version: FEDMCP_VERSION };

function splitConfig(config: UpstreamConfig): { spec: UpstreamSpec; options: UpstreamOptions } {
  const { prefix, isolation, maxConnections, timeoutMs, failureMode, tools, ...spec } = config;
  const options: UpstreamOptions = {};
  if (prefix !== undefined) options.prefix = prefix;
  if (isolation !== undefined) options.isolation = isolation;
  if (maxConnections !== undefined) options.maxConnections = maxConnections;
  if (timeoutMs !== undefined) options.timeoutMs = timeoutMs;
  if (failureMode !== undefined) options.failureMode = failureMode;
  if (tools !== undefined) options.tools = tools;
  return { spec: spec as UpstreamSpec, options };
}

function statusOf(upstream: Upstream): UpstreamStatus {
  const result: UpstreamStatus = {
    id: upstream.id,
    state: upstream.state,
    spec: upstream.spec,
    prefix: upstream.prefix,
    era: upstream.era,
    connections: upstream.connections.length,
    tools: upstream.available ? upstream.tools.length : 0,
  };
  if (upstream.lastError) result.error = upstream.lastError;
  return result;
}

/**
 * Creates a federation hub: one MCP server in front of many upstream MCP servers, forwarding
 * every feature (tools, prompts, resources, completions, logging, subscriptions, list_changed,
 * progress, cancellation, sampling, elicitation, roots, tasks) in both protocol eras.
 *
 * @example
 * ```ts
 * import { createHub } from '@fedmcp/federation/node';
 * const hub = createHub({ upstreams: { everything: { command: 'npx', args: ['@modelcontextprotocol/server-everything'] } } });
 * await hub.start();
 * const host = createMcpHttpHost({ createServer: hub.createServer, fastRequest: hub.fastRequest });
 * ```
 */
export function createHub(options: HubOptions = {}): Hub {
  const hubId = () => {
    const id = typeof options.hubId === 'function' ? options.hubId() : options.hubId;
    if (id !== undefined && !isValidId(id)) {
      throw hubError(
        'INVALID_CONFIG',
        `Invalid hub id "${id}": use 1-32 of a-z, 0-9 and -, starting with a letter or digit.`,
      );
    }
    return id;
  };
  hubId(); // a malformed fixed id fails here, not on the first request
  const services = createHubServices({
    serverInfo: options.serverInfo ?? DEFAULT_INFO,
    clientInfo: options.clientInfo ?? DEFAULT_INFO,
    instructions: options.instructions,
    timings: {
      timeoutMs: options.timeoutMs ?? 60_000,
      connectTimeoutMs: options.connectTimeoutMs ?? 30_000,
      healthIntervalMs: options.healthIntervalMs ?? 30_000,
      healthTimeoutMs: options.healthTimeoutMs ?? 10_000,
      reconnectBaseMs: options.reconnectBaseMs ?? 500,
      reconnectMaxMs: options.reconnectMaxMs ?? 30_000,
      failureThreshold: options.failureThreshold ?? 3,
      idleConnectionMs: options.idleConnectionMs ?? 60_000,
    },
    roundTimeoutMs: options.roundTimeoutMs ?? 600_000,
    pageSize: options.pageSize ?? 500,
    listChangedDebounceMs: options.listChangedDebounceMs ?? 50,
    failureMode: options.failureMode ?? 'open',
    connector: options.connect ?? connectRemoteUpstream,
    logger: options.logger ?? silentLogger,
    bus: options.bus,
    requestStateKey: options.requestStateKey,
    access: options.access,
    guard: options.catalogGuard,
    hubId,
    maxHops: options.maxHops ?? DEFAULT_MAX_HOPS,
    fastPath: options.fastPath ?? true,
  });
  const { upstreams: set, catalog, events } = services;

  const collisionError = (id: string): FedmcpError | undefined => {
    const collision = catalog.current.collisions.find((entry) => entry.upstreams.includes(id));
    if (!collision) return undefined;
    const [first, second] = collision.upstreams;
    return hubError(
      'INVALID_CONFIG',
      `Upstreams "${first}" and "${second}" both expose the ${collision.kind} "${collision.name}"; give one of them a prefix.`,
      { ...collision },
    );
  };

  /** The config each registered upstream was added with, as canonical JSON (for `sync`). */
  const appliedConfigs = new Map<string, string>();
  const configKey = (spec: UpstreamSpec, upstreamOptions: UpstreamOptions = {}) =>
    canonicalJson({ ...spec, ...upstreamOptions });
  const register = (id: string, spec: UpstreamSpec, upstreamOptions: UpstreamOptions = {}) => {
    const upstream = set.register(id, spec, upstreamOptions, events);
    appliedConfigs.set(id, configKey(spec, upstreamOptions));
    return upstream;
  };
  const remove = async (id: string): Promise<void> => {
    const upstream = set.delete(id);
    if (!upstream) return;
    appliedConfigs.delete(id);
    await upstream.close();
    catalog.rebuild();
  };

  const upstreams: UpstreamRegistry = {
    async add(id, spec, upstreamOptions) {
      const upstream = register(id, spec, upstreamOptions);
      await upstream.start();
      await catalog.reviewsSettled();
      const collision = collisionError(id);
      if (collision) {
        await remove(id);
        throw collision;
      }
      return statusOf(upstream);
    },
    remove,
    async replace(id, spec, upstreamOptions) {
      await remove(id);
      return upstreams.add(id, spec, upstreamOptions);
    },
    list: () => set.list().map(statusOf),
    async sync(desired) {
      const result: UpstreamSyncResult = { added: [], removed: [], changed: [] };
      for (const id of set.ids()) {
        if (desired[id] !== undefined) continue;
        await remove(id);
        result.removed.push(id);
      }
      for (const [id, config] of Object.entries(desired)) {
        const { spec, options: upstreamOptions } = splitConfig(config);
        const applied = appliedConfigs.get(id);
        if (applied === undefined) {
          await upstreams.add(id, spec, upstreamOptions);
          result.added.push(id);
        } else if (applied !== configKey(spec, upstreamOptions)) {
          await upstreams.replace(id, spec, upstreamOptions);
          result.changed.push(id);
        }
      }
      return result;
    },
  };

  const configured = Object.entries(options.upstreams ?? {}).map(([id, config]) => {
    const { spec, options: upstreamOptions } = splitConfig(config);
    return register(id, spec, upstreamOptions);
  });

  const close = () => services.close();
  return {
    createServer: (context?: HubSessionContext) => createHubSessionServer(services, context),
    fastRequest: createFastRequest(services),
    upstreams,
    async start() {
      await Promise.all(configured.map((upstream) => upstream.start()));
      await catalog.reviewsSettled();
      for (const upstream of configured) {
        const collision = collisionError(upstream.id);
        if (collision) throw collision;
      }
    },
    onUpstreamStateChange: (listener) => events.onUpstreamStateChange(listener),
    bus: services.bus,
    refreshAccess: () => services.notifications.accessChanged(),
    quarantined: () =>
      [...catalog.current.quarantined].map(([name, route]) => ({
        ...route.item,
        exposedName: name,
        name: route.item.name,
        upstream: route.upstream.id,
      })),
    close,
    [Symbol.asyncDispose]: close,
  };
}
