/**
 * One upstream MCP server: its connections (a pool, bounded by `maxConnections`), its lifecycle
 * (connecting → ready → degraded → down, reconnecting with exponential backoff and jitter, a
 * circuit breaker on consecutive failures, health pings) and its raw catalog (tools, prompts,
 * resources, templates as the upstream lists them).
 */
import type { FedmcpError, Logger } from '@fedmcp/protocol';
import type { Client, McpSubscription } from '@modelcontextprotocol/client';
import type {
  Prompt,
  Resource,
  ResourceTemplateType,
  ServerCapabilities,
  Tool,
} from '@modelcontextprotocol/server';
import { hubError } from './errors.js';
import { answerServerRequests, type ServerRequestMethod } from './sdk-seams.js';
import { createToolFilter } from './tool-filter.js';
import { UpstreamConnection } from './upstream-connection.js';
import type {
  UpstreamConnectOptions,
  UpstreamConnector,
  UpstreamOptions,
  UpstreamSpec,
} from './upstream-options.js';

/** The lifecycle state of an upstream. */
export type UpstreamState = 'connecting' | 'ready' | 'degraded' | 'down' | 'closed';

/** The kinds of catalog entries. */
export type CatalogKind = 'tools' | 'prompts' | 'resources' | 'templates';

/** Timing knobs shared by every upstream of a hub (see `HubOptions`). */
export interface UpstreamTimings {
  timeoutMs: number;
  connectTimeoutMs: number;
  healthIntervalMs: number;
  healthTimeoutMs: number;
  reconnectBaseMs: number;
  reconnectMaxMs: number;
  failureThreshold: number;
  idleConnectionMs: number;
}

/** What an upstream needs from the hub that owns it. */
export interface UpstreamHost {
  readonly logger: Logger;
  readonly timings: UpstreamTimings;
  readonly connector: UpstreamConnector;
  connectOptions(configure: (client: Client) => void): UpstreamConnectOptions;
  onStateChange(upstream: Upstream, previous: UpstreamState): void;
  onCatalogChange(upstream: Upstream): void;
  onNotification(
    upstream: Upstream,
    method: string,
    params: Record<string, unknown>,
    connection?: UpstreamConnection,
  ): void;
  /**
   * A server→client request (sampling, elicitation, roots) arrived on a connection: the hub
   * routes it to the call holding the connection, or to the session owning it, or refuses it.
   */
  onServerRequest(
    connection: UpstreamConnection,
    method: ServerRequestMethod,
    params: Record<string, unknown>,
  ): Promise<unknown>;
  /** A connection closed: whatever was running on it ends with `error`. */
  onConnectionClosed(connection: UpstreamConnection, error: FedmcpError): void;
  onReconnect(upstream: Upstream): void;
}

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
  readonly connections: UpstreamConnection[] = [];
  readonly prefix: string | false;
  readonly maxConnections: number;
  readonly timeoutMs: number;
  /** Whether a tool (by its upstream name) is exposed (`UpstreamOptions.tools`). */
  readonly exposesTool: (name: string) => boolean;

  private primaryConnection: UpstreamConnection | undefined;
  private opening = 0;
  private waiters: Array<() => void> = [];
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
  }

  /** Whether calls may be routed here. */
  get available(): boolean {
    return this.state === 'ready' || this.state === 'degraded';
  }

  /** The negotiated era of the primary connection. */
  get era(): 'legacy' | 'modern' | undefined {
    return this.primaryConnection?.client?.getProtocolEra();
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
      this.primaryConnection = connection;
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
      this.host.logger.warn(
        { upstream: this.id, error: this.lastError },
        'upstream connect failed',
      );
      this.markDown();
    }
  }

  /** The shared connection, for lists, reads and other short requests. */
  primary(): UpstreamConnection {
    const connection = this.primaryConnection;
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
   * Leases a connection for a tools/call. `interactive` calls (their client can answer
   * sampling, elicitation or roots) get one exclusively, so server→client requests arriving on
   * it belong to that call alone; plain calls share any connection not leased. With `owner`
   * (per-session isolation) the owner's own connection is used.
   */
  async acquire(
    interactive: boolean,
    owner: object | undefined,
    signal: AbortSignal,
  ): Promise<UpstreamConnection> {
    // Hot path: a plain call on the free shared connection.
    const primary = this.primaryConnection;
    if (
      !interactive &&
      owner === undefined &&
      this.available &&
      primary?.client &&
      !primary.closed &&
      !primary.leased
    ) {
      primary.plainCalls += 1;
      return primary;
    }
    const deadline = Date.now() + this.timeoutMs;
    for (;;) {
      if (!this.available) throw this.unavailable();
      const live = this.connections.filter((connection) => !connection.closed && connection.client);
      let candidate: UpstreamConnection | undefined;
      if (owner !== undefined) {
        const owned = live.find((connection) => connection.owner === owner);
        if (!owned && this.opening === 0) {
          candidate = await this.openOwned(owner);
        } else if (owned && !owned.leased && (!interactive || owned.plainCalls === 0)) {
          candidate = owned;
        }
      } else {
        const free = live.filter(
          (connection) =>
            connection.owner === undefined &&
            !connection.leased &&
            (!interactive || connection.plainCalls === 0),
        );
        candidate =
          free.find((connection) => connection === this.primaryConnection) ??
          free.sort((a, b) => a.plainCalls - b.plainCalls)[0];
        const shared = live.filter((connection) => connection.owner === undefined).length;
        if (!candidate && shared + this.opening < this.maxConnections) {
          candidate = await this.openExtra();
        }
      }
      if (candidate) {
        // Claim it synchronously: another acquire may run as soon as we yield.
        candidate.leased = interactive;
        if (!interactive) candidate.plainCalls += 1;
        candidate.idleSince = Date.now();
        return candidate;
      }
      const remaining = deadline - Date.now();
      if (remaining <= 0 || signal.aborted) {
        throw hubError(
          'REQUEST_TIMEOUT',
          `Every connection to upstream "${this.id}" stayed busy (maxConnections ${this.maxConnections}); retry, or raise maxConnections.`,
          { upstream: this.id },
        );
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(done, Math.min(remaining, 1_000));
        function done() {
          clearTimeout(timer);
          resolve();
        }
        this.waiters.push(done);
      });
    }
  }

  /** Returns a connection after a call (`interactive`: the exclusive lease ends). */
  release(connection: UpstreamConnection, interactive: boolean): void {
    if (interactive) connection.leased = false;
    else connection.plainCalls = Math.max(0, connection.plainCalls - 1);
    connection.idleSince = Date.now();
    this.wakeWaiters();
  }

  private wakeWaiters(): void {
    if (this.waiters.length === 0) return; // the common case: nothing waits, nothing to allocate
    const waiters = this.waiters.splice(0);
    for (const wake of waiters) wake();
  }

  private async openExtra(): Promise<UpstreamConnection> {
    this.opening += 1;
    try {
      return await this.openConnection();
    } finally {
      this.opening -= 1;
    }
  }

  private async openOwned(owner: object): Promise<UpstreamConnection> {
    this.opening += 1;
    try {
      const connection = await this.openConnection(owner);
      return connection;
    } finally {
      this.opening -= 1;
    }
  }

  /** Closes the connection a downstream session owned (per-session isolation). */
  async releaseOwner(owner: object): Promise<void> {
    const owned = this.connections.filter((connection) => connection.owner === owner);
    await Promise.allSettled(owned.map((connection) => this.closeConnection(connection)));
  }

  private async openConnection(owner?: object): Promise<UpstreamConnection> {
    const connection = new UpstreamConnection(this);
    connection.owner = owner;
    connection.leased = true;
    const client = await this.host.connector(
      this.spec,
      this.host.connectOptions((created) => this.configure(created, connection)),
    );
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
    this.connections.push(connection);
    if (client.getProtocolEra() === 'modern' && owner === undefined && !this.primaryConnection) {
      void this.listen(client);
    }
    return connection;
  }

  /** Upstream URIs the hub subscribed to (2026-07-28 upstreams: carried by the listen filter). */
  private readonly listenedUris = new Set<string>();
  private listenHandle: McpSubscription | undefined;

  /**
   * 2026-07-28: change notifications and resource updates only flow on a
   * `subscriptions/listen` stream. One stream per upstream, reopened when its filter changes.
   */
  private async listen(client: Client): Promise<void> {
    const previous = this.listenHandle;
    this.listenHandle = undefined;
    try {
      this.listenHandle = await client.listen({
        toolsListChanged: true,
        promptsListChanged: true,
        resourcesListChanged: true,
        ...(this.listenedUris.size > 0 ? { resourceSubscriptions: [...this.listenedUris] } : {}),
      });
    } catch (error) {
      this.host.logger.debug({ upstream: this.id, error }, 'subscriptions/listen refused');
    } finally {
      await previous?.close().catch(() => {});
    }
  }

  /** Adds or removes a resource subscription on a 2026-07-28 upstream (reopens the listen stream). */
  async setListenedUri(uri: string, subscribed: boolean): Promise<void> {
    if (subscribed) this.listenedUris.add(uri);
    else this.listenedUris.delete(uri);
    const client = this.primaryConnection?.client;
    if (client && client.getProtocolEra() === 'modern') await this.listen(client);
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
    const index = this.connections.indexOf(connection);
    if (index >= 0) this.connections.splice(index, 1);
    this.host.onConnectionClosed(connection, this.unavailable());
    connection.failRawRequests();
    this.wakeWaiters();
    if (connection === this.primaryConnection && this.state !== 'closed') {
      this.primaryConnection = undefined;
      this.lastError = 'the connection closed';
      this.host.logger.warn({ upstream: this.id }, 'upstream connection closed; reconnecting');
      this.markDown();
    }
  }

  private async closeConnection(connection: UpstreamConnection): Promise<void> {
    connection.closed = true;
    const index = this.connections.indexOf(connection);
    if (index >= 0) this.connections.splice(index, 1);
    this.host.onConnectionClosed(connection, this.unavailable());
    connection.failRawRequests();
    await connection.client?.close();
  }

  /** Loads (drains every page of) the lists the upstream declares. */
  async loadCatalog(): Promise<void> {
    const client = this.primaryConnection?.client;
    if (!client) return;
    const capabilities = this.serverCapabilities;
    const options = { timeout: this.timeoutMs, cacheMode: 'bypass' as const };
    const [tools, prompts, resources, templates] = await Promise.all([
      capabilities.tools ? client.listTools(undefined, options).then((r) => r.tools) : [],
      capabilities.prompts ? client.listPrompts(undefined, options).then((r) => r.prompts) : [],
      capabilities.resources
        ? client.listResources(undefined, options).then((r) => r.resources)
        : [],
      capabilities.resources
        ? client
            .listResourceTemplates(undefined, options)
            .then((r) => r.resourceTemplates)
            .catch(() => [])
        : [],
    ]);
    this.tools = tools.filter((tool) => this.exposesTool(tool.name));
    this.prompts = prompts;
    this.resources = resources;
    this.templates = templates;
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
      this.primaryConnection = undefined;
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
      const client = this.primaryConnection?.client;
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
    for (const connection of [...this.connections]) {
      if (
        connection !== this.primaryConnection &&
        connection.owner === undefined &&
        !connection.leased &&
        connection.plainCalls === 0 &&
        now - connection.idleSince >= this.host.timings.idleConnectionMs
      ) {
        void this.closeConnection(connection);
      }
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
    this.primaryConnection = undefined;
    await Promise.allSettled(connections.map((connection) => this.closeConnection(connection)));
  }
}
