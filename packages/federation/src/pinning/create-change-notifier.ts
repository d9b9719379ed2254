/**
 * `onChange` of the pinning guard: local listeners, told at once of approvals made in this
 * process, of approvals made by another process on the same store's pub/sub (another replica,
 * the CLI) as soon as they are published, and of approvals by a process without pub/sub when
 * polling sees the store's version counter move.
 */
import type { Logger } from '@fedmcp/protocol';
import type { PubSub, Subscription } from '@fedmcp/store';
import type { PinStore } from './create-pin-store.js';

/** The pub/sub channel approvals are announced on (the store's prefix applies). */
export const PIN_CHANGES_CHANNEL = 'pins:changed';

/** Options of {@link createChangeNotifier}. */
export interface ChangeNotifierOptions {
  /** Where the version counter lives. */
  store: Pick<PinStore, 'version' | 'bumpVersion'>;
  /** How often to check the counter while there are listeners; 0 turns polling off. */
  pollIntervalMs: number;
  /**
   * The store's pub/sub: approvals are announced on {@link PIN_CHANGES_CHANNEL} and announcements
   * from other processes reach the listeners at once. @default none (polling only)
   */
  pubsub?: Pick<PubSub, 'publish' | 'subscribe'>;
  /** Receives listener and polling failures. */
  logger: Logger;
}

/** The listeners and the polling of {@link createChangeNotifier}. */
export interface ChangeNotifier {
  /** Adds a listener (and starts polling); returns its removal (the last one stops polling). */
  subscribe(listener: () => void): () => void;
  /** Records the version a review reflects, once: approvals counted after it are news. */
  baseline(): Promise<void>;
  /** Bumps the version after approvals were written, and tells the listeners here. */
  approved(): Promise<void>;
  /** Stops polling for good and drops the listeners. */
  close(): void;
}

/** Creates the notifier; it polls only while it has listeners, on an unref'd timer. */
export function createChangeNotifier(options: ChangeNotifierOptions): ChangeNotifier {
  const { store, pollIntervalMs, logger } = options;
  const listeners = new Set<() => void>();
  let timer: ReturnType<typeof setInterval> | undefined;
  let lastVersion: string | undefined;
  let polling = false;
  let closed = false;
  let subscription: Promise<Subscription | undefined> | undefined;
  const pubsub = options.pubsub;

  function listen() {
    if (!pubsub || subscription || closed) return;
    subscription = pubsub
      .subscribe(PIN_CHANGES_CHANNEL, (version) => {
        if (version === lastVersion) return; // our own announcement, already told
        lastVersion = version;
        emit();
      })
      .catch((error: unknown) => {
        logger.warn({ err: error }, 'Could not subscribe to pin approvals; polling only');
        subscription = undefined;
        return undefined;
      });
  }

  function unlisten() {
    const current = subscription;
    subscription = undefined;
    void current?.then((active) => active?.unsubscribe()).catch(() => undefined);
  }

  function emit() {
    for (const listener of [...listeners]) {
      try {
        listener();
      } catch (error) {
        logger.error({ err: error }, 'A pinning change listener threw');
      }
    }
  }

  async function poll() {
    if (polling || closed) return;
    polling = true;
    try {
      const value = await store.version();
      if (lastVersion !== undefined && value !== lastVersion) {
        lastVersion = value;
        emit();
      }
      lastVersion = value;
    } catch (error) {
      logger.warn({ err: error }, 'Could not check the store for pin approvals');
    } finally {
      polling = false;
    }
  }

  function startPolling() {
    if (timer || pollIntervalMs <= 0 || closed) return;
    void poll(); // learns the current version
    timer = setInterval(() => void poll(), pollIntervalMs);
    (timer as { unref?: () => void }).unref?.();
  }

  function stopPolling() {
    if (timer) clearInterval(timer);
    timer = undefined;
  }

  return {
    subscribe(listener) {
      listeners.add(listener);
      listen();
      startPolling();
      return () => {
        listeners.delete(listener);
        if (listeners.size === 0) {
          stopPolling();
          unlisten();
        }
      };
    },

    async baseline() {
      if (lastVersion === undefined) lastVersion = await store.version();
    },

    async approved() {
      // Called after the pins are written, so whoever sees the new version also sees the pins.
      const version = await store.bumpVersion();
      lastVersion = version;
      emit();
      // Other replicas hear of it now rather than at their next poll; the pins are already
      // written, so a failed announcement only delays them until that poll.
      await pubsub
        ?.publish(PIN_CHANGES_CHANNEL, version)
        .catch((error: unknown) =>
          logger.warn(
            { err: error },
            'Could not announce a pin approval; others see it at their next poll',
          ),
        );
    },

    close() {
      closed = true;
      stopPolling();
      unlisten();
      listeners.clear();
    },
  };
}
