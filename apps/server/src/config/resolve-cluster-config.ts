/**
 * Resolves the `cluster` section of a config at start-up (`cluster-config.ts`): `${secret:NAME}`
 * references from the secrets file, `FEDMCP_CLUSTER_SECRET` when there is no section, lengths
 * checked with messages naming the key.
 */
import { FedmcpError, type Logger } from '@fedmcp/protocol';
import { resolveSecretReferences } from '@fedmcp/proxy-auth';
import type { Store } from '@fedmcp/store';
import {
  createClusterSessions,
  createStoreEventStore,
  expireSessionEvents,
  MIN_CLUSTER_SECRET_LENGTH,
} from '@fedmcp/transports';
import type { McpHttpHostOptions } from '@fedmcp/transports/node';
import { openConfigSecrets } from '../auth/upstream-secrets.js';
import { tolerateEventStoreOutage } from '../cluster/outage-tolerant-events.js';
import type { FedmcpConfig } from './config-schema.js';

/** The cluster settings in force, secrets resolved. */
export interface ResolvedClusterConfig {
  secret: string;
  previousSecrets: string[];
  sessionTtlMs?: number;
}

function checkLength(value: string, path: string): void {
  if (value.length < MIN_CLUSTER_SECRET_LENGTH) {
    throw new FedmcpError(
      'INVALID_CONFIG',
      `${path}: the cluster secret is ${value.length} characters long; use at least ${MIN_CLUSTER_SECRET_LENGTH} (e.g. \`openssl rand -base64 48\`), the same on every replica`,
    );
  }
}

/**
 * The cluster settings of a config: `${secret:NAME}` references resolved (their values added to
 * `secretValues`, so no log line carries them), lengths checked. `undefined` when the hub has no
 * cluster secret.
 *
 * @throws {FedmcpError} `INVALID_CONFIG` naming `cluster.secret` / `cluster.previousSecrets[i]`
 *   (or `FEDMCP_CLUSTER_SECRET`) when a secret is too short or a reference cannot be resolved.
 */
export async function resolveClusterConfig(
  config: FedmcpConfig,
  options: {
    baseDirectory: string;
    env: Readonly<Record<string, string | undefined>>;
    secretValues: Set<string>;
  },
): Promise<ResolvedClusterConfig | undefined> {
  const section = config.cluster;
  if (!section) {
    const fromEnvironment = options.env.FEDMCP_CLUSTER_SECRET;
    if (!fromEnvironment) return undefined;
    checkLength(fromEnvironment, 'FEDMCP_CLUSTER_SECRET');
    options.secretValues.add(fromEnvironment);
    return { secret: fromEnvironment, previousSecrets: [] };
  }
  const needsFile = JSON.stringify(section).includes('${secret:');
  const secrets = needsFile ? await openConfigSecrets(config, options) : undefined;
  const resolve = (value: string, path: string) =>
    resolveSecretReferences(value, {
      env: options.env,
      ...(secrets ? { secrets } : {}),
      path,
      onResolved: (resolved) => options.secretValues.add(resolved),
    });
  const secret = await resolve(section.secret, 'cluster.secret');
  checkLength(secret, 'cluster.secret');
  options.secretValues.add(secret);
  const previousSecrets: string[] = [];
  for (const [index, value] of (section.previousSecrets ?? []).entries()) {
    const previous = await resolve(value, `cluster.previousSecrets[${index}]`);
    checkLength(previous, `cluster.previousSecrets[${index}]`);
    options.secretValues.add(previous);
    previousSecrets.push(previous);
  }
  return {
    secret,
    previousSecrets,
    ...(section.sessionTtlMs === undefined ? {} : { sessionTtlMs: section.sessionTtlMs }),
  };
}

/** What a server's HTTP host gets from the `cluster` config (nothing without a secret). */
export interface ServerSessionCluster {
  /** Spread into `createMcpHttpHost`'s options. */
  hostOptions: Pick<McpHttpHostOptions, 'cluster' | 'eventStore'>;
  /** The cluster secrets in force (they also seal config reloads announced to the replicas). */
  secrets?: ResolvedClusterConfig;
  close(): Promise<void>;
}

/**
 * The client-carried 2025-era sessions of a server (`cluster` config): session ids sealed under
 * the cluster secret, the revocation list and the resumable streams' events in `store`. Without
 * a cluster secret, nothing: sessions stay in the process that opened them (random ids); on a
 * shared store that is logged, since replicas then cannot serve each other's sessions.
 *
 * @throws {FedmcpError} `INVALID_CONFIG` as {@link resolveClusterConfig}.
 */
export async function createServerSessionCluster(
  config: FedmcpConfig,
  options: {
    store: Store;
    baseDirectory: string;
    env: Readonly<Record<string, string | undefined>>;
    secretValues: Set<string>;
    logger: Logger;
    /** The cluster settings when already resolved ({@link resolveClusterConfig}); else resolved here. */
    resolved?: ResolvedClusterConfig | undefined;
  },
): Promise<ServerSessionCluster> {
  const resolved =
    'resolved' in options ? options.resolved : await resolveClusterConfig(config, options);
  if (!resolved) {
    if (options.store.engine === 'redis' || options.store.engine === 'postgres') {
      options.logger.info(
        { store: options.store.engine },
        'No cluster secret: 2025-era sessions stay on the replica that opened them; set cluster.secret (or FEDMCP_CLUSTER_SECRET) on every replica to let any replica serve any session',
      );
    }
    return { hostOptions: {}, close: async () => {} };
  }
  const cluster = createClusterSessions({
    secret: resolved.secret,
    previousSecrets: resolved.previousSecrets,
    ...(resolved.sessionTtlMs === undefined ? {} : { sessionTtlMs: resolved.sessionTtlMs }),
    store: options.store,
    logger: options.logger,
  });
  // Abandoned sessions' event streams go once the session has expired (one sweep per minute).
  // A store outage does not stop the sessions (outage-tolerant-events.ts).
  const eventStore = tolerateEventStoreOutage(
    expireSessionEvents(createStoreEventStore({ store: options.store }), {
      store: options.store,
      maxIdleMs: cluster.tokens.ttlMs,
      logger: options.logger,
    }),
    options.logger,
  );
  return {
    hostOptions: { cluster, eventStore },
    secrets: resolved,
    close: async () => {
      await eventStore.close();
      await cluster.close();
    },
  };
}
