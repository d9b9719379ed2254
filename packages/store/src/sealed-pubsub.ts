/**
 * Pub/sub sealed under a cluster secret. Replicas of a hub talk over their shared store's pub/sub
 * (answers to questions asked inside calls, notifications, cancellations, session revocations,
 * task relays, sign-ins, admin changes): whoever can write to Redis could otherwise answer an
 * elicitation, cancel a call or revoke a session. Wrapped, every message published is sealed with
 * AES-256-GCM under a key derived from the cluster secret (its own HKDF label), with the channel
 * name bound as additional data (a message moved to another channel does not open) and its send
 * time inside the seal; every message received that does not open, is too old or was already
 * delivered is dropped, counted, and logged once per reason at warn, never with its content.
 *
 * Wire format: `s1.<key id>.<base64url(iv ‖ AES-GCM(sentAt "." message) ‖ tag)>`. The key id
 * picks the key to open with: the current secret seals, previous secrets (a rotation rolling out)
 * still open.
 */
import type { Logger } from '@fedmcp/protocol';
import { deriveClusterKey, openClusterText, sealClusterText } from './cluster-crypto.js';
import type { MessageListener, PubSub, Store, Subscription } from './store.js';

/** The HKDF label of the pub/sub key: distinct from the session-id and config-sync keys. */
export const SEALED_PUBSUB_PURPOSE = 'fedmcp/cluster-pubsub/aes-256-gcm/v1';
const FORMAT = 's1.';
/** base64url of the 12-byte IV, the first characters of the sealed body: a message's nonce. */
const NONCE_CHARS = 16;

/**
 * How old (or, with clocks apart, how far ahead) a message may be: 30 s. Pub/sub keeps nothing,
 * so a genuine message arrives within milliseconds of being sent (seconds under a stalled event
 * loop) or never; the window only has to absorb that plus the clock difference between replica
 * hosts (well under a second with NTP; a VM resumed with a stale clock is the case the margin is
 * for). Within it, each subscription remembers the nonces it delivered, so an exact replay is
 * dropped too; the window bounds that memory (message rate × 30 s).
 */
export const SEALED_PUBSUB_MAX_AGE_MS = 30_000;

/** Why a received message was dropped. */
export type SealedPubSubDropReason =
  /** Not in the sealed format: a replica without the cluster secret, or made up. */
  | 'unsealed'
  /** Sealed under a key this replica does not hold (another secret, or one rotated out). */
  | 'unknown-key'
  /** Does not open: altered, forged, or moved from another channel. */
  | 'unopened'
  /** Sent longer ago (or further ahead) than the window allows: a late replay, or clocks apart. */
  | 'stale'
  /** Delivered already on this subscription: a replay within the window. */
  | 'replayed';

/** Options of {@link sealPubSub}. */
export interface SealedPubSubOptions {
  /** The cluster secret: seals and opens. */
  secret: string;
  /** Earlier secrets still accepted while a rotation rolls out: they open, never seal. */
  previousSecrets?: readonly string[];
  /** Gets one warning per drop reason (no message content). @default silent */
  logger?: Logger;
  /** @default {@link SEALED_PUBSUB_MAX_AGE_MS} */
  maxAgeMs?: number;
  /** The clock (ms since the epoch), for tests. @default Date.now */
  now?: () => number;
}

/** A {@link PubSub} that seals what it publishes and opens what it receives. */
export interface SealedPubSub extends PubSub {
  /** Messages dropped so far, by reason. */
  dropped(): Readonly<Record<SealedPubSubDropReason, number>>;
}

const WARNINGS: Record<SealedPubSubDropReason, string> = {
  unsealed:
    'cluster: a pub/sub message was not sealed; dropped (a replica without the cluster secret, or a message written to the store by someone else)',
  'unknown-key':
    'cluster: a pub/sub message was sealed under a cluster secret this replica does not hold; dropped (check cluster.secret and cluster.previousSecrets on every replica)',
  unopened:
    'cluster: a pub/sub message did not open with the cluster secret; dropped (altered, forged, or moved from another channel)',
  stale:
    'cluster: a pub/sub message was older than the replay window; dropped (a replay, or the replicas’ clocks are apart: check NTP)',
  replayed: 'cluster: a pub/sub message was received twice; the replay was dropped',
};

interface Opened {
  nonce: string;
  sentAt: number;
  message: string;
}

/**
 * Wraps `pubsub` so every message published is sealed under `secret` and every message received
 * is opened, checked for age and replay, and dropped when any check fails (see the module
 * comment). Order is kept: messages are handed to the store in the order `publish` was called,
 * and to a listener in the order they arrived.
 * @throws {TypeError} when `secret` is empty.
 */
export function sealPubSub(pubsub: PubSub, options: SealedPubSubOptions): SealedPubSub {
  if (typeof options.secret !== 'string' || options.secret.length === 0) {
    throw new TypeError('sealPubSub: the cluster secret must be a non-empty string');
  }
  const now = options.now ?? Date.now;
  const maxAgeMs = options.maxAgeMs ?? SEALED_PUBSUB_MAX_AGE_MS;
  const keys = Promise.all(
    [options.secret, ...(options.previousSecrets ?? [])].map((secret) =>
      deriveClusterKey(secret, SEALED_PUBSUB_PURPOSE),
    ),
  );
  const current = keys.then(([first]) => first as Awaited<typeof keys>[number]);
  const byId = keys.then((all) => new Map(all.map(({ id, key }) => [id, key])));
  const counts: Record<SealedPubSubDropReason, number> = {
    unsealed: 0,
    'unknown-key': 0,
    unopened: 0,
    stale: 0,
    replayed: 0,
  };
  const drop = (reason: SealedPubSubDropReason, channel: string) => {
    counts[reason] += 1;
    if (counts[reason] === 1) {
      options.logger?.warn({ channel, reason }, WARNINGS[reason]);
    }
  };
  // Resolves once every earlier message was sealed and handed to the store.
  let handedOver: Promise<void> = Promise.resolve();

  const open = async (channel: string, raw: string): Promise<Opened | SealedPubSubDropReason> => {
    if (typeof raw !== 'string' || !raw.startsWith(FORMAT)) return 'unsealed';
    const dot = raw.indexOf('.', FORMAT.length);
    if (dot < 0) return 'unsealed';
    const key = (await byId).get(raw.slice(FORMAT.length, dot));
    if (!key) return 'unknown-key';
    const body = raw.slice(dot + 1);
    const text = await openClusterText(key, body, channel);
    const separator = text?.indexOf('.') ?? -1;
    const sentAt = Number(text?.slice(0, separator));
    if (text === undefined || separator < 1 || !Number.isSafeInteger(sentAt)) return 'unopened';
    return { nonce: body.slice(0, NONCE_CHARS), sentAt, message: text.slice(separator + 1) };
  };

  return {
    dropped: () => ({ ...counts }),
    publish(channel, message) {
      const sealed = current.then(async ({ id, key }) => {
        return `${FORMAT}${id}.${await sealClusterText(key, `${now()}.${message}`, channel)}`;
      });
      // Seals run in parallel; the store gets them in call order.
      const inTurn = handedOver.then(() => sealed);
      const sent = inTurn.then((text) => pubsub.publish(channel, text));
      handedOver = inTurn.then(
        () => undefined,
        () => undefined,
      );
      return sent;
    },
    async subscribe(channel: string, listener: MessageListener): Promise<Subscription> {
      // Nonces delivered on this subscription, with when they leave the window (insertion order).
      const delivered = new Map<string, number>();
      let queue: Promise<void> = Promise.resolve();
      let active = true;
      const deliver = (opened: Opened | SealedPubSubDropReason, source: string) => {
        if (!active) return;
        if (typeof opened === 'string') return drop(opened, channel);
        const time = now();
        if (Math.abs(time - opened.sentAt) >= maxAgeMs) return drop('stale', channel);
        for (const [nonce, until] of delivered) {
          if (until > time) break;
          delivered.delete(nonce);
        }
        if (delivered.has(opened.nonce)) return drop('replayed', channel);
        delivered.set(opened.nonce, opened.sentAt + maxAgeMs);
        try {
          listener(opened.message, source);
        } catch (error) {
          options.logger?.error(
            { err: (error as Error).message, channel },
            'store: a subscriber threw',
          );
        }
      };
      const inner = await pubsub.subscribe(channel, (raw, source) => {
        // Opens run in parallel; the listener gets them in arrival order.
        const opened = open(channel, raw).catch(() => 'unopened' as const);
        queue = queue.then(() => opened).then((result) => deliver(result, source));
      });
      const unsubscribe = async () => {
        active = false;
        await inner.unsubscribe();
      };
      return { unsubscribe, [Symbol.asyncDispose]: unsubscribe };
    },
  };
}

/**
 * `store` with its pub/sub sealed ({@link sealPubSub}); key/value, streams and leases are the
 * store's own (not sealed: see the package README). Closing it closes `store`.
 * @throws {TypeError} when `secret` is empty.
 */
export function withSealedPubSub(
  store: Store,
  options: SealedPubSubOptions,
): Store & { readonly pubsub: SealedPubSub } {
  const pubsub = sealPubSub(store.pubsub, options);
  return new Proxy(store, {
    get(object, property, receiver) {
      if (property === 'pubsub') return pubsub;
      const value = Reflect.get(object, property, receiver);
      return typeof value === 'function' ? value.bind(object) : value;
    },
  }) as Store & { readonly pubsub: SealedPubSub };
}
