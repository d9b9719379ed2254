import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import {
  composeWebRoutes,
  createConsentStep,
  createDiscoveryRoutes,
  createOAuthUpstreamConnector,
  createPeerAuthentication,
  createPeerConnector,
  createPeerFederatedStatus,
  createPolicyAccess,
  createStatusRoute,
  createTaskAdmin,
  createTokenExchangeConnector,
  createToolPinning,
  HUB_STATUS_PATH,
  JWKS_PATH,
  type PeerAuthentication,
  parsePinFile,
  peerSessionOwner,
} from '@fedmcp/federation';
import { connectNodeUpstream, createHub, toNodeRoute } from '@fedmcp/federation/node';
import { childLogger, DISCOVERY_DOCUMENT_PATH, type Logger, silentLogger } from '@fedmcp/protocol';
import {
  type AuditLog,
  createAuditLog,
  createConsentLedger,
  createPolicy,
  createRateLimiter,
  createRedactingLogger,
  createStreamAuditSink,
} from '@fedmcp/proxy-auth';
import { createStore } from '@fedmcp/store/node';
import type { McpAuthRequest } from '@fedmcp/transports';
import {
  createMcpHttpHost,
  createStdioHost,
  type McpHttpHostOptions,
} from '@fedmcp/transports/node';
import type { AdminContext } from './admin/admin-context.js';
import { createAdminApi } from './admin/create-admin-api.js';
import { restoreStoredUpstreams, storedUpstreams } from './admin/routes/upstream-routes.js';
import { createSessionTracker } from './admin/session-tracker.js';
import { AsyncDisposableStack } from './async-disposable-stack.js';
import { createJournaledAuditSink, replayAuditJournals } from './audit-journal.js';
import { createPrincipalCredentials } from './auth/principal-credentials.js';
import {
  checkAnonymousAccess,
  createServerAuthentication,
  hubResourceUri,
  type ServerAuthentication,
} from './auth/server-authentication.js';
import { openConfigSecrets, resolveConfigSecrets } from './auth/upstream-secrets.js';
import { createBufferedAuditSink } from './cluster/buffered-audit-sink.js';
import { createAuditSpill } from './cluster/buffered-audit-sink-spill.js';
import { configDigest } from './cluster/config-digest.js';
import { createConfigSync } from './cluster/config-sync.js';
import { createClusterNode } from './cluster/create-cluster-node.js';
import { requestStateKeysOf } from './cluster/request-state-key.js';
import { sealReplicaPubSub } from './cluster/sealed-replica-pubsub.js';
import type { FedmcpConfig } from './config/config-schema.js';
import { hostOriginOptions } from './config/cors-config.js';
import {
  createServerSessionCluster,
  resolveClusterConfig,
} from './config/resolve-cluster-config.js';
import { createConfiguredTokenExchanges } from './config/token-exchange-config.js';
import {
  buildDiscoveryDocument,
  FEDMCP_SERVER_VERSION,
  hubIdOf,
  openServerHubIdentity,
} from './federation/federation-from-config.js';
import type { FedmcpServer, FedmcpServerOptions } from './fedmcp-server-options.js';
import { createHealthRoutes } from './health-routes.js';
import { isMcpTarget } from './mcp-target.js';
import { createHubUpstreamOAuth, oauthUpstreamsOf } from './oauth/hub-upstream-oauth.js';
import { createOAuthRoutes, hubClientMetadataUrl } from './oauth/oauth-routes.js';
import { createQuietAuditSink } from './quiet-audit-sink.js';
import {
  createConfiguredRuntime,
  hooksRoute,
  RUNTIME_UPSTREAM,
  RUNTIME_UPSTREAM_ID,
  runtimeConnector,
  withoutRuntime,
} from './runtime/mount-runtime.js';
import { createServerTelemetry } from './telemetry/server-telemetry.js';
import { loadTlsFiles, watchTlsFiles } from './tls/load-tls-files.js';
import {
  type CredentialsFactory,
  toUpstreamConfig,
  upstreamsFromConfig,
} from './upstreams-from-config.js';

export type {
  ClusterConfigReloads,
  FedmcpServer,
  FedmcpServerOptions,
  ServerLogger,
} from './fedmcp-server-options.js';

/**
 * Wires the fedmcp packages together from a config: the store, the hub with the configured
 * upstreams, and one HTTP host serving every transport plus health routes. The upstreams and
 * peers connect when the hub is served (`listen()` after binding its port, `serveStdio()`), or
 * on `start()`.
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
  const logger = createRedactingLogger(options.logger ?? silentLogger, { secretValues });
  let config = await resolveConfigSecrets(options.config, { baseDirectory, env, secretValues });
  const taskSecret = config.hub.tasks?.callbacks?.secret;
  if (taskSecret) secretValues.add(taskSecret);
  // Per-caller credentials of per-principal upstreams, from the secrets file when a caller connects.
  const credentialsFor: CredentialsFactory = (name, template) =>
    createPrincipalCredentials(template, {
      path: `mcpServers.${name}.principalCredentials`,
      openSecrets: () => openConfigSecrets(config, { baseDirectory, env }),
      env,
      secretValues,
    });
  let policy = createPolicy(config.policy?.rules ?? []);
  const buildAudit = (current: FedmcpConfig) =>
    createAuditLog({
      sinks: [
        createQuietAuditSink(childLogger(logger, { component: 'audit' })),
        sharedStore ? auditQueue : (auditJournal ?? createStreamAuditSink(store.streams)),
      ],
      recordArguments: current.audit?.recordArguments ?? false,
      recordResults: current.audit?.recordResults ?? false,
      redact: { secretValues: [...secretValues] },
      logger,
    });
  const authenticationFor = (current: FedmcpConfig, resource: string, log: Logger) =>
    createServerAuthentication({
      config: current,
      resource,
      audit,
      logger: log,
      ...(options.fetch ? { fetch: options.fetch } : {}),
    });
  // What is opened from here on is closed again, last first, when a later step fails; once
  // started, the server owns it (`close()`).
  await using cleanup = new AsyncDisposableStack();
  // Metrics, `/metrics` and the trace export (`telemetry`); the hub is read only at scrapes.
  const telemetry = createServerTelemetry({
    telemetry: config.telemetry,
    env,
    serviceName: config.hub.id ?? config.hub.name ?? 'fedmcp',
    logger: childLogger(logger, { component: 'telemetry' }),
    upstreams: () => hub.upstreams.list(),
  });
  cleanup.defer(() => telemetry.close());
  // `resolve`: an absolute data directory stays absolute (not joined onto the base directory).
  const storeUrl =
    config.store ?? `sqlite:${resolve(baseDirectory, config.hub.dataDir, 'state.db')}`;
  const openedStore = telemetry.store(
    await createStore(storeUrl, {
      sqlite: { synchronous: config.storeSynchronous },
      logger: childLogger(logger, { component: 'store' }),
    }),
  );
  cleanup.defer(() => openedStore.close());
  const clusterSecrets = await resolveClusterConfig(config, { baseDirectory, env, secretValues });
  // Replicas' pub/sub sealed under `cluster.secret`: what they tell each other only they can say.
  const store = sealReplicaPubSub(
    openedStore,
    clusterSecrets,
    childLogger(logger, { component: 'cluster' }),
  );
  // 2025-era sessions any replica can serve: session ids sealed under `cluster.secret`.
  const sessionCluster = await createServerSessionCluster(config, {
    resolved: clusterSecrets,
    store,
    baseDirectory,
    env,
    secretValues,
    logger: childLogger(logger, { component: 'sessions' }),
  });
  cleanup.defer(() => sessionCluster.close());
  // On a store replicas share, audit events are queued and appended in the background: no store
  // round trip on a call's path, and calls keep working while Redis is down (cluster/).
  const sharedStore = store.engine === 'redis' || store.engine === 'postgres';
  // During an outage the queue is also in a 0600 spill file of the data directory, replayed by
  // the next start on this host when the replica is killed (buffered-audit-sink-spill.ts).
  const auditQueue = createBufferedAuditSink({
    streams: store.streams,
    ...(sharedStore
      ? { spill: createAuditSpill({ directory: resolve(baseDirectory, config.hub.dataDir) }) }
      : {}),
    logger: childLogger(logger, { component: 'audit' }),
  });
  if (sharedStore) cleanup.defer(() => auditQueue.close());
  // On the embedded store, each event goes to a 0600 journal (one write) before the call's answer
  // and is committed within 5 ms after it, in one commit with the others of that time; the
  // journals of processes killed before their commit are replayed here and by `fedmcp audit
  // tail` (audit-journal.ts). `storeSynchronous: "full"` commits before the answer instead.
  const journalPlace = { directory: resolve(baseDirectory, config.hub.dataDir) };
  const auditJournal =
    store.engine === 'sqlite' && config.storeSynchronous !== 'full'
      ? createJournaledAuditSink({
          ...journalPlace,
          streams: store.streams,
          logger: childLogger(logger, { component: 'audit' }),
        })
      : undefined;
  if (auditJournal) {
    cleanup.defer(() => auditJournal.close());
    await replayAuditJournals(store.streams, journalPlace, logger);
  }
  let currentAudit = buildAudit(config);
  const audit: AuditLog = {
    record: (event) => {
      telemetry.auditEvent(event);
      return currentAudit.record(event);
    },
  };
  // Validates the `auth` section now (a bad one fails the start, not the first request).
  authenticationFor(config, hubResourceUri(config), silentLogger);
  // Generated on first start, in the data directory (mode 0600); on first use for an ephemeral
  // hub on the memory store, which writes nothing to disk until federation is used.
  const identity = await openServerHubIdentity({
    config,
    baseDirectory,
    lazy: config.store === 'memory:',
  });
  let resource = hubResourceUri(config);
  const hubId = () => hubIdOf(config, resource);
  let peerAuthentication: PeerAuthentication | undefined;
  let authentication: ServerAuthentication | undefined;
  let configured = upstreamsFromConfig(config, credentialsFor);
  const upstreamOAuth = createHubUpstreamOAuth({
    upstreams: () => oauthUpstreamsOf(configured),
    kv: store.kv,
    pubsub: store.pubsub,
    keyFile: resolve(baseDirectory, config.hub.dataDir, 'oauth-credentials.key'),
    redirectUrl: () => new URL('/oauth/callback', resource).href,
    clientMetadataUrl: () => hubClientMetadataUrl(resource),
    audit,
  });
  // The peers the upstream connector knows, updated before a reload adds their upstreams.
  let peersInForce = config.peers;

  const pinFile = config.pinning.pinFile;
  const pinning = config.pinning.enabled
    ? createToolPinning({
        kv: store.kv,
        // Approvals on one replica reach the others at once.
        pubsub: store.pubsub,
        audit,
        newItems: config.pinning.newItems,
        onQuarantined: config.pinning.onQuarantined,
        logger: childLogger(logger, { component: 'pinning' }),
        ...(pinFile
          ? {
              pinFile: parsePinFile(
                await readFile(resolve(baseDirectory, pinFile), 'utf8'),
                `pinning.pinFile (${pinFile})`,
              ),
            }
          : {}),
      })
    : undefined;
  if (pinning) cleanup.defer(() => pinning.close());
  // Rate limits count in the store: shared by every replica on the same Redis.
  const rateLimiter = createRateLimiter({ store: store.kv });
  // The built-in `runtime` upstream, served in process (`"runtime": false` turns it off).
  const runtime = await createConfiguredRuntime({
    config,
    store,
    baseDirectory,
    env,
    secretValues,
    hub: () => hub,
    status: () => federatedStatus.status(),
    upstreams: () => withoutRuntime(hub.upstreams.list()),
    logger: childLogger(logger, { component: 'runtime' }),
    ...(options.fetch ? { fetch: options.fetch } : {}),
  });
  const withRuntime = <T>(upstreams: Record<string, T>) =>
    runtime ? { ...upstreams, [RUNTIME_UPSTREAM_ID]: RUNTIME_UPSTREAM } : upstreams;
  let runtimeStarted = false;
  // One ledger: the hub's consent step and the admin API's `/consent` routes.
  const consentLedger = createConsentLedger({ kv: store.kv, audit });
  // Open downstream sessions, for the admin API's `/sessions`.
  const sessions = createSessionTracker();
  const hub = createHub({
    serverInfo: { name: config.hub.name ?? 'fedmcp', version: FEDMCP_SERVER_VERSION },
    // 2026-07-28 rounds signed with one key on every replica: a retry may land on any of them.
    ...(sessionCluster.secrets
      ? { requestStateKey: requestStateKeysOf(sessionCluster.secrets) }
      : {}),
    // ... and a retry of a call another replica runs is forwarded to it over the store's pub/sub.
    ...(sessionCluster.secrets && sessionCluster.hostOptions.cluster && sharedStore
      ? {
          flowForwarding: {
            pubsub: store.pubsub,
            replicaId: sessionCluster.hostOptions.cluster.answers.replicaId,
          },
        }
      : {}),
    // A per-user OAuth upstream's sign-in, asked inside the call (URL elicitation).
    upstreamSignIns: {
      owns: (id) => upstreamOAuth.users.ownsSignIn(id),
      wait: (id, signal) => upstreamOAuth.users.waitForSignIn(id, signal),
    },
    access: telemetry.access(
      createPolicyAccess({
        policy: () => policy,
        audit,
        rateLimiter,
        // Grants live in the store: a revocation reaches every replica on its next call.
        consent: createConsentStep({
          ledger: consentLedger,
          ...(config.consent?.periods ? { periodOptions: config.consent.periods } : {}),
          ...(config.consent?.bindArguments ? { bindArguments: true } : {}),
        }),
      }),
      (id) => configured.get(id)?.peer !== undefined,
    ),
    ...(pinning ? { catalogGuard: pinning } : {}),
    hubId,
    // Peers are upstreams reached with this hub's peer tokens.
    connect: createPeerConnector({
      // OAuth upstreams connect with the hub's token for them (issue 21); tokenExchange upstreams
      // with each caller's exchanged token (RFC 8693, issue 19).
      base: createTokenExchangeConnector({
        base: createOAuthUpstreamConnector({
          base: runtimeConnector(connectNodeUpstream, runtime),
          oauthFor: upstreamOAuth.oauthFor,
        }),
        exchangeFor: createConfiguredTokenExchanges(() => configured.values(), {
          ...(options.fetch ? { fetch: options.fetch } : {}),
        }),
      }),
      peers: () => peersInForce,
      hubId,
      keyring: () => identity.keyring(),
      ...(options.fetch ? { fetch: options.fetch } : {}),
    }),
    ...(config.hub.maxHops ? { maxHops: config.hub.maxHops } : {}),
    ...(config.hub.pageSize ? { pageSize: config.hub.pageSize } : {}),
    ...(config.hub.instructions ? { instructions: config.hub.instructions } : {}),
    ...(config.hub.maxInstructionsChars
      ? { maxInstructionsChars: config.hub.maxInstructionsChars }
      : {}),
    ...(config.views ? { views: config.views } : {}),
    // Task records in the store: readable after a restart and by every replica.
    tasks: { ...config.hub.tasks, store },
    upstreams: withRuntime(
      Object.fromEntries([...configured].map(([id, entry]) => [id, toUpstreamConfig(entry)])),
    ),
    logger: childLogger(logger, { component: 'hub' }),
  });
  // Closed after the hub: the hub's in-process connection to it ends with the hub, not before
  // (no "connection closed; reconnecting" at shutdown).
  if (runtime) cleanup.defer(() => runtime.close());
  cleanup.defer(() => hub.close());
  if (runtime) {
    // Stopped before the hub: no automation calls into a closing hub.
    cleanup.defer(() => runtime.automations.close());
    // `status://hub` subscribers hear of every upstream (and peer) state change.
    hub.onUpstreamStateChange(() => runtime.statusChanged());
  }
  cleanup.defer(telemetry.follow(hub));
  // The upstreams and peers are connected once the hub can be reached: by `listen()` after the
  // port is bound (a peer verifying this hub's first token fetches its keys from that port), by
  // `serveStdio()`, or by `start()` for a hub used in process.
  let starting: Promise<void> | undefined;
  const start = (): Promise<void> => {
    // Automations start once the upstreams they call are connected; `/hooks/*` answers 503 until then.
    starting ??= hub.start().then(async () => {
      await runtime?.start();
      runtimeStarted = true;
    });
    return starting;
  };

  // Membership and admin changes across the replicas of a shared store (cluster/).
  const cluster = createClusterNode({
    store,
    hub,
    hubId,
    upstreams: () => withoutRuntime(hub.upstreams.list()),
    configDigest: () => configDigest(config, secretValues),
    env,
    logger: childLogger(logger, { component: 'cluster' }),
  });
  // Config reloads announced to the other replicas, sealed under the cluster secret.
  const reloadListeners = new Set<(written: unknown, origin: string) => Promise<void>>();
  const configSync =
    cluster && sessionCluster.secrets
      ? createConfigSync({
          pubsub: store.pubsub,
          replicaId: cluster.membership.id,
          secret: sessionCluster.secrets.secret,
          previousSecrets: sessionCluster.secrets.previousSecrets,
          onConfig: async (written, origin) => {
            for (const listener of [...reloadListeners]) await listener(written, origin);
          },
          logger: childLogger(logger, { component: 'cluster' }),
        })
      : undefined;
  const peerFederatedStatus = createPeerFederatedStatus({
    hub: () => ({ id: hubId(), name: config.hub.name ?? 'fedmcp', version: FEDMCP_SERVER_VERSION }),
    upstreams: () => withoutRuntime(hub.upstreams.list()),
    peerOf: (id) => configured.get(id)?.peer,
    peers: () => peersInForce,
    keyring: () => identity.keyring(),
    ...(config.hub.maxHops ? { maxDepth: config.hub.maxHops } : {}),
    ...(options.statusCacheMs === undefined ? {} : { cacheMs: options.statusCacheMs }),
    ...(options.fetch ? { fetch: options.fetch } : {}),
  });
  // `/status` of a replica adds the live replicas.
  const federatedStatus: typeof peerFederatedStatus = cluster
    ? {
        ...peerFederatedStatus,
        status: async (request) => cluster.withCluster(await peerFederatedStatus.status(request)),
      }
    : peerFederatedStatus;
  // `/mcp` and `/status`: a peer token, else the `auth` section (503 until listening).
  const authenticate = (request: McpAuthRequest) =>
    peerAuthentication?.authenticate(request) ??
    (authentication
      ? authentication.authenticate(request)
      : new Response(null, { status: 503, headers: { 'retry-after': '1' } }));
  const federationRoutes = toNodeRoute(
    composeWebRoutes(
      createStatusRoute({ status: federatedStatus, authenticate }),
      createDiscoveryRoutes({
        document: () => buildDiscoveryDocument(config, resource),
        keyring: () => identity.keyring(),
      }),
    ),
    // Only these paths build a web Request: every MCP request passes through onRequest first.
    { paths: [HUB_STATUS_PATH, DISCOVERY_DOCUMENT_PATH, JWKS_PATH] },
  );

  const oauthRoutes = createOAuthRoutes({
    users: upstreamOAuth.users,
    origin: () => new URL(resource).origin,
    ...(config.hub.name ? { clientName: config.hub.name } : {}),
  });
  const runtimeHooks = hooksRoute(runtime, () => runtimeStarted);
  const healthRoutes = createHealthRoutes({
    upstreams: () =>
      withoutRuntime(hub.upstreams.list()).map(({ id, state, error }) => ({
        id,
        state,
        failureMode: configured.get(id)?.options.failureMode ?? 'open',
        ...(error ? { error } : {}),
      })),
    probeStore: () => store.kv.get('fedmcp:readyz'),
    // Every replica loses a shared store at once: they stay in the load balancer and serve
    // what needs no shared state (`degraded`) instead of all leaving it; the probe answers within
    // a load balancer's check timeout however long the store would make it wait.
    ...(sharedStore ? { storeOutage: 'degraded' as const, storeTimeoutMs: 250 } : {}),
    authenticate,
  });

  const owned = cleanup.move();
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
      return hubId();
    },
    secretValues,
    get config() {
      return config;
    },
    async listen() {
      const tls = config.hub.tls;
      const tlsMaterial = tls ? await loadTlsFiles(tls, baseDirectory) : undefined;
      const metricsRoute = telemetry.route(authenticate);
      // `/admin/v1`, `/api/v1/tools/{name}:call` and the `/ui` dashboard.
      const adminContext: AdminContext = {
        hub,
        store,
        audit,
        policy: () => policy,
        consent: consentLedger,
        ...(pinning ? { pinning } : {}),
        sessions,
        tasks: createTaskAdmin(store),
        config: () => config,
        configuredUpstream: (id) => {
          const entry = configured.get(id);
          return entry ? toUpstreamConfig(entry) : undefined;
        },
        status: (request) => federatedStatus.status(request),
        authenticate,
        upstreamOAuth,
        ...(cluster ? { cluster: cluster.admin } : {}),
      };
      const adminApi = createAdminApi(adminContext, {
        version: FEDMCP_SERVER_VERSION,
        logger: childLogger(logger, { component: 'admin' }),
      });
      const host = createMcpHttpHost({
        // The client's request headers (its token) stay here: the hub gets the principal only
        // (MCP authorization: no token passthrough).
        createServer: ({ headers: _headers, ...context }) =>
          telemetry.session(sessions.track(hub.createServer(context), context), context),
        fastRequest: hub.fastRequest,
        modernFastRequest: hub.modernFastRequest,
        views: hub.views,
        authenticate,
        sessionOwner: (principal) =>
          peerSessionOwner(principal) ?? authentication?.sessionOwner(principal),
        ...(tlsMaterial ? { tls: tlsMaterial } : {}),
        host: config.hub.host,
        port: config.hub.port,
        transports: config.hub.transports,
        ...(config.hub.allowedHosts ? { allowedHosts: config.hub.allowedHosts } : {}),
        ...hostOriginOptions(config.hub, logger),
        bus: hub.bus,
        ...httpHostLimits(config.hub.limits),
        ...sessionCluster.hostOptions,
        // An MCP request (`/mcp`, `/mcp/<view>`) runs none of these routes.
        onRequest: async (request, response) =>
          !isMcpTarget(request.url) &&
          ((await runtimeHooks(request, response)) ||
            (await healthRoutes(request, response)) ||
            ((await metricsRoute?.(request, response)) ?? false) ||
            (await adminApi(request, response)) ||
            (await federationRoutes(request, response)) ||
            // The redirect back from an upstream's sign-in, and the hub's client metadata document.
            (await oauthRoutes(request, response)) ||
            ((await authentication?.handleRequest(request, response)) ?? false)),
        logger: childLogger(logger, { component: 'http' }),
      });
      owned.defer(() => host.close());
      const address = await host.listen();
      const metricsListener = await telemetry.listen();
      if (metricsListener) owned.defer(() => metricsListener.close());
      resource = hubResourceUri(config, address);
      peerAuthentication = createPeerAuthentication({
        hubId: hubId(),
        peers: config.peers,
        replayStore: store.kv,
        audit,
        ...(options.fetch ? { fetch: options.fetch } : {}),
        ...(options.peerKeysCooldownMs === undefined
          ? {}
          : { jwksCooldownMs: options.peerKeysCooldownMs }),
      });
      authentication = authenticationFor(
        config,
        resource,
        childLogger(logger, { component: 'auth' }),
      );
      if (tls) {
        owned.defer(
          watchTlsFiles(tls, baseDirectory, {
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
          }),
        );
      }
      // Listening with the routes and authentication in place (discovery, JWKS, peer tokens):
      // only now are the peers asked to verify this hub's tokens.
      await start();
      // Upstreams added through the admin API before a restart.
      for (const { id, error } of await restoreStoredUpstreams(adminContext)) {
        logger.error({ upstream: id, err: error }, 'upstream added by the admin API not restored');
      }
      if (cluster) {
        await cluster.start(adminContext, address.url);
        owned.defer(() => cluster.close());
        // `status://hub` subscribers hear of replicas joining, leaving and changing too.
        if (runtime) owned.defer(cluster.onReplicasChange(() => runtime.statusChanged()));
      }
      if (configSync) {
        owned.defer(() => configSync.close());
        await configSync
          .start()
          .catch((error: unknown) =>
            logger.warn(
              { err: (error as Error).message },
              'cluster: cannot hear config reloads of the other replicas',
            ),
          );
      }
      return address;
    },
    start,
    ...(configSync
      ? {
          clusterConfig: {
            announce: (written: unknown) => configSync.announce(written),
            onReload(listener: (written: unknown, origin: string) => Promise<void>) {
              reloadListeners.add(listener);
              return () => void reloadListeners.delete(listener);
            },
          },
        }
      : {}),
    async serveStdio() {
      await start();
      const limits = config.hub.limits;
      const host = createStdioHost({
        createServer: (context) =>
          telemetry.session(sessions.track(hub.createServer(context), context), context),
        bus: hub.bus,
        ...(limits?.maxStdioMessageBytes ? { maxMessageBytes: limits.maxStdioMessageBytes } : {}),
        ...(limits?.maxJsonDepth ? { maxJsonDepth: limits.maxJsonDepth } : {}),
        onError: (error) =>
          logger.warn(
            { err: error.message, component: 'stdio' },
            'stdio message refused or failed',
          ),
      });
      owned.defer(() => host.close());
      return host;
    },
    async applyConfig(input) {
      // Everything that can fail is built first, so a bad config changes nothing.
      const next = await resolveConfigSecrets(input, { baseDirectory, env, secretValues });
      const nextPolicy = createPolicy(next.policy?.rules ?? []);
      authentication?.reload(next);
      peerAuthentication?.setPeers(next.peers);
      peersInForce = next.peers;
      policy = nextPolicy;
      currentAudit = buildAudit(next);
      hub.refreshAccess();
      const nextConfigured = upstreamsFromConfig(next, credentialsFor);
      const { added, removed, changed } = await hub.upstreams.sync(
        withRuntime({
          ...Object.fromEntries(
            [...nextConfigured].map(([id, entry]) => [id, toUpstreamConfig(entry)]),
          ),
          // Upstreams added or changed through the admin API stay as they were made there.
          ...Object.fromEntries(await storedUpstreams({ store })),
        }),
      );
      for (const id of removed) logger.info({ upstream: id }, 'upstream removed by config');
      for (const id of added) logger.info({ upstream: id }, 'upstream added by config');
      for (const id of changed) logger.info({ upstream: id }, 'upstream changed by config');
      const needRestart = (['hub', 'store', 'runtime'] as const).filter(
        (key) => JSON.stringify(config[key]) !== JSON.stringify(next[key]),
      );
      configured = nextConfigured;
      config = next;
      return needRestart;
    },
    upstreams: () => withoutRuntime(hub.upstreams.list()),
    async status(request) {
      await start();
      return federatedStatus.status(request);
    },
    close: () => owned.disposeAsync(),
    [Symbol.asyncDispose]: () => owned.disposeAsync(),
  };
  return server;
}

/** The `hub.limits` keys the HTTP host takes, as its options (absent keys keep its defaults). */
function httpHostLimits(limits: FedmcpConfig['hub']['limits']): Partial<McpHttpHostOptions> {
  if (!limits) return {};
  const { maxStdioMessageBytes: _stdioOnly, ...forHttp } = limits;
  return Object.fromEntries(
    Object.entries(forHttp).filter(([, value]) => value !== undefined),
  ) as Partial<McpHttpHostOptions>;
}
