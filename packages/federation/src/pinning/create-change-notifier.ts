/**
 * `onChange` of the pinning guard: local listeners, told at once of approvals made in this
 * process, and of approvals made by another process (the CLI, another replica) when polling
 * sees the store's version counter move.
 */
import type { Logger } from '@fedmcp/protocol';
import type { PinStore } from './create-pin-store.js';

/** Options of {@link createChangeNotifier}. */
export interface ChangeNotifierOptions {
  /** Where the version counter lives. */
  store: Pick<PinStore, 'version' | 'bumpVersion'>;
  /** How often to check the counter while there are listeners; 0 turns polling off. */
  pollIntervalMs: number;
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
      startPolling();
      return () => {
        listeners.delete(listener);
        if (listeners.size === 0) stopPolling();
      };
    },

    async baseline() {
      if (lastVersion === undefined) lastVersion = await store.version();
    },

    async approved() {
      // Called after the pins are written, so whoever sees the new version also sees the pins.
      lastVersion = await store.bumpVersion();
      emit();
    },

    close() {
      closed = true;
      stopPolling();
      listeners.clear();
    },
  };
}
