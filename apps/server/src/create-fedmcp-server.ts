import { readFile } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { join } from 'node:path';
import type { Hub, HubStatus, HubStatusRequest, UpstreamStatus } from '@fedmcp/federation';
import {
  createConsentStep,
  createPolicyAccess,
  createToolPinning,
  parsePinFile,
} from '@fedmcp/federation';
import { connectNodeUpstream, createHub } from '@fedmcp/federation/node';
import {
  type AuditLog,
  createAuditLog,
  createConsentLedger,
  createLoggerAuditSink,
  createPolicy,
  createRateLimiter,
  createRedactingLogger,
  createStreamAuditSink,
  type Policy,
} from '@fedmcp/proxy-auth';
import type { Store } from '@fedmcp/store';
import { createStore } from '@fedmcp/store/node';
import {
  createMcpHttpHost,
  createStdioHost,
  type McpHttpHost,
  type McpHttpHostAddress,
  type StdioHost,
} from '@fedmcp/transports/node';
import {
  checkAnonymousAccess,
  createServerAuthentication,
  hubResourceUri,
  type ServerAuthentication,
} from './auth/server-authentication.js';
import { resolveConfigSecrets } from './auth/upstream-secrets.js';
import type { FedmcpConfig } from './config/config-schema.js';
import { createDiscoveryRoutes, FEDMCP_SERVER_VERSION } from './federation/discovery-routes.js';
import {
  createServerFederatedStatus,
  createStatusRoute,
} from './federation/federated-status-route.js';
import {
  createPeerAuthentication,
  type PeerAuthentication,
} from './federation/peer-authentication.js';
import { createPeerConnector, peerSessionOwner } from './federation/peer-upstreams.js';
import {
  hubIdOf,
  openServerHubIdentity,
  type ServerHubIdentity,
} from './federation/server-hub-identity.js';
import { loadTlsFiles, watchTlsFiles } from './tls/load-tls-files.js';
import {
  type ConfiguredUpstream,
  toUpstreamConfig,
  upstreamsFromConfig,
} from './upstreams-from-config.js';

/** The logger shape the server takes (pino's). */
export interface ServerLogger {
  debug(...args: unknown[]): void;
  info(...args: unknown[]): void;
  warn(...args: unknown[]): void;
  error(...args: unknown[]): void;
  child(bindings: Record<string, unknown>): ServerLogger;
  /** Whether a level is written at all (pino's): lines of other levels are not even redacted. */
  isLevelEnabled?(level: string): boolean;
}

/** Options of {@link createFedmcpServer}. */
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
   * whose files are watched and reloaded when they change.
   */
  listen(): Promise<McpHttpHostAddress>;
  /** Serves the hub over this process's stdin/stdout (for Claude Desktop and other stdio hosts). */
  serveStdio(): Promise<StdioHost>;
  /**
   * Applies a new config while running: upstreams added, removed or changed, `auth` and `policy`
   * are applied without dropping client sessions. Changes of `hub` or `store` need a restart and
   * are reported.
   * @returns the keys whose change needs a restart.
   * @throws {FedmcpError} `INVALID_CONFIG` when the new config cannot be applied (a missing secret,
   * an invalid `auth` section); nothing of it is applied then.
   */
  applyConfig(config: FedmcpConfig): Promise<string[]>;
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

const silentLogger: ServerLogger = {
  debug() {},
  info() {},
  warn() {},
  error() {},
  isLevelEnabled: () => false,
  child() {
    return silentLogger;
  },
};

function toServerLogger(logger: ReturnType<typeof createRedactingLogger>): ServerLogger {
  return {
    debug: (...args: unknown[]) => logger.debug(args[0], args[1] as string | undefined),
    info: (...args: unknown[]) => logger.info(args[0], args[1] as string | undefined),
    warn: (...args: unknown[]) => logger.warn(args[0], args[1] as string | undefined),
    error: (...args: unknown[]) => logger.error(args[0], args[1] as string | undefined),
    child: (bindings) => toServerLogger(logger.child ? logger.child(bindings) : logger),
  };
}

function sendJson(response: ServerResponse, status: number, body: unknown): void {
  response.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' });
  response.end(JSON.stringify(body));
}

/**
 * Wires the fedmcp packages together from a config: the store, the hub with the configured
 * upstreams, and one HTTP host serving every transport plus health routes.
 *
 * @example
 * ```ts
 * const server = await createFedmcpServer({ config: await loadConfig('fedmcp.config.json') });
 * const { url } = await server.listen();
 * ```
 */
export async function createFedmcpServer(options: FedmcpServerOptions): Promise<FedmcpServer> {
  const baseDirectory = options.baseDirectory ?? process.cwd();
  const env = options.env ?? process.env;
  // A reachable address without authentication: refuse before starting anything.
  checkAnonymousAccess(options.config);
  // Every credential value of the config goes here, and no log line carries one.
  const secretValues = new Set<string>();
  const logger = toServerLogger(
    createRedactingLogger(options.logger ?? silentLogger, { secretValues }),
  );
  let config = await resolveConfigSecrets(options.config, { baseDirectory, env, secretValues });
  let policy = createPolicy(config.policy?.rules ?? []);
  const buildAudit = (current: FedmcpConfig) =>
    createAuditLog({
      sinks: [
        createLoggerAuditSink(logger.child({ component: 'audit' })),
        createStreamAuditSink(store.streams),
      ],
      recordArguments: current.audit?.recordArguments ?? false,
      recordResults: current.audit?.recordResults ?? false,
      redact: { secretValues: [...secretValues] },
      logger,
    });
  const authenticationFor = (current: FedmcpConfig, resource: string, log: ServerLogger) =>
    createServerAuthentication({
      config: current,
      resource,
      audit,
      logger: log,
      ...(options.fetch ? { fetch: options.fetch } : {}),
    });
  const storeUrl = config.store ?? `sqlite:${join(baseDirectory, config.hub.dataDir, 'state.db')}`;
  const store = await createStore(storeUrl, { sqlite: { synchronous: config.storeSynchronous } });
  let currentAudit = buildAudit(config);
  const audit: AuditLog = { record: (event) => currentAudit.record(event) };
  try {
    // Validates the `auth` section now (a bad one fails the start, not the first request).
    authenticationFor(config, hubResourceUri(config), silentLogger);
  } catch (error) {
    await store.close();
    throw error;
  }
  let identity: ServerHubIdentity;
  try {
    // Generated on first start, in the data directory (mode 0600); on first use for an ephemeral
    // hub on the memory store, which writes nothing to disk until federation is used.
    identity = await openServerHubIdentity({
      config,
      baseDirectory,
      lazy: config.store === 'memory:',
    });
  } catch (error) {
    await store.close();
    throw error;
  }
  let resource = hubResourceUri(config);
  let peerAuthentication: PeerAuthentication | undefined;
  const discoveryRoutes = createDiscoveryRoutes({
    config: () => config,
    resource: () => resource,
    identity,
  });
  let authentication: ServerAuthentication | undefined;
  let stopWatchingTls: (() => void) | undefined;
  let configured = upstreamsFromConfig(config);
  // The peers the upstream connector knows, updated before a reload adds their upstreams.
  let peersInForce = config.peers;

  const pinFile = config.pinning.pinFile;
  let pinning: ReturnType<typeof createToolPinning> | undefined;
  try {
    pinning = config.pinning.enabled
      ? createToolPinning({
          kv: store.kv,
          audit,
          newItems: config.pinning.newItems,
          onQuarantined: config.pinning.onQuarantined,
          logger: logger.child({ component: 'pinning' }),
          ...(pinFile
            ? {
                pinFile: parsePinFile(
                  await readFile(join(baseDirectory, pinFile), 'utf8'),
                  `pinning.pinFile (${pinFile})`,
                ),
              }
            : {}),
        })
      : undefined;
  } catch (error) {
    await store.close();
    throw error;
  }
  // Rate limits count in the store: shared by every replica on the same Redis.
  const rateLimiter = createRateLimiter({ store: store.kv });
  const hub = createHub({
    serverInfo: { name: config.hub.name ?? 'fedmcp', version: '0.1.0' },
    access: createPolicyAccess({
      policy: () => policy,
      audit,
      rateLimiter,
      // Grants live in the store: a revocation reaches every replica on its next call.
      consent: createConsentStep({
        ledger: createConsentLedger({ kv: store.kv, audit }),
        ...(config.consent?.periods ? { periodOptions: config.consent.periods } : {}),
        ...(config.consent?.bindArguments ? { bindArguments: true } : {}),
      }),
    }),
    ...(pinning ? { catalogGuard: pinning } : {}),
    hubId: () => hubIdOf(config, resource),
    // Peers are upstreams reached with this hub's peer tokens.
    connect: createPeerConnector({
      base: connectNodeUpstream,
      peers: () => peersInForce,
      hubId: () => hubIdOf(config, resource),
      keyring: () => identity.keyring(),
    }),
    ...(config.hub.maxHops ? { maxHops: config.hub.maxHops } : {}),
    upstreams: Object.fromEntries(
      [...configured].map(([id, entry]) => [id, toUpstreamConfig(entry)]),
    ),
    logger: logger.child({ component: 'hub' }),
  });
  try {
    await hub.start();
  } catch (error) {
    await hub.close();
    await store.close();
    throw error;
  }

  const hosts: Array<McpHttpHost | StdioHost> = [];
  const federatedStatus = createServerFederatedStatus({
    hub: () => ({
      id: hubIdOf(config, resource),
      name: config.hub.name ?? 'fedmcp',
      version: FEDMCP_SERVER_VERSION,
    }),
    upstreams: () => hub.upstreams.list(),
    peerOf: (id) => configured.get(id)?.peer,
    peers: () => peersInForce,
    keyring: () => identity.keyring(),
    ...(config.hub.maxHops ? { maxDepth: config.hub.maxHops } : {}),
    ...(options.statusCacheMs === undefined ? {} : { cacheMs: options.statusCacheMs }),
    ...(options.fetch ? { fetch: options.fetch } : {}),
  });
  // `/status` is protected as `/mcp` is.
  const statusRoute = createStatusRoute({
    status: federatedStatus,
    authenticate: async (request) =>
      (await peerAuthentication?.authenticate(request)) ??
      (authentication
        ? authentication.authenticate(request)
        : new Response(null, { status: 503, headers: { 'retry-after': '1' } })),
  });

  const healthRoutes = (request: IncomingMessage, response: ServerResponse): boolean => {
    const path = (request.url ?? '/').split('?')[0];
    if (path === '/healthz') {
      sendJson(response, 200, { status: 'ok' });
      return true;
    }
    if (path === '/readyz') {
      const upstreams = hub.upstreams.list();
      const blocking = upstreams.filter((upstream) => upstream.state !== 'ready');
      const ready = blocking.length === 0;
      sendJson(response, ready ? 200 : 503, {
        status: ready ? 'ready' : 'degraded',
        upstreams: upstreams.map(({ id, state, error }) => ({
          id,
          state,
          ...(error ? { error } : {}),
        })),
      });
      return true;
    }
    return false;
  };

  const server: FedmcpServer = {
    hub,
    store,
    audit,
    get policy() {
      return policy;
    },
    get authentication() {
      return authentication;
    },
    identity,
    get hubId() {
      return hubIdOf(config, resource);
    },
    secretValues,
    get config() {
      return config;
    },
    async listen() {
      const tls = config.hub.tls;
      const tlsMaterial = tls ? await loadTlsFiles(tls, baseDirectory) : undefined;
      const host = createMcpHttpHost({
        // The client's request headers (its token) stay here: the hub gets the principal only
        // (MCP authorization: no token passthrough).
        createServer: ({ headers: _headers, ...context }) => hub.createServer(context),
        authenticate: (request) =>
          peerAuthentication?.authenticate(request) ??
          (authentication
            ? authentication.authenticate(request)
            : new Response(null, { status: 503, headers: { 'retry-after': '1' } })),
        sessionOwner: (principal) =>
          peerSessionOwner(principal) ?? authentication?.sessionOwner(principal),
        ...(tlsMaterial ? { tls: tlsMaterial } : {}),
        host: config.hub.host,
        port: config.hub.port,
        transports: config.hub.transports,
        ...(config.hub.allowedHosts ? { allowedHosts: config.hub.allowedHosts } : {}),
        ...(config.hub.allowedOrigins ? { allowedOrigins: config.hub.allowedOrigins } : {}),
        bus: hub.bus,
        onRequest: async (request, response) =>
          healthRoutes(request, response) ||
          (await statusRoute(request, response)) ||
          (await discoveryRoutes(request, response)) ||
          ((await authentication?.handleRequest(request, response)) ?? false),
        logger: logger.child({ component: 'http' }),
      });
      hosts.push(host);
      const address = await host.listen();
      resource = hubResourceUri(config, address);
      peerAuthentication = createPeerAuthentication({
        config,
        hubId: hubIdOf(config, resource),
        replayStore: store.kv,
        audit,
        ...(options.fetch ? { fetch: options.fetch } : {}),
        ...(options.peerKeysCooldownMs === undefined
          ? {}
          : { jwksCooldownMs: options.peerKeysCooldownMs }),
      });
      authentication = authenticationFor(config, resource, logger.child({ component: 'auth' }));
      if (tls) {
        stopWatchingTls = watchTlsFiles(tls, baseDirectory, {
          onChange: (material) => {
            try {
              host.setSecureContext(material);
              logger.info({ cert: tls.cert }, 'TLS certificate reloaded');
            } catch (error) {
              logger.error({ err: (error as Error).message }, 'TLS certificate reload refused');
            }
          },
          onError: (error) =>
            logger.error({ err: (error as Error).message }, 'TLS certificate reload failed'),
        });
      }
      return address;
    },
    async serveStdio() {
      const host = createStdioHost({
        createServer: (context) => hub.createServer(context),
        bus: hub.bus,
      });
      hosts.push(host);
      return host;
    },
    async applyConfig(input) {
      // Everything that can fail is built first, so a bad config changes nothing.
      const next = await resolveConfigSecrets(input, { baseDirectory, env, secretValues });
      const nextPolicy = createPolicy(next.policy?.rules ?? []);
      authentication?.reload(next);
      peerAuthentication?.reload(next);
      peersInForce = next.peers;
      policy = nextPolicy;
      currentAudit = buildAudit(next);
      hub.refreshAccess();
      const nextConfigured = upstreamsFromConfig(next);
      for (const id of configured.keys()) {
        if (!nextConfigured.has(id)) {
          logger.info({ upstream: id }, 'upstream removed by config');
          await hub.upstreams.remove(id);
        }
      }
      for (const [id, entry] of nextConfigured) {
        const previous: ConfiguredUpstream | undefined = configured.get(id);
        if (!previous) {
          logger.info({ upstream: id }, 'upstream added by config');
          await hub.upstreams.add(id, entry.spec, entry.options);
        } else if (
          JSON.stringify(toUpstreamConfig(previous)) !== JSON.stringify(toUpstreamConfig(entry))
        ) {
          logger.info({ upstream: id }, 'upstream changed by config');
          await hub.upstreams.replace(id, entry.spec, entry.options);
        }
      }
      const needRestart = (['hub', 'store'] as const).filter(
        (key) => JSON.stringify(config[key]) !== JSON.stringify(next[key]),
      );
      configured = nextConfigured;
      config = next;
      return needRestart;
    },
    upstreams: () => hub.upstreams.list(),
    status: (request) => federatedStatus.status(request),
    async close() {
      stopWatchingTls?.();
      await Promise.allSettled(hosts.map((host) => host.close()));
      await hub.close();
      pinning?.close();
      await store.close();
    },
    async [Symbol.asyncDispose]() {
      await server.close();
    },
  };
  return server;
}
