/**
 * Membership of the replicas that share one store (`"store": "redis://…"` or `postgres://…`):
 * each replica keeps a record of itself under `cluster:replicas:<id>` whose TTL is the lease, and
 * renews it every heartbeat (and at once when one of its upstreams changes state). A replica that
 * stops without a word (kill -9, a lost machine) drops out when its lease runs out; a clean
 * shutdown deletes its record at once. Listing is one prefix scan of the store, done only when an
 * operator asks (`/status`, `/admin/v1/replicas`, `fedmcp status`), never on a request's path.
 */
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import type { Logger } from '@fedmcp/protocol';
import type { KeyValueStore } from '@fedmcp/store';

/** The key prefix of the replica records in the store. */
export const REPLICA_KEY_PREFIX = 'cluster:replicas:';

/** One upstream as a replica reports it. */
export interface ReplicaUpstream {
  id: string;
  state: string;
  error?: string;
}

/** What a replica publishes about itself. */
export interface ReplicaRecord {
  /** This replica's id (`FEDMCP_REPLICA_ID`, else `<host>-<pid>-<random>`). */
  id: string;
  /** The hub id it serves as (the same on every replica of one hub). */
  hubId: string;
  /** Where it listens (`http://host:port`), once it does. */
  address?: string;
  /** When it started (ISO 8601). */
  startedAt: string;
  /** When it last renewed its lease (ISO 8601). */
  heartbeatAt: string;
  /** When its lease runs out unless renewed (ISO 8601). */
  expiresAt: string;
  /** Its upstreams with their states, as it sees them. */
  upstreams: ReplicaUpstream[];
  /** A digest of the config it runs (credential values masked): replicas that differ run different configs. */
  configDigest?: string;
}

/** Options of {@link createReplicaMembership}. */
export interface ReplicaMembershipOptions {
  /** The shared store's key/value space. */
  kv: KeyValueStore;
  /** The hub id. */
  hubId(): string;
  /** Where this replica listens, once known. */
  address(): string | undefined;
  /** This replica's upstreams and their states. */
  upstreams(): readonly ReplicaUpstream[];
  /** A digest of the config in force. @default none */
  configDigest?(): string;
  /** This replica's id. @default `<hostname>-<pid>-<6 random hex>` */
  replicaId?: string;
  /** How often the lease is renewed. @default 2000 */
  heartbeatMs?: number;
  /** How long a record lives without renewal (a replica that died drops out after this). @default 3 × heartbeatMs */
  leaseMs?: number;
  /** Called when a heartbeat succeeds after failing (the store is back): resync what pub/sub missed. */
  onRecovered?: () => void;
  /** Receives heartbeat failures (once per outage) and recoveries. */
  logger: Logger;
}

/** A replica's membership: its heartbeat and the list of the live replicas. */
export interface ReplicaMembership {
  /** This replica's id. */
  readonly id: string;
  /** The lease length in ms. */
  readonly leaseMs: number;
  /** Registers this replica and starts the heartbeat (an unref'd timer). */
  start(): Promise<void>;
  /** Renews the record now (an upstream changed state); failures are logged, not thrown. */
  heartbeat(): Promise<void>;
  /** The live replicas (this one included), by id. @throws {StoreError} when the store does not answer. */
  list(): Promise<ReplicaRecord[]>;
  /** Stops the heartbeat and deletes this replica's record (best effort, bounded by the store's timeouts). */
  close(): Promise<void>;
}

/** Reads `FEDMCP_REPLICA_HEARTBEAT_MS` / `FEDMCP_REPLICA_LEASE_MS` / `FEDMCP_REPLICA_ID`, with a message naming the bad one. */
export function membershipSettingsFromEnv(
  env: Readonly<Record<string, string | undefined>>,
): Pick<ReplicaMembershipOptions, 'heartbeatMs' | 'leaseMs' | 'replicaId'> {
  const positive = (name: string): number | undefined => {
    const raw = env[name];
    if (raw === undefined || raw === '') return undefined;
    const value = Number(raw);
    if (!Number.isInteger(value) || value < 100) {
      throw new Error(`${name}=${raw}: expected a whole number of milliseconds, at least 100.`);
    }
    return value;
  };
  const heartbeatMs = positive('FEDMCP_REPLICA_HEARTBEAT_MS');
  const leaseMs = positive('FEDMCP_REPLICA_LEASE_MS');
  if (leaseMs !== undefined && leaseMs <= (heartbeatMs ?? 2000)) {
    throw new Error(
      `FEDMCP_REPLICA_LEASE_MS=${leaseMs} must be longer than the heartbeat (${heartbeatMs ?? 2000} ms); 3× the heartbeat is a good value.`,
    );
  }
  const replicaId = env.FEDMCP_REPLICA_ID;
  if (replicaId !== undefined && !/^[A-Za-z0-9._-]{1,64}$/.test(replicaId)) {
    throw new Error(
      `FEDMCP_REPLICA_ID=${replicaId}: expected 1–64 of letters, digits, ".", "_" and "-".`,
    );
  }
  return {
    ...(heartbeatMs === undefined ? {} : { heartbeatMs }),
    ...(leaseMs === undefined ? {} : { leaseMs }),
    ...(replicaId ? { replicaId } : {}),
  };
}

/** A default replica id: the host, the process and a random suffix (a restarted pid differs). */
export function defaultReplicaId(): string {
  const host = hostname()
    .replace(/[^A-Za-z0-9.-]/g, '-')
    .slice(0, 40);
  return `${host}-${process.pid}-${randomUUID().slice(0, 6)}`;
}

/**
 * Creates the membership of one replica.
 *
 * @example
 * ```ts
 * const membership = createReplicaMembership({ kv: store.kv, hubId: () => 'hub', address: () => url, upstreams: () => [], logger });
 * await membership.start();
 * console.log(await membership.list());
 * ```
 */
export function createReplicaMembership(options: ReplicaMembershipOptions): ReplicaMembership {
  const id = options.replicaId ?? defaultReplicaId();
  const heartbeatMs = options.heartbeatMs ?? 2000;
  const leaseMs = options.leaseMs ?? 3 * heartbeatMs;
  const key = REPLICA_KEY_PREFIX + id;
  const startedAt = new Date().toISOString();
  let timer: ReturnType<typeof setInterval> | undefined;
  let closed = false;
  let failing = false;
  let inFlight: Promise<void> | undefined;
  let again = false;

  const write = async (): Promise<void> => {
    const now = Date.now();
    const address = options.address();
    const record: ReplicaRecord = {
      id,
      hubId: options.hubId(),
      ...(address ? { address } : {}),
      startedAt,
      heartbeatAt: new Date(now).toISOString(),
      expiresAt: new Date(now + leaseMs).toISOString(),
      upstreams: options.upstreams().map(({ id: upstream, state, error }) => ({
        id: upstream,
        state,
        ...(error ? { error } : {}),
      })),
      ...(options.configDigest ? { configDigest: options.configDigest() } : {}),
    };
    await options.kv.set(key, JSON.stringify(record), { ttlMs: leaseMs });
  };

  const heartbeat = async (): Promise<void> => {
    if (closed) return;
    // One write at a time; a request during a write runs once more afterwards.
    if (inFlight) {
      again = true;
      return inFlight;
    }
    inFlight = (async () => {
      do {
        again = false;
        try {
          await write();
          if (failing) {
            failing = false;
            options.logger.info({ replica: id }, 'cluster: heartbeat renewed again');
            options.onRecovered?.();
          }
        } catch (error) {
          if (!failing) {
            options.logger.warn(
              { replica: id, err: (error as Error).message },
              'cluster: cannot renew this replica’s lease in the store; retrying every heartbeat',
            );
          }
          failing = true;
        }
      } while (again && !closed);
    })().finally(() => {
      inFlight = undefined;
    });
    return inFlight;
  };

  return {
    id,
    leaseMs,
    async start() {
      if (timer || closed) return;
      await heartbeat();
      timer = setInterval(() => void heartbeat(), heartbeatMs);
      timer.unref?.();
    },
    heartbeat,
    async list() {
      const replicas: ReplicaRecord[] = [];
      let cursor: string | undefined;
      do {
        const page = await options.kv.list({
          prefix: REPLICA_KEY_PREFIX,
          limit: 500,
          ...(cursor ? { cursor } : {}),
        });
        for (const entry of page.entries) {
          try {
            replicas.push(JSON.parse(entry.value) as ReplicaRecord);
          } catch {
            // A damaged record: leave it out; it expires with its lease.
          }
        }
        cursor = page.cursor;
      } while (cursor);
      return replicas;
    },
    async close() {
      if (closed) return;
      closed = true;
      if (timer) clearInterval(timer);
      await inFlight;
      await options.kv
        .delete(key)
        .catch((error: unknown) =>
          options.logger.warn(
            { replica: id, err: (error as Error).message },
            'cluster: could not deregister this replica; it drops out when its lease runs out',
          ),
        );
    },
  };
}
