/**
 * Config reloads across replicas. When one replica reloads its config file, it announces the
 * file's content on the shared store's pub/sub (channel `cluster:config`), sealed with AES-256-GCM
 * under a key derived (HKDF-SHA-256) from the cluster secret; every other replica opens it and
 * applies it as if its own file had changed, with its own environment and secrets file for the
 * `${ENV}` and `${secret:…}` references (the content travels as written, references unresolved).
 *
 * Why sealed: a config names the commands a hub runs (stdio upstreams), so a replica must never
 * apply one that someone with write access to Redis made up. Only a holder of the cluster secret
 * can produce a message that opens. Each message carries its time of issue inside the seal, and a
 * replica applies only messages newer than the last it applied, so an old message replayed from
 * the store's traffic changes nothing. Without a cluster secret nothing is announced.
 *
 * The message is the whole content (a config is small, a few KiB), so no store read follows it and
 * a reload reaches the other replicas in one pub/sub delivery. A replica that was cut off from the
 * store when a reload was announced keeps its config; its digest in `/status` and `fedmcp status`
 * shows the drift.
 */
import type { Logger } from '@fedmcp/protocol';
import {
  deriveClusterKey,
  openClusterText,
  type PubSub,
  type Subscription,
  sealClusterText,
} from '@fedmcp/store';

/** The channel of config announcements (the store's prefix applies). */
export const CLUSTER_CONFIG_CHANNEL = 'cluster:config';

const KEY_LABEL = 'fedmcp/cluster-config/aes-256-gcm/v1';
/** Largest announcement accepted (sealed, base64url). */
const MAX_MESSAGE_CHARS = 1_048_576;

/** What a replica announces: the config as written, and when. */
interface Announcement {
  origin: string;
  issuedAt: number;
  config: unknown;
}

/** Options of {@link createConfigSync}. */
export interface ConfigSyncOptions {
  pubsub: Pick<PubSub, 'publish' | 'subscribe'>;
  /** This replica's id: its own announcements are ignored. */
  replicaId: string;
  /** The cluster secret, and earlier ones still accepted while a rotation rolls out. */
  secret: string;
  previousSecrets?: readonly string[];
  /** Applies a config another replica reloaded (as written in its file, references unresolved). */
  onConfig(config: unknown, origin: string): Promise<void>;
  logger: Logger;
  /** The clock, for tests. */
  now?: () => number;
}

/** Announcing and hearing config reloads; see the module comment. */
export interface ConfigSync {
  /** Subscribes; resolves once announcements published afterwards are heard. */
  start(): Promise<void>;
  /** Announces this replica's reloaded config (as written in the file). Failures are logged. */
  announce(config: unknown): Promise<void>;
  close(): Promise<void>;
}

const deriveKey = async (secret: string) => (await deriveClusterKey(secret, KEY_LABEL)).key;

/** Seals an announcement: `base64url(iv ‖ ciphertext ‖ tag)`, the channel bound to it. */
export function sealAnnouncement(key: CryptoKey, announcement: Announcement): Promise<string> {
  return sealClusterText(key, JSON.stringify(announcement), CLUSTER_CONFIG_CHANNEL);
}

async function openAnnouncement(
  keys: readonly CryptoKey[],
  message: unknown,
): Promise<Announcement | undefined> {
  if (typeof message !== 'string' || message.length > MAX_MESSAGE_CHARS) return undefined;
  for (const key of keys) {
    // Not this key: try the next (a rotation in progress), else refuse.
    const text = await openClusterText(key, message, CLUSTER_CONFIG_CHANNEL);
    if (text === undefined) continue;
    try {
      const value = JSON.parse(text) as Partial<Announcement>;
      if (typeof value.origin !== 'string' || typeof value.issuedAt !== 'number') return undefined;
      return value as Announcement;
    } catch {
      return undefined;
    }
  }
  return undefined;
}

/** Creates a replica's side of config reloads across the cluster. */
export function createConfigSync(options: ConfigSyncOptions): ConfigSync {
  const { pubsub, replicaId, logger } = options;
  const now = options.now ?? Date.now;
  const keys = Promise.all([options.secret, ...(options.previousSecrets ?? [])].map(deriveKey));
  let subscription: Subscription | undefined;
  let starting: Promise<void> | undefined;
  // The newest announcement applied or made here: older ones (replays) change nothing.
  let newest = 0;
  // Announcements are applied one at a time, in the order they arrive.
  let applying: Promise<void> = Promise.resolve();

  const hear = async (message: unknown) => {
    const announcement = await openAnnouncement(await keys, message);
    if (!announcement) {
      logger.warn(
        { channel: CLUSTER_CONFIG_CHANNEL },
        'cluster: a config announcement did not open with this cluster secret; ignored (check that every replica has the same cluster.secret)',
      );
      return;
    }
    if (announcement.origin === replicaId) return;
    if (announcement.issuedAt <= newest) {
      logger.warn(
        { origin: announcement.origin },
        'cluster: an older config announcement was heard again; ignored',
      );
      return;
    }
    newest = announcement.issuedAt;
    logger.info({ origin: announcement.origin }, 'cluster: config reloaded on another replica');
    await options.onConfig(announcement.config, announcement.origin);
  };

  return {
    start() {
      starting ??= pubsub
        .subscribe(CLUSTER_CONFIG_CHANNEL, (message) => {
          applying = applying
            .then(() => hear(message))
            .catch((error: unknown) =>
              logger.error(
                { err: (error as Error).message },
                'cluster: the config announced by another replica was refused; this replica keeps its config',
              ),
            );
        })
        .then((active) => {
          subscription = active;
        })
        .catch((error: unknown) => {
          starting = undefined;
          throw error;
        });
      return starting;
    },
    async announce(config) {
      // Strictly increasing, also for two reloads within one millisecond.
      newest = Math.max(now(), newest + 1);
      try {
        const [key] = await keys;
        const message = await sealAnnouncement(key as CryptoKey, {
          origin: replicaId,
          issuedAt: newest,
          config,
        });
        await pubsub.publish(CLUSTER_CONFIG_CHANNEL, message);
      } catch (error) {
        logger.warn(
          { err: (error as Error).message },
          'cluster: the reloaded config could not be announced to the other replicas; reload it on each',
        );
      }
    },
    async close() {
      await starting?.catch(() => undefined);
      await subscription?.unsubscribe();
      subscription = undefined;
    },
  };
}
