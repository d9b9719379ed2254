import { DEFAULT_MAX_HOPS, isValidNamespacePrefix } from '@fedmcp/protocol';
import type { Implementation, Server, ServerEventBus } from '@modelcontextprotocol/server';
import type { CatalogGuard, QuarantinedItem } from './catalog-guard.js';
import { connectRemoteUpstream } from './connect-remote-upstream.js';
import type { HubAccess } from './hub-access.js';
import { HubCore, type UpstreamStateChange } from './hub-core.js';
import { HubError } from './hub-error.js';
import { createHubSessionServer, type HubSessionContext } from './hub-session.js';
import { type Logger, silentLogger } from './logger.js';
import { canonicalJson } from './pinning/definition-digest.js';
import { Upstream, type UpstreamState } from './upstream.js';
import type { UpstreamConnector, UpstreamOptions, UpstreamSpec } from './upstream-options.js';

/** An upstream entry of {@link HubOptions.upstreams}: where it lives plus how to treat it. */
export type UpstreamConfig = UpstreamSpec & UpstreamOptions;

/** Options of {@link createHub}. */
export interface HubOptions {
  /** Identity announced to downstream clients. @default { name: 'fedmcp', version: '0.1.0' } */
  serverInfo?: Implementation;
  /** Identity announced to upstream servers. @default { name: 'fedmcp', version: '0.1.0' } */
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
   * @throws HubError INVALID_CONFIG for a duplicate or malformed id, or a name collision (the
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
   * @throws HubError INVALID_CONFIG as {@link UpstreamRegistry.add} does; what was applied
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
  /** The upstream registry. */
  readonly upstreams: UpstreamRegistry;
  /** Connects the configured upstreams. @throws HubError INVALID_CONFIG on a name collision. */
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

const ID_PATTERN = /^[a-z0-9][a-z0-9-]{0,31}$/;
const DEFAULT_INFO = { name: 'fedmcp', version: '0.1.0' };

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
 * const host = createMcpHttpHost({ createServer: hub.createServer });
 * ```
 */
export function createHub(options: HubOptions = {}): Hub {
  const logger = options.logger ?? silentLogger;
  const core = new HubCore({
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
    logger,
    bus: options.bus,
    requestStateKey: options.requestStateKey,
    access: options.access,
    guard: options.catalogGuard,
    hubId: () => {
      const id = typeof options.hubId === 'function' ? options.hubId() : options.hubId;
      if (id !== undefined && !ID_PATTERN.test(id)) {
        throw new HubError(
          'INVALID_CONFIG',
          `Invalid hub id "${id}": use 1-32 of a-z, 0-9 and -, starting with a letter or digit.`,
        );
      }
      return id;
    },
    maxHops: options.maxHops ?? DEFAULT_MAX_HOPS,
  });
  core.settings.hubId(); // a malformed fixed id fails here, not on the first request

  const status = (upstream: Upstream): UpstreamStatus => {
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
  };

  const collisionError = (id: string): HubError | undefined => {
    const collision = core.catalog.collisions.find((entry) => entry.upstreams.includes(id));
    if (!collision) return undefined;
    const [first, second] = collision.upstreams;
    return new HubError(
      'INVALID_CONFIG',
      `Upstreams "${first}" and "${second}" both expose the ${collision.kind} "${collision.name}"; give one of them a prefix.`,
      { ...collision },
    );
  };

  const register = (
    id: string,
    spec: UpstreamSpec,
    upstreamOptions: UpstreamOptions = {},
  ): Upstream => {
    if (!ID_PATTERN.test(id)) {
      throw new HubError(
        'INVALID_CONFIG',
        `Invalid upstream id "${id}": use 1-32 of a-z, 0-9 and -, starting with a letter or digit.`,
      );
    }
    if (core.upstreams.has(id))
      throw new HubError('INVALID_CONFIG', `Upstream "${id}" is already registered.`);
    const prefix = upstreamOptions.prefix;
    if (prefix !== undefined && prefix !== false && !isValidNamespacePrefix(prefix)) {
      throw new HubError(
        'INVALID_CONFIG',
        `Invalid prefix "${prefix}" of upstream "${id}": use 1-32 of a-z, 0-9 and -, or false for none.`,
      );
    }
    const upstream = new Upstream(id, spec, upstreamOptions, core);
    core.upstreams.set(id, upstream);
    appliedConfigs.set(id, configKey(spec, upstreamOptions));
    return upstream;
  };

  /** The config each registered upstream was added with, as canonical JSON (for `sync`). */
  const appliedConfigs = new Map<string, string>();
  const configKey = (spec: UpstreamSpec, upstreamOptions: UpstreamOptions = {}) =>
    canonicalJson({ ...spec, ...upstreamOptions });

  const remove = async (id: string): Promise<void> => {
    const upstream = core.upstreams.get(id);
    if (!upstream) return;
    core.upstreams.delete(id);
    appliedConfigs.delete(id);
    await upstream.close();
    core.rebuildCatalog();
  };

  const upstreams: UpstreamRegistry = {
    async add(id, spec, upstreamOptions) {
      const upstream = register(id, spec, upstreamOptions);
      await upstream.start();
      await core.reviewsSettled();
      const collision = collisionError(id);
      if (collision) {
        await remove(id);
        throw collision;
      }
      return status(upstream);
    },
    remove,
    async replace(id, spec, upstreamOptions) {
      await remove(id);
      return upstreams.add(id, spec, upstreamOptions);
    },
    list: () => core.list().map(status),
    async sync(desired) {
      const result: UpstreamSyncResult = { added: [], removed: [], changed: [] };
      for (const id of [...core.upstreams.keys()]) {
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

  const close = () => core.close();
  return {
    createServer: (context?: HubSessionContext) => createHubSessionServer(core, context),
    upstreams,
    async start() {
      await Promise.all(configured.map((upstream) => upstream.start()));
      await core.reviewsSettled();
      for (const upstream of configured) {
        const collision = collisionError(upstream.id);
        if (collision) throw collision;
      }
    },
    onUpstreamStateChange(listener) {
      core.stateListeners.add(listener);
      return () => core.stateListeners.delete(listener);
    },
    bus: core.bus,
    refreshAccess: () => core.refreshAccess(),
    quarantined: () =>
      [...core.catalog.quarantined].map(([name, route]) => ({
        ...route.item,
        exposedName: name,
        name: route.item.name,
        upstream: route.upstream.id,
      })),
    close,
    [Symbol.asyncDispose]: close,
  };
}
