/**
 * The public shape of a hub: `createHub`'s options, the `Hub` it returns and its upstream
 * registry.
 */
import type { Logger } from '@fedmcp/protocol';
import type { McpModernFastRequestHandler } from '@fedmcp/transports';
import type { Implementation, Server, ServerEventBus } from '@modelcontextprotocol/server';
import type { CatalogGuard, QuarantinedItem } from './catalog-guard.js';
import type { CatalogViewOptions } from './catalog-view.js';
import type { FlowForwardingOptions } from './cluster/flow-forwarding.js';
import type { DiscoverCache } from './discover/discover-cache.js';
import type { FastRequestHandler } from './handlers/fast-path.js';
import type { HubAccess } from './hub-access.js';
import type { HubSessionContext } from './hub-session.js';
import type { RequestStateKeys } from './services/hub-services.js';
import type { UpstreamStateChange } from './services/upstream-events.js';
import type { HubTaskOptions } from './tasks/hub-task-options.js';
import type { UpstreamState } from './upstream.js';
import type { UpstreamSignIns } from './upstream-oauth/sign-in-rounds.js';
import type { UpstreamConnector, UpstreamOptions, UpstreamSpec } from './upstream-options.js';

/** An upstream entry of {@link HubOptions.upstreams}: where it lives plus how to treat it. */
export type UpstreamConfig = UpstreamSpec & UpstreamOptions;

/** Options of {@link createHub}. */
export interface HubOptions {
  /** Identity announced to downstream clients. @default { name: 'fedmcp', version: FEDMCP_VERSION } */
  serverInfo?: Implementation;
  /** Identity announced to upstream servers. @default { name: 'fedmcp', version: FEDMCP_VERSION } */
  clientInfo?: Implementation;
  /**
   * The hub's own instructions for downstream clients. Clients get them at initialize followed
   * by each available upstream's instructions under a `## <upstream id>` heading, within
   * {@link HubOptions.maxInstructionsChars}; each new session gets the upstreams up at that time.
   */
  instructions?: string;
  /**
   * The most characters of merged instructions a client gets; over it every upstream's part is
   * cut to a fair share, with a note saying how much was left out.
   * @default 8192
   */
  maxInstructionsChars?: number;
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
  /**
   * What the hub learnt connecting to its upstreams — the transport, and the `server/discover`
   * results of 2026-07-28 upstreams, kept for their `ttlMs` within the authorization context their
   * `cacheScope` allows. Pass your own to set its clock or TTL cap.
   * @default a new `DiscoverCache()`
   */
  discoverCache?: DiscoverCache;
  /**
   * In-call sign-in for per-user OAuth upstreams: a request refused with `-32042` (URL elicitation
   * required) becomes an `elicitation/create` in URL mode for clients that declare URL
   * elicitation, and its retry waits (up to `roundTimeoutMs`) until `wait` says the sign-in ended.
   * @default none (the `-32042` error reaches every client)
   */
  upstreamSignIns?: UpstreamSignIns;
  /** How long an interactive call waits for the client's answers, in ms. @default 600_000 */
  roundTimeoutMs?: number;
  /**
   * Items per page of the hub's list results. A page is built once per catalog and served from
   * memory; a second page costs a second request, so the default holds a big catalog in one.
   * @default 1000
   */
  pageSize?: number;
  /** Debounce of downstream list_changed notifications in ms. @default 50 */
  listChangedDebounceMs?: number;
  /** `'open'`: a down upstream is left out; `'closed'`: requests fail while one is down. @default 'open' */
  failureMode?: 'open' | 'closed';
  /**
   * HMAC key (≥ 32 bytes) signing the `requestState` of interactive calls; share it between
   * replicas. To rotate it, pass an array, the current key first and then the previous ones: the
   * current key signs, any of them verifies, so a round started on a replica still on an old key
   * completes on one already on the new. @default a random per-process key
   */
  requestStateKey?: RequestStateKeys;
  /**
   * Replicas on one store: a 2026-07-28 client's retry of an interactive call that reaches
   * another replica is forwarded over this pub/sub to the replica running the call (set
   * `requestStateKey` to the same key on every replica too). @default undefined (retries only
   * here)
   */
  flowForwarding?: FlowForwardingOptions;
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
  /**
   * Named subsets of the catalog (name: `[a-z0-9][a-z0-9-]{0,31}`), each served by the HTTP host
   * at `/mcp/<name>` (pass {@link Hub.views} as its `views` option): a session opened on a view
   * sees and may use only the tools, prompts and resources the view includes — a call to a tool
   * outside it is answered as for an unknown tool. A view narrows what the access hook allows,
   * never widens it. A view's `exposure: 'search'` puts its tools behind `find_tools` /
   * `call_tool`. Fixed at creation.
   * @default {} (no views)
   * @example { readonly: { include: { annotations: { readOnlyHint: true } } }, github: { include: { upstreams: ['github'] }, exposure: 'search' } }
   */
  views?: Record<string, CatalogViewOptions>;
  /**
   * Hub-managed durable tasks: a task-augmented `tools/call` of a tool whose upstream does not
   * run it as a task is run by the hub, its record (owner, state, progress, result) in
   * `tasks.store`, readable by `tasks/*` after a restart and from any replica on the same store.
   * @default in-memory records, 1 h retention, 16 running tasks per principal
   */
  tasks?: HubTaskOptions;
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
  /**
   * The 2026-07-28 forwarding fast path, for the `modernFastRequest` option of
   * `createMcpHttpHost`: answers a stateless tools/call of a client that can answer no questions,
   * to a shared 2025-era upstream, as raw JSON-RPC without building a server for the request;
   * declines anything else. Off with `fastPath: false`.
   */
  readonly modernFastRequest: McpModernFastRequestHandler;
  /** The upstream registry. */
  readonly upstreams: UpstreamRegistry;
  /** The names of the hub's views (`HubOptions.views`): the `views` option of the HTTP host. */
  readonly views: readonly string[];
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
  /**
   * Resolves once the catalog guard's reviews in flight are applied: after a pin approval made
   * in this process, the hub then lists (and `quarantined()` no longer holds) what was approved.
   */
  reviewsSettled(): Promise<void>;
  /** Closes every upstream connection (no orphaned stdio children). */
  close(): Promise<void>;
}
