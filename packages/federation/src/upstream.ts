/**
 * One upstream MCP server: its connections (a pool, bounded by `maxConnections`), its lifecycle
 * (connecting → ready → degraded → down, reconnecting with exponential backoff and jitter, a
 * circuit breaker on consecutive failures, health pings) and its raw catalog (tools, prompts,
 * resources, templates as the upstream lists them).
 */
import type { FedmcpError } from '@fedmcp/protocol';
import type { Client } from '@modelcontextprotocol/client';
import type {
  Prompt,
  Resource,
  ResourceTemplateType,
  ServerCapabilities,
  Tool,
} from '@modelcontextprotocol/server';
import { hubError } from './errors.js';
import { answerServerRequests } from './sdk-seams.js';
import { PrincipalOwner } from './services/principal-owners.js';
import { createToolFilter } from './tool-filter.js';
import { UpstreamConnection } from './upstream-connection.js';
import type { UpstreamHost, UpstreamState } from './upstream-host.js';
import { ListenStream } from './upstream-listen.js';
import { loadUpstreamLists } from './upstream-lists.js';
import type { UpstreamOptions, UpstreamSpec } from './upstream-options.js';
import { ConnectionPool, type Placement, type PoolSignal } from './upstream-pool.js';

export type { CatalogKind, UpstreamHost, UpstreamState, UpstreamTimings } from './upstream-host.js';

const notifications = [
  'notifications/tools/list_changed',
  'notifications/prompts/list_changed',
  'notifications/resources/list_changed',
  'notifications/resources/updated',
  'notifications/message',
  'notifications/elicitation/complete',
] as const;

/** A registered upstream. Created and driven by the hub. */
export class Upstream {
  state: UpstreamState = 'connecting';
  lastError: string | undefined;
  serverCapabilities: ServerCapabilities = {};
  tools: Tool[] = [];
  prompts: Prompt[] = [];
  resources: Resource[] = [];
  templates: ResourceTemplateType[] = [];
  readonly prefix: string | false;
  readonly maxConnections: number;
  readonly timeoutMs: number;
  /** Whether a tool (by its upstream name) is exposed (`UpstreamOptions.tools`). */
  readonly exposesTool: (name: string) => boolean;

  private readonly pool: ConnectionPool = new ConnectionPool(this);
  private readonly listenStream: ListenStream;
  private failures = 0;
  private attempt = 0;
  private reconnectTimer: ReturnType<typeof setTimeout> | undefined;
  private healthTimer: ReturnType<typeof setInterval> | undefined;
  private refreshTimer: ReturnType<typeof setTimeout> | undefined;
  private connectingPrimary: Promise<void> | undefined;

  constructor(
    readonly id: string,
    readonly spec: UpstreamSpec,
    readonly options: UpstreamOptions,
    private readonly host: UpstreamHost,
  ) {
    this.prefix = options.prefix === undefined ? id : options.prefix;
    this.maxConnections = Math.max(1, options.maxConnections ?? 4);
    this.timeoutMs = options.timeoutMs ?? host.timings.timeoutMs;
    this.exposesTool = createToolFilter(options.tools);
    this.listenStream = new ListenStream(id, host.logger);
  }

  /** Live connections (the primary among them). */
  get connections(): readonly UpstreamConnection[] {
    return this.pool.connections;
  }

  /** Whether calls may be routed here. */
  get available(): boolean {
    return this.state === 'ready' || this.state === 'degraded';
  }

  /** The negotiated era of the primary connection. */
  get era(): 'legacy' | 'modern' | undefined {
    return this.pool.primary?.client?.getProtocolEra();
  }

  /** Connects the primary connection and loads the catalog; on failure schedules a retry. */
  start(): Promise<void> {
    if (!this.connectingPrimary) {
      this.connectingPrimary = this.connectPrimary().finally(() => {
        this.connectingPrimary = undefined;
      });
    }
    return this.connectingPrimary;
  }

  private async connectPrimary(): Promise<void> {
    if (this.state === 'closed') return;
    try {
      const connection = await this.openConnection();
      if ((this.state as UpstreamState) === 'closed') {
        await this.closeConnection(connection);
        return;
      }
      this.pool.primary = connection;
      connection.leased = false;
      this.serverCapabilities = connection.client?.getServerCapabilities() ?? {};
      await this.loadCatalog();
      this.failures = 0;
      this.attempt = 0;
      this.lastError = undefined;
      this.setState('ready');
      this.startHealth();
      this.host.onReconnect(this);
    } catch (error) {
      this.lastError = error instanceof Error ? error.message : String(error);
      // A down upstream is retried with backoff; its failures are logged the same way (1st, 2nd,
      // 4th, 8th…), the others at debug, so a dead upstream does not fill the log.
      const failure = this.attempt + 1;
      const level = (failure & (failure - 1)) === 0 ? 'warn' : 'debug';
      this.host.logger[level](
        { upstream: this.id, error: this.lastError, failure },
        failure === 1
          ? 'upstream connect failed'
          : `upstream connect failed again (failure ${failure}; next logged at failure ${failure * 2})`,
      );
      this.markDown();
    }
  }

  /** The shared connection, for lists, reads and other short requests. */
  primary(): UpstreamConnection {
    const connection = this.pool.primary;
    if (!this.available || !connection?.client || connection.closed) throw this.unavailable();
    return connection;
  }

  /** The error a call to this upstream gets while it is down. */
  unavailable(): FedmcpError {
    return hubError(
      'UPSTREAM_UNAVAILABLE',
      `Upstream "${this.id}" is ${this.state === 'closed' ? 'removed' : 'unavailable'}${this.lastError ? ` (${this.lastError})` : ''}; retry shortly.`,
      { upstream: this.id, state: this.state },
    );
  }

  /**
   * Leases a connection for a tools/call (see `ConnectionPool.acquire`).
   * @throws FedmcpError UPSTREAM_UNAVAILABLE while down, REQUEST_TIMEOUT when every connection
   * stays busy.
   */
  acquire(
    interactive: boolean,
    owner: object | undefined,
    signal: PoolSignal,
    placement?: Placement,
  ): Promise<UpstreamConnection> {
    return this.pool.acquire(interactive, owner, signal, placement);
  }

  /**
   * The connection {@link Upstream.acquire} would claim at once (a plain call on the free shared
   * primary), claimed without a promise; `undefined` when `acquire` has more to weigh.
   */
  acquireNow(
    interactive: boolean,
    owner: object | undefined,
    party?: object,
  ): UpstreamConnection | undefined {
    return this.pool.acquireNow(interactive, owner, party);
  }

  /** Returns a connection after a call (`interactive`: the exclusive lease ends). */
  release(connection: UpstreamConnection, interactive: boolean): void {
    this.pool.release(connection, interactive);
  }

  /** Closes the connection a downstream session owned (per-session isolation). */
  async releaseOwner(owner: object): Promise<void> {
    const owned = this.pool.ownedBy(owner);
    await Promise.allSettled(owned.map((connection) => this.closeConnection(connection)));
  }

  /** Opens and registers a connection (for the pool, or the primary). */
  async openConnection(owner?: object): Promise<UpstreamConnection> {
    const connection = new UpstreamConnection(this);
    connection.owner = owner;
    connection.leased = true;
    const spec = owner === undefined ? this.spec : await this.host.specFor(this, owner);
    const connectOptions = this.host.connectOptions((created) =>
      this.configure(created, connection),
    );
    // A caller's own connection tells the connector whose it is (per-user OAuth tokens). The owner
    // itself: its `principal` stays the caller as last seen (a token exchange presents the newest).
    if (owner instanceof PrincipalOwner) connectOptions.caller = owner;
    const client = await this.host.connector(spec, connectOptions);
    connection.client = client;
    if (client.transport) connection.intercept(client.transport);
    const previous = client.onclose;
    client.onclose = () => {
      previous?.();
      this.onConnectionClosed(connection);
    };
    if (this.state === 'closed') {
      await client.close().catch(() => {});
      throw this.unavailable();
    }
    // Stays leased until its opener (acquire or connectPrimary) decides how it is used.
    this.pool.add(connection);
    if (client.getProtocolEra() === 'modern' && owner === undefined && !this.pool.primary) {
      void this.listenStream.open(client);
    }
    return connection;
  }

  /** Adds or removes a resource subscription on a 2026-07-28 upstream (reopens the listen stream). */
  async setListenedUri(uri: string, subscribed: boolean): Promise<void> {
    await this.listenStream.setUri(uri, subscribed, this.pool.primary?.client);
  }

  private configure(client: Client, connection: UpstreamConnection): void {
    answerServerRequests(client, (method, params) =>
      this.host.onServerRequest(connection, method, params),
    );
    for (const method of notifications) {
      client.setNotificationHandler(method, (notification: { params?: unknown }) => {
        const params = (notification.params ?? {}) as Record<string, unknown>;
        if (method.endsWith('/list_changed')) this.scheduleRefresh();
        else this.host.onNotification(this, method, params, connection);
      });
    }
  }

  private onConnectionClosed(connection: UpstreamConnection): void {
    if (connection.closed) return;
    connection.closed = true;
    const wasPrimary = connection === this.pool.primary;
    this.pool.remove(connection);
    this.host.onConnectionClosed(connection, this.unavailable());
    connection.failRawRequests();
    if (wasPrimary && this.state !== 'closed') {
      this.lastError = 'the connection closed';
      this.host.logger.warn({ upstream: this.id }, 'upstream connection closed; reconnecting');
      this.markDown();
    }
  }

  private async closeConnection(connection: UpstreamConnection): Promise<void> {
    connection.closed = true;
    this.pool.remove(connection);
    this.host.onConnectionClosed(connection, this.unavailable());
    connection.failRawRequests();
    await connection.client?.close();
  }

  /** Loads (drains every page of) the lists the upstream declares. */
  async loadCatalog(): Promise<void> {
    const client = this.pool.primary?.client;
    if (!client) return;
    const lists = await loadUpstreamLists(client, this.serverCapabilities, this.timeoutMs);
    this.tools = lists.tools.filter((tool) => this.exposesTool(tool.name));
    this.prompts = lists.prompts;
    this.resources = lists.resources;
    this.templates = lists.templates;
  }

  private scheduleRefresh(): void {
    if (this.refreshTimer) return;
    this.refreshTimer = setTimeout(() => {
      this.refreshTimer = undefined;
      if (!this.available) return;
      this.loadCatalog().then(
        () => this.host.onCatalogChange(this),
        (error: unknown) =>
          this.host.logger.warn({ upstream: this.id, error }, 'catalog refresh failed'),
      );
    }, 20);
  }

  /** Records a transport-level failure (timeout, closed connection); opens the circuit at the threshold. */
  recordFailure(error: unknown): void {
    if (!this.available) return;
    this.failures += 1;
    this.lastError = error instanceof Error ? error.message : String(error);
    if (this.failures >= this.host.timings.failureThreshold) {
      this.host.logger.warn({ upstream: this.id, failures: this.failures }, 'circuit opened');
      const connections = [...this.connections];
      this.pool.primary = undefined;
      this.markDown();
      for (const connection of connections) void this.closeConnection(connection);
    } else {
      this.setState('degraded');
    }
  }

  /** Records a success: closes the circuit. */
  recordSuccess(): void {
    if (this.failures === 0 && this.state === 'ready') return;
    this.failures = 0;
    if (this.state === 'degraded') this.setState('ready');
  }

  private markDown(): void {
    if (this.state === 'closed') return;
    this.stopHealth();
    this.setState('down');
    this.scheduleReconnect();
  }

  private scheduleReconnect(): void {
    if (this.reconnectTimer || this.state === 'closed') return;
    const { reconnectBaseMs, reconnectMaxMs } = this.host.timings;
    const ceiling = Math.min(reconnectMaxMs, reconnectBaseMs * 2 ** this.attempt);
    // Equal jitter: half fixed, half random, so restarts of many hubs do not synchronise.
    const delay = ceiling / 2 + Math.random() * (ceiling / 2);
    this.attempt += 1;
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = undefined;
      if (this.state === 'down') {
        this.setState('connecting');
        void this.start();
      }
    }, delay);
  }

  private startHealth(): void {
    this.stopHealth();
    const { healthIntervalMs, healthTimeoutMs } = this.host.timings;
    if (healthIntervalMs <= 0) return;
    this.healthTimer = setInterval(() => {
      const client = this.pool.primary?.client;
      if (!client || !this.available) return;
      // 2026-07-28 has no ping: a server/discover is the cheap request there.
      const probe =
        client.getProtocolEra() === 'modern'
          ? client.discover({ timeout: healthTimeoutMs })
          : client.ping({ timeout: healthTimeoutMs });
      probe.then(
        () => this.recordSuccess(),
        (error: unknown) => this.recordFailure(error),
      );
      this.reapIdle();
    }, healthIntervalMs);
  }

  private stopHealth(): void {
    if (this.healthTimer) clearInterval(this.healthTimer);
    this.healthTimer = undefined;
  }

  /** Closes extra connections idle for longer than `idleConnectionMs`. */
  reapIdle(now = Date.now()): void {
    const { idleConnectionMs } = this.host.timings;
    const reapOwned = (owner: object) => this.host.reapsIdle(owner);
    for (const connection of this.pool.idle(idleConnectionMs, now, reapOwned)) {
      void this.closeConnection(connection);
    }
  }

  private setState(state: UpstreamState): void {
    const previous = this.state;
    if (previous === state) return;
    this.state = state;
    this.host.onStateChange(this, previous);
  }

  /** Closes every connection and stops all timers. */
  async close(): Promise<void> {
    this.setState('closed');
    this.stopHealth();
    if (this.reconnectTimer) clearTimeout(this.reconnectTimer);
    if (this.refreshTimer) clearTimeout(this.refreshTimer);
    this.reconnectTimer = undefined;
    await this.connectingPrimary?.catch(() => {});
    const connections = [...this.connections];
    this.pool.primary = undefined;
    await Promise.allSettled(connections.map((connection) => this.closeConnection(connection)));
  }
}
