/**
 * How a call that asked a user to sign in (an in-call URL elicitation) learns that the sign-in
 * is over: the replica whose `/oauth/callback` finished it writes the outcome under the
 * elicitation's id (expiring) and publishes it on the store's pub/sub, so the waiting call may be
 * on any replica. A waiter subscribes first, then reads the record (a sign-in that ended before it
 * subscribed is not missed), then waits for the message — and reads the record again every
 * `recheckMs`, since pub/sub is fire-and-forget (a message lost to a reconnect).
 */
import type { KeyValueStore, PubSub } from '@fedmcp/store';

/** How a sign-in ended. */
export type SignInOutcome = 'completed' | 'failed';

/** Options of {@link createSignInSignals}. */
export interface SignInSignalsOptions {
  /** Where outcomes are kept until they expire (the hub's store). */
  kv: Pick<KeyValueStore, 'get' | 'set'>;
  /** The store's pub/sub; without it only this process's sign-ins are heard at once. */
  pubsub?: PubSub;
  /** How long an outcome is kept. */
  ttlMs: number;
  /** How often a waiter reads the record again. @default 5000 */
  recheckMs?: number;
}

/** Signals of sign-in outcomes, shared by replicas on one store. */
export interface SignInSignals {
  /** Records and announces how the sign-in of `elicitationId` ended. Never throws. */
  settle(elicitationId: string, outcome: SignInOutcome): Promise<void>;
  /**
   * Waits until the sign-in of `elicitationId` ends.
   * @throws the signal's reason when it aborts first.
   */
  wait(elicitationId: string, signal: AbortSignal): Promise<SignInOutcome>;
}

const CHANNEL = 'fedmcp:oauth-sign-in';
const recordKey = (elicitationId: string) => `oauth-sign-in:${elicitationId}`;
const isOutcome = (value: unknown): value is SignInOutcome =>
  value === 'completed' || value === 'failed';

/** Creates the signals (see the file comment). */
export function createSignInSignals(options: SignInSignalsOptions): SignInSignals {
  const local = new EventTarget();
  const announce = (elicitationId: string, outcome: SignInOutcome) =>
    local.dispatchEvent(new CustomEvent(elicitationId, { detail: outcome }));
  let subscribed: Promise<unknown> | undefined;
  const subscribe = () => {
    subscribed ??= options.pubsub
      ?.subscribe(CHANNEL, (message) => {
        try {
          const { id, outcome } = JSON.parse(message) as { id?: unknown; outcome?: unknown };
          if (typeof id === 'string' && isOutcome(outcome)) announce(id, outcome);
        } catch {
          // Not ours: ignored.
        }
      })
      .catch(() => {
        subscribed = undefined;
      });
    return subscribed;
  };
  return {
    async settle(elicitationId, outcome) {
      announce(elicitationId, outcome);
      try {
        await options.kv.set(recordKey(elicitationId), outcome, { ttlMs: options.ttlMs });
        await options.pubsub?.publish(CHANNEL, JSON.stringify({ id: elicitationId, outcome }));
      } catch {
        // A waiter on another replica then ends with its round's timeout.
      }
    },
    async wait(elicitationId, signal) {
      signal.throwIfAborted();
      let listener: ((event: Event) => void) | undefined;
      let onAbort: (() => void) | undefined;
      let recheck: ReturnType<typeof setInterval> | undefined;
      const read = async () => {
        const stored = (await options.kv.get(recordKey(elicitationId)).catch(() => undefined))
          ?.value;
        return isOutcome(stored) ? stored : undefined;
      };
      const heard = new Promise<SignInOutcome>((resolve, reject) => {
        listener = (event) => resolve((event as CustomEvent<SignInOutcome>).detail);
        onAbort = () => reject(signal.reason);
        local.addEventListener(elicitationId, listener);
        signal.addEventListener('abort', onAbort, { once: true });
        recheck = setInterval(() => {
          void read().then((outcome) => outcome && resolve(outcome));
        }, options.recheckMs ?? 5000);
      });
      try {
        await subscribe();
        return (await read()) ?? (await heard);
      } finally {
        clearInterval(recheck);
        if (listener) local.removeEventListener(elicitationId, listener);
        if (onAbort) signal.removeEventListener('abort', onAbort);
      }
    },
  };
}
