/**
 * The cluster-wide list of deleted 2025-era sessions (`DELETE /mcp`): a key per session in the
 * shared store, with a TTL of the session's remaining lifetime (after that its id is refused as
 * expired anyway), announced on a pub/sub channel. Every replica keeps the list in memory, loaded
 * once at start and fed by the channel, so checking a session is a local lookup: no store round
 * trip per request. Also holds each session's log level (`logging/setLevel` changes it after the
 * id was sealed): written to the store (read when a replica restores the session) and announced,
 * so the replicas holding a copy of the session apply it too.
 *
 * The store is typed structurally (the `kv` and `pubsub` parts of `@fedmcp/store`'s `Store`), so
 * this package does not depend on the store package.
 */
import type { Logger } from '@fedmcp/protocol';
import { silentLogger } from '@fedmcp/protocol';

/** The part of a shared store the session state needs (a `@fedmcp/store` `Store` fits). */
export interface SessionStateStore {
  kv: {
    get(key: string): Promise<{ value: string } | undefined>;
    set(key: string, value: string, options?: { ttlMs?: number }): Promise<unknown>;
    list(options?: { prefix?: string; cursor?: string; limit?: number }): Promise<{
      entries: Array<{ key: string; value: string; expiresAt?: number }>;
      cursor?: string;
    }>;
  };
  pubsub: {
    publish(channel: string, message: string): Promise<void>;
    subscribe(
      channel: string,
      listener: (message: string, channel: string) => void,
    ): Promise<{ unsubscribe(): Promise<void> }>;
  };
}

/** Options for {@link createSessionRevocations}. */
export interface SessionRevocationsOptions {
  store: SessionStateStore;
  /** Prefix of the keys and channel. @default 'fedmcp:session:' */
  prefix?: string;
  /**
   * How often the list is read again from the store, for deletions announced while this replica
   * could not hear the channel (a store outage); `0` never. @default 60000
   */
  resyncIntervalMs?: number;
  logger?: Logger;
}

/** The revocation list of one replica; see the file comment. */
export interface SessionRevocations {
  /** Loads the list and subscribes to the channel; call once before serving. */
  start(): Promise<void>;
  /** Whether a session (by its nonce) was deleted: a local lookup. */
  isRevoked(nonce: string): boolean;
  /**
   * Deletes a session cluster-wide: written to the store (until `expiresAt`) and announced.
   * @throws the store's error when the write fails (the deletion did not happen).
   */
  revoke(nonce: string, expiresAt: number): Promise<void>;
  /** Runs `listener` when any replica deletes a session (to drop a local copy). */
  onRevoked(listener: (nonce: string) => void): void;
  /** Records a session's log level (until `expiresAt`) and announces it to every replica. */
  setLogLevel(nonce: string, level: string, expiresAt: number): Promise<void>;
  /** A session's log level, if it was set after `initialize` (this replica's copy, else the store's). */
  logLevel(nonce: string): Promise<string | undefined>;
  /** The log level of a session as this replica last heard it (no store access). */
  knownLogLevel(nonce: string): string | undefined;

  /** Unsubscribes. */
  close(): Promise<void>;
}

/** Creates a replica's view of the cluster-wide revocation list. */
export function createSessionRevocations(options: SessionRevocationsOptions): SessionRevocations {
  const { store } = options;
  const logger = options.logger ?? silentLogger;
  const prefix = options.prefix ?? 'fedmcp:session:';
  const revokedPrefix = `${prefix}revoked:`;
  const channel = `${prefix}revoked`;
  // nonce → expiry (ms since epoch)
  const revoked = new Map<string, number>();
  const listeners: Array<(nonce: string) => void> = [];
  // nonce → [level, expiry]
  const levels = new Map<string, [string, number]>();
  const levelChannel = `${prefix}level`;
  let subscription: { unsubscribe(): Promise<void> } | undefined;
  let resync: ReturnType<typeof setInterval> | undefined;
  let levelSubscription: { unsubscribe(): Promise<void> } | undefined;
  let lastPrune = 0;

  const add = (nonce: string, expiresAt: number) => {
    revoked.set(nonce, expiresAt);
    for (const listener of listeners) listener(nonce);
  };
  const prune = (now: number) => {
    if (now - lastPrune < 60_000) return;
    lastPrune = now;
    for (const [nonce, expiresAt] of revoked) if (expiresAt <= now) revoked.delete(nonce);
    for (const [nonce, [, expiresAt]] of levels) if (expiresAt <= now) levels.delete(nonce);
  };
  const applyLevel = (nonce: string, level: string, expiresAt: number) => {
    levels.set(nonce, [level, expiresAt]);
  };

  /** Reads the whole list from the store and adds what this replica had not heard of. */
  async function load(): Promise<void> {
    let cursor: string | undefined;
    do {
      const page = await store.kv.list({
        prefix: revokedPrefix,
        limit: 500,
        ...(cursor ? { cursor } : {}),
      });
      for (const entry of page.entries) {
        const nonce = entry.key.slice(revokedPrefix.length);
        if (!revoked.has(nonce)) add(nonce, Number(entry.value));
      }
      cursor = page.cursor;
    } while (cursor);
  }

  return {
    async start() {
      // Subscribe before listing, so a deletion between the two is not missed.
      subscription = await store.pubsub.subscribe(channel, (message) => {
        const [nonce, expiry] = message.split(' ');
        const expiresAt = Number(expiry);
        if (!nonce || !Number.isFinite(expiresAt)) {
          logger.warn({ channel }, 'Ignored a malformed session revocation message');
          return;
        }
        add(nonce, expiresAt);
      });
      levelSubscription = await store.pubsub.subscribe(levelChannel, (message) => {
        const [nonce, level, expiry] = message.split(' ');
        const expiresAt = Number(expiry);
        if (!nonce || !level || !Number.isFinite(expiresAt)) return;
        applyLevel(nonce, level, expiresAt);
      });
      await load();
      const every = options.resyncIntervalMs ?? 60_000;
      if (every > 0) {
        resync = setInterval(() => {
          load().catch((error: unknown) =>
            logger.warn(
              { err: error },
              'Reading the session revocation list failed; retrying later',
            ),
          );
        }, every);
        (resync as { unref?: () => void }).unref?.();
      }
    },
    isRevoked(nonce) {
      const expiresAt = revoked.get(nonce);
      if (expiresAt === undefined) return false;
      const now = Date.now();
      prune(now);
      return expiresAt > now;
    },
    async revoke(nonce, expiresAt) {
      const ttlMs = Math.max(1_000, expiresAt - Date.now());
      await store.kv.set(`${revokedPrefix}${nonce}`, String(expiresAt), { ttlMs });
      add(nonce, expiresAt);
      await store.pubsub.publish(channel, `${nonce} ${expiresAt}`);
    },
    onRevoked(listener) {
      listeners.push(listener);
    },
    async setLogLevel(nonce, level, expiresAt) {
      const ttlMs = Math.max(1_000, expiresAt - Date.now());
      await store.kv.set(`${prefix}level:${nonce}`, level, { ttlMs });
      applyLevel(nonce, level, expiresAt);
      await store.pubsub.publish(levelChannel, `${nonce} ${level} ${expiresAt}`);
    },
    async logLevel(nonce) {
      prune(Date.now());
      return levels.get(nonce)?.[0] ?? (await store.kv.get(`${prefix}level:${nonce}`))?.value;
    },
    knownLogLevel(nonce) {
      return levels.get(nonce)?.[0];
    },
    async close() {
      if (resync) clearInterval(resync);
      resync = undefined;
      await Promise.all([subscription?.unsubscribe(), levelSubscription?.unsubscribe()]);
      subscription = undefined;
      levelSubscription = undefined;
    },
  };
}
