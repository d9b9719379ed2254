/**
 * The public shape of `createFedmcpServer`: its options, the running server and the logger it
 * takes.
 */
import type { Hub, HubStatus, HubStatusRequest, UpstreamStatus } from '@fedmcp/federation';
import type { Logger } from '@fedmcp/protocol';
import type { AuditLog, Policy } from '@fedmcp/proxy-auth';
import type { Store } from '@fedmcp/store';
import type { McpHttpHostAddress, StdioHost } from '@fedmcp/transports/node';
import type { ServerAuthentication } from './auth/server-authentication.js';
import type { FedmcpConfig } from './config/config-schema.js';
import type { ServerHubIdentity } from './federation/federation-from-config.js';

/** The logger shape the server takes (pino's). */
/**
 * The logger the server takes: `@fedmcp/protocol`'s `Logger` (pino's shape; pass a pino logger).
 * @deprecated use `Logger` of `@fedmcp/protocol`.
 */
export type ServerLogger = Logger;

/** Options of `createFedmcpServer`. */
export interface FedmcpServerOptions {
  /** The validated config (see `loadConfig`). */
  config: FedmcpConfig;
  /** pino-shaped logger. @default silent */
  logger?: ServerLogger;
  /** Where `/` relative paths of the config (data directory, sqlite file) start. @default process.cwd() */
  baseDirectory?: string;
  /**
   * The environment: `FEDMCP_SECRET_KEY` (the secrets file key) and `${NAME}` references inside
   * resolved secrets. @default process.env
   */
  env?: Readonly<Record<string, string | undefined>>;
  /** The fetch for OAuth issuers' key sets and metadata. @default globalThis.fetch */
  fetch?: typeof fetch;
  /**
   * Minimum time between two fetches of one peer's key set (a token naming an unknown key —
   * the peer rotated — triggers one). Keep it below the peers' key activation delay (60 s).
   * @default 30000
   */
  peerKeysCooldownMs?: number;
  /** How long `/status` reuses a peer's status answer. @default 5000 */
  statusCacheMs?: number;
}

/** A running fedmcp hub: the hub, its store and the hosts serving it. */
export interface FedmcpServer extends AsyncDisposable {
  readonly hub: Hub;
  readonly store: Store;
  /**
   * The audit trail: every authentication result is recorded here (logger + the store's `audit`
   * stream); the hub integration records policy decisions and calls through it too.
   */
  readonly audit: AuditLog;
  /** The policy of the `policy` section in force (after hot reloads). */
  readonly policy: Policy;
  /** The HTTP authentication in force, once {@link FedmcpServer.listen} ran. */
  readonly authentication: ServerAuthentication | undefined;
  /** The hub's signing keys (`<dataDir>/hub-keys.json`, created on first start). */
  readonly identity: ServerHubIdentity;
  /** The hub id in discovery and peer tokens: `hub.id`, or derived from its canonical URL. */
  readonly hubId: string;
  /** Credential values of the config (resolved secrets, upstream tokens) that are kept out of logs. */
  readonly secretValues: ReadonlySet<string>;
  /** The config in force (after hot reloads), with `${secret:…}` references resolved. */
  readonly config: FedmcpConfig;
  /**
   * Serves `/mcp`, `/sse` + `/messages`, `/ws`, `/healthz`, `/readyz` and (with OAuth) the
   * Protected Resource Metadata on the configured host and port — HTTPS and WSS with `hub.tls`,
   * whose files are watched and reloaded when they change. Binds the port first, then connects
   * the upstreams and peers ({@link FedmcpServer.start}) and resolves once their first attempts
   * settled: a peer that verifies this hub's first peer token can fetch its keys.
   * @throws when the port cannot be bound, or as {@link FedmcpServer.start} does.
   */
  listen(): Promise<McpHttpHostAddress>;
  /**
   * Serves the hub over this process's stdin/stdout (for Claude Desktop and other stdio hosts),
   * after {@link FedmcpServer.start}.
   */
  serveStdio(): Promise<StdioHost>;
  /**
   * Connects the upstreams and peers (once; later calls return the same promise) and resolves
   * when each first attempt settled (`ready`, or `down` and retrying). `listen()`, `serveStdio()`
   * and `status()` call it; call it yourself to use {@link FedmcpServer.hub} in process without
   * serving it.
   * @throws {FedmcpError} `INVALID_CONFIG` when two upstreams expose the same name.
   */
  start(): Promise<void>;
  /**
   * Applies a new config while running: upstreams added, removed or changed, `auth` and `policy`
   * are applied without dropping client sessions. Changes of `hub` or `store` need a restart and
   * are reported.
   * @returns the keys whose change needs a restart.
   * @throws {FedmcpError} `INVALID_CONFIG` when the new config cannot be applied (a missing secret,
   * an invalid `auth` section); nothing of it is applied then.
   */
  applyConfig(config: FedmcpConfig): Promise<string[]>;
  /**
   * Config reloads across replicas, on a shared store (`redis://`, `postgres://`) with a cluster
   * secret; absent otherwise. `fedmcp serve` announces each reload of its file and applies the
   * reloads of the others (with its own environment and secrets), once it listens.
   */
  readonly clusterConfig?: ClusterConfigReloads;
  /** Upstreams and their states. */
  upstreams(): UpstreamStatus[];
  /**
   * The hub's federated status (what `GET /status` answers): its upstreams with their kind and
   * state, and each peer's own status as the peer reports it, `depth` levels deep (default 1).
   */
  status(request?: HubStatusRequest): Promise<HubStatus>;
  /** Stops serving (draining in-flight requests), closes every upstream and the store. */
  close(): Promise<void>;
}

/** See {@link FedmcpServer.clusterConfig}. */
export interface ClusterConfigReloads {
  /**
   * Announces a reloaded config to the other replicas: the file's content as written (`${ENV}`
   * and `${secret:…}` references unresolved), sealed under the cluster secret. Failures are logged.
   */
  announce(written: unknown): Promise<void>;
  /**
   * Calls `listener` with each config another replica announced (as written); returns the
   * function that stops listening.
   */
  onReload(listener: (written: unknown, origin: string) => Promise<void>): () => void;
}
