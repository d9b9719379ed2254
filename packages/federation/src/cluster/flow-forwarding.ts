/**
 * Rounds of a 2026-07-28 interactive call retried on another replica (issue 14). The paused
 * upstream call (its `Flow`) lives on the replica that started it (the holder); the client's
 * retry carrying `inputResponses` and the signed `requestState` may reach any replica behind a
 * load balancer without stickiness. A flow's id names its holder (`<replica>.<uuid>`), so the
 * replica that gets a retry for a flow it does not hold publishes the round on the holder's
 * channel of the store's pub/sub and answers the client with what the holder answers: the next
 * questions (the forwarding replica mints their `requestState`) or the call's end.
 *
 * The holder acknowledges a round at once and says it is still working at a steady pace while the
 * upstream runs, so a forwarding replica that hears nothing for `silenceTimeoutMs` knows the
 * holder stopped, and says so (call the tool again), however long the upstream legitimately
 * takes. A client that gives up its retry cancels the call on the holder, as on one replica. The
 * holder checks the caller against the flow's owner as a local retry does.
 */
import { FedmcpError, type Logger, silentLogger } from '@fedmcp/protocol';
import type { PubSub } from '@fedmcp/store';
import type { ClientCapabilities, Result } from '@modelcontextprotocol/server';
import { hubError } from '../errors.js';

/** Options of the hub's flow forwarding (`HubOptions.flowForwarding`). */
export interface FlowForwardingOptions {
  /** The pub/sub every replica shares (a `@fedmcp/store` `Store`'s `pubsub`). */
  pubsub: PubSub;
  /** This replica's id, in its flows' ids and its channel's name (no "."). */
  replicaId: string;
  /** Prefix of the channels. @default 'fedmcp:flows:' */
  prefix?: string;
  /**
   * How long a forwarded round waits without a word from the holder before it says the holder
   * stopped. The holder speaks at a third of this pace while the round runs. @default 5000
   */
  silenceTimeoutMs?: number;
  logger?: Logger;
}

/** A client's retry as the holder needs it. */
export interface ForwardedRound {
  flowId: string;
  /** Who retried (a principal key): the holder refuses anyone but the flow's owner. */
  owner: string;
  inputResponses: Record<string, unknown>;
  /** The retrying client's capabilities (what the upstream may ask next). */
  capabilities: ClientCapabilities;
}

/** One question of a round, as it goes into `inputRequests`. */
export interface RoundQuestion {
  key: string;
  method: string;
  params: Record<string, unknown>;
}

/** What a round ends with on the holder. */
export type HeldRoundOutcome =
  | { type: 'input'; questions: RoundQuestion[] }
  | { type: 'result'; result: Result }
  | { type: 'error'; error: { code: number; message: string; data?: unknown } };

/** A notification of the upstream call during a round (progress, a log message). */
export type RoundNotify = (method: string, params: Record<string, unknown>) => void;

/**
 * Runs a forwarded round on the holder; `signal` aborts when the retrying client gives up, and
 * `notify` passes the call's progress and log messages to the retrying client.
 */
export type HoldRound = (
  round: ForwardedRound,
  signal: AbortSignal,
  notify: RoundNotify,
) => Promise<HeldRoundOutcome>;

/** The flow forwarding of one replica; see the file comment. */
export interface FlowForwarding {
  readonly replicaId: string;
  /** The id of a new flow held by this replica. */
  newFlowId(): string;
  /** The replica holding a flow, when it is another one (undefined for this replica's or a bare id). */
  holderOf(flowId: string): string | undefined;
  /** Subscribes to this replica's channel and runs forwarded rounds with `hold`; idempotent. */
  serve(hold: HoldRound): Promise<void>;
  /**
   * Sends a round to the replica holding its flow and waits for its end; `onNotification`
   * receives the call's progress and log messages meanwhile.
   * @throws FedmcpError UPSTREAM_UNAVAILABLE when the holder stopped or never answers,
   *   STORE_UNAVAILABLE when the store cannot carry the round.
   */
  forward(
    holder: string,
    round: ForwardedRound,
    signal: AbortSignal,
    onNotification?: RoundNotify,
  ): Promise<HeldRoundOutcome>;
  /** Unsubscribes; rounds still forwarded fail, rounds still held are canceled. */
  close(): Promise<void>;
}

type ChannelMessage =
  | { kind: 'round'; from: string; ref: number; round: ForwardedRound }
  | { kind: 'cancel'; from: string; ref: number }
  | { kind: 'working'; ref: number }
  | { kind: 'notify'; ref: number; method: string; params: Record<string, unknown> }
  | { kind: 'reply'; ref: number; outcome: HeldRoundOutcome };

interface Waiting {
  /** The holder spoke: the silence timer starts again. */
  heard(): void;
  notify: RoundNotify | undefined;
  settle(outcome: HeldRoundOutcome | FedmcpError): void;
}

/** The wire form of anything a held round throws. */
export function wireError(error: unknown): HeldRoundOutcome {
  return { type: 'error', error: FedmcpError.from(error).toJsonRpcError() };
}

/** Creates the flow forwarding of one replica. */
export function createFlowForwarding(options: FlowForwardingOptions): FlowForwarding {
  const { pubsub, replicaId } = options;
  if (!replicaId || replicaId.includes('.')) {
    throw new TypeError('a replica id must be non-empty and must not contain "."');
  }
  const logger = options.logger ?? silentLogger;
  const prefix = options.prefix ?? 'fedmcp:flows:';
  const silenceMs = options.silenceTimeoutMs ?? 5_000;
  const channelOf = (replica: string) => `${prefix}${replica}`;
  const publish = (replica: string, message: ChannelMessage) =>
    pubsub.publish(channelOf(replica), JSON.stringify(message));
  const waiting = new Map<number, Waiting>();
  const held = new Map<string, AbortController>();
  let references = 0;
  let hold: HoldRound | undefined;
  let subscription: Promise<{ unsubscribe(): Promise<void> }> | undefined;
  let closed = false;

  const runHeld = async (from: string, ref: number, round: ForwardedRound) => {
    const key = `${from}:${ref}`;
    const controller = new AbortController();
    held.set(key, controller);
    const say = (message: ChannelMessage) =>
      publish(from, message).catch((error: unknown) =>
        logger.warn({ err: error }, 'Answering a forwarded round failed'),
      );
    void say({ kind: 'working', ref });
    const pace = setInterval(() => void say({ kind: 'working', ref }), Math.ceil(silenceMs / 3));
    let outcome: HeldRoundOutcome;
    try {
      outcome = hold
        ? await hold(round, controller.signal, (method, params) => {
            void say({ kind: 'notify', ref, method, params });
          })
        : wireError(
            hubError(
              'INVALID_PARAMS',
              'This interactive call is over or expired; call the tool again.',
            ),
          );
    } catch (error) {
      outcome = wireError(error);
    } finally {
      clearInterval(pace);
      held.delete(key);
    }
    await say({ kind: 'reply', ref, outcome });
  };

  const onMessage = (text: string) => {
    let message: ChannelMessage;
    try {
      message = JSON.parse(text) as ChannelMessage;
    } catch {
      return;
    }
    switch (message.kind) {
      case 'round':
        if (typeof message.round?.flowId === 'string' && typeof message.round.owner === 'string') {
          void runHeld(message.from, message.ref, message.round);
        }
        return;
      case 'cancel':
        held
          .get(`${message.from}:${message.ref}`)
          ?.abort(hubError('CANCELED', 'The client canceled the call.'));
        return;
      case 'working':
        waiting.get(message.ref)?.heard();
        return;
      case 'notify': {
        const entry = waiting.get(message.ref);
        entry?.heard();
        if (typeof message.method === 'string' && typeof message.params === 'object') {
          entry?.notify?.(message.method, message.params ?? {});
        }
        return;
      }
      case 'reply':
        waiting.get(message.ref)?.settle(message.outcome);
        return;
    }
  };

  const subscribe = () => {
    // A failed subscription (the store unreachable) is tried again on the next use.
    subscription ??= pubsub.subscribe(channelOf(replicaId), onMessage).catch((error: unknown) => {
      subscription = undefined;
      throw error;
    });
    return subscription.then(() => {});
  };

  return {
    replicaId,
    newFlowId: () => `${replicaId}.${crypto.randomUUID()}`,
    holderOf(flowId) {
      const end = flowId.indexOf('.');
      const holder = end > 0 ? flowId.slice(0, end) : undefined;
      return holder === replicaId ? undefined : holder;
    },
    serve(handler) {
      hold = handler;
      return subscribe();
    },
    async forward(holder, round, signal, onNotification) {
      const unreachable = (error: unknown) =>
        new FedmcpError(
          'STORE_UNAVAILABLE',
          'The replica running this call cannot be reached (the shared store is unavailable); call the tool again.',
          { cause: error, data: { replica: holder } },
        );
      try {
        await subscribe(); // the holder answers on this replica's channel
      } catch (error) {
        throw unreachable(error);
      }
      references += 1;
      const ref = references;
      const ended = new Promise<HeldRoundOutcome | FedmcpError>((resolve) => {
        const stopped = () =>
          resolve(
            hubError(
              'UPSTREAM_UNAVAILABLE',
              `The hub replica running this call (${holder}) stopped or does not answer; call the tool again.`,
              { replica: holder },
            ),
          );
        let timer = setTimeout(stopped, silenceMs);
        waiting.set(ref, {
          notify: onNotification,
          heard() {
            clearTimeout(timer);
            timer = setTimeout(stopped, silenceMs);
          },
          settle(outcome) {
            clearTimeout(timer);
            resolve(outcome);
          },
        });
      });
      const onAbort = () => {
        waiting.get(ref)?.settle(FedmcpError.from(signal.reason));
        publish(holder, { kind: 'cancel', from: replicaId, ref }).catch(() => {});
      };
      signal.addEventListener('abort', onAbort, { once: true });
      try {
        if (signal.aborted) onAbort();
        else {
          await publish(holder, { kind: 'round', from: replicaId, ref, round }).catch(
            (error: unknown) => waiting.get(ref)?.settle(unreachable(error)),
          );
        }
        const outcome = await ended;
        if (FedmcpError.isInstance(outcome)) throw outcome;
        return outcome;
      } finally {
        signal.removeEventListener('abort', onAbort);
        waiting.delete(ref);
      }
    },
    async close() {
      if (closed) return;
      closed = true;
      for (const controller of held.values()) {
        controller.abort(hubError('CANCELED', 'The hub is shutting down.'));
      }
      for (const entry of waiting.values()) {
        entry.settle(hubError('CANCELED', 'The hub is shutting down.'));
      }
      const current = subscription;
      subscription = undefined;
      await current?.then((active) => active.unsubscribe()).catch(() => {});
    },
  };
}
