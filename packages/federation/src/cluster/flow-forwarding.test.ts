import { FedmcpError } from '@fedmcp/protocol';
import { createMemoryStore, type PubSub } from '@fedmcp/store';
import { afterEach, describe, expect, it } from 'vitest';
import {
  createFlowForwarding,
  type FlowForwarding,
  type HeldRoundOutcome,
} from './flow-forwarding.js';

const opened: FlowForwarding[] = [];
afterEach(async () => {
  for (const forwarding of opened.splice(0)) await forwarding.close();
});

function replica(pubsub: PubSub, replicaId: string, silenceTimeoutMs = 2_000) {
  const forwarding = createFlowForwarding({ pubsub, replicaId, silenceTimeoutMs });
  opened.push(forwarding);
  return forwarding;
}

const round = (flowId: string) => ({
  flowId,
  owner: 'alice',
  inputResponses: { 'input-1': { action: 'accept' } },
  capabilities: { sampling: {} },
});

async function failure(promise: Promise<unknown>): Promise<FedmcpError> {
  const error = await promise.then(
    () => undefined,
    (thrown: unknown) => thrown,
  );
  if (!FedmcpError.isInstance(error)) throw new Error(`expected a FedmcpError, got ${error}`);
  return error;
}

describe('createFlowForwarding', () => {
  it('names its flows after the replica and tells whose a flow is', () => {
    const { pubsub } = createMemoryStore();
    const one = replica(pubsub, 'one');
    const id = one.newFlowId();
    expect(id.startsWith('one.')).toBe(true);
    expect(one.holderOf(id)).toBeUndefined();
    expect(one.holderOf('two.0f6c')).toBe('two');
    expect(one.holderOf(crypto.randomUUID())).toBeUndefined();
    expect(() => createFlowForwarding({ pubsub, replicaId: 'a.b' })).toThrow(TypeError);
    expect(() => createFlowForwarding({ pubsub, replicaId: '' })).toThrow(TypeError);
  });

  it('runs a round on the holder and brings its notifications and outcome back', async () => {
    const { pubsub } = createMemoryStore();
    const holder = replica(pubsub, 'holder');
    const other = replica(pubsub, 'other');
    const seen: unknown[] = [];
    await holder.serve(async (forwarded, _signal, notify) => {
      seen.push(forwarded);
      notify('notifications/progress', { progress: 1, total: 2 });
      notify('notifications/message', { level: 'info', data: 'halfway' });
      return { type: 'result', result: { content: [{ type: 'text', text: 'done' }] } };
    });
    const flowId = holder.newFlowId();
    const notified: unknown[] = [];
    const outcome = await other.forward(
      'holder',
      round(flowId),
      new AbortController().signal,
      (method, params) => notified.push({ method, params }),
    );
    expect(outcome).toEqual({
      type: 'result',
      result: { content: [{ type: 'text', text: 'done' }] },
    });
    expect(seen).toEqual([round(flowId)]);
    expect(notified).toEqual([
      { method: 'notifications/progress', params: { progress: 1, total: 2 } },
      { method: 'notifications/message', params: { level: 'info', data: 'halfway' } },
    ]);
  });

  it('carries the holder error and a hold that throws as JSON-RPC errors', async () => {
    const { pubsub } = createMemoryStore();
    const holder = replica(pubsub, 'holder');
    const other = replica(pubsub, 'other');
    await holder.serve(async () => {
      throw new FedmcpError('INVALID_PARAMS', 'not yours');
    });
    const outcome = await other.forward('holder', round('holder.x'), new AbortController().signal);
    expect(outcome).toEqual({
      type: 'error',
      error: expect.objectContaining({ code: -32602, message: 'not yours' }),
    });
  });

  it('keeps waiting while the holder works, however long that is', async () => {
    const { pubsub } = createMemoryStore();
    const holder = replica(pubsub, 'holder', 300);
    const other = replica(pubsub, 'other', 300);
    // The holder finishes once the waiting replica has heard it is working several times over.
    let heard = 0;
    let finish: (() => void) | undefined;
    const finished = new Promise<void>((resolve) => {
      finish = resolve;
    });
    const listening = await pubsub.subscribe('fedmcp:flows:other', (text) => {
      if (text.includes('"working"')) heard += 1;
      if (heard === 5) finish?.();
    });
    await holder.serve(async () => {
      await finished;
      return { type: 'input', questions: [{ key: 'input-2', method: 'roots/list', params: {} }] };
    });
    const outcome = await other.forward('holder', round('holder.x'), new AbortController().signal);
    expect(outcome.type).toBe('input');
    expect(heard).toBeGreaterThanOrEqual(5);
    await listening.unsubscribe();
  });

  it('says the holder stopped when nobody answers', async () => {
    const { pubsub } = createMemoryStore();
    const other = replica(pubsub, 'other', 200);
    const error = await failure(
      other.forward('gone', round('gone.x'), new AbortController().signal),
    );
    expect(error.code).toBe('UPSTREAM_UNAVAILABLE');
    expect(error.message).toContain('(gone) stopped or does not answer; call the tool again');
  });

  it('cancels the round on the holder when the client gives up', async () => {
    const { pubsub } = createMemoryStore();
    const holder = replica(pubsub, 'holder');
    const other = replica(pubsub, 'other');
    let started: (() => void) | undefined;
    const running = new Promise<void>((resolve) => {
      started = resolve;
    });
    const canceled = new Promise<unknown>((resolve) => {
      void holder.serve((_forwarded, signal) => {
        started?.();
        return new Promise<HeldRoundOutcome>(() => {
          signal.addEventListener('abort', () => resolve(signal.reason), { once: true });
        });
      });
    });
    const controller = new AbortController();
    const forwarded = failure(other.forward('holder', round('holder.x'), controller.signal));
    await running;
    controller.abort(new FedmcpError('CANCELED', 'the client left'));
    expect((await forwarded).code).toBe('CANCELED');
    expect(FedmcpError.from(await canceled).code).toBe('CANCELED');
  });

  it('says the store is unavailable when it cannot carry the round', async () => {
    const { pubsub } = createMemoryStore();
    const broken: PubSub = {
      subscribe: (channel, listener) => pubsub.subscribe(channel, listener),
      publish: async () => {
        throw new Error('connection refused');
      },
    };
    const other = replica(broken, 'other');
    const error = await failure(
      other.forward('holder', round('holder.x'), new AbortController().signal),
    );
    expect(error.code).toBe('STORE_UNAVAILABLE');
    const refusing: PubSub = {
      subscribe: async () => {
        throw new Error('connection refused');
      },
      publish: pubsub.publish,
    };
    const alone = replica(refusing, 'alone');
    expect(
      (await failure(alone.forward('holder', round('holder.x'), new AbortController().signal)))
        .code,
    ).toBe('STORE_UNAVAILABLE');
  });

  it('ignores what is not a message of its own on its channel', async () => {
    const { pubsub } = createMemoryStore();
    const holder = replica(pubsub, 'holder');
    const other = replica(pubsub, 'other');
    await holder.serve(async () => ({ type: 'result', result: {} }));
    await pubsub.publish('fedmcp:flows:holder', 'not json');
    await pubsub.publish(
      'fedmcp:flows:holder',
      JSON.stringify({ kind: 'round', from: 'other', ref: 1 }),
    );
    await pubsub.publish('fedmcp:flows:other', JSON.stringify({ kind: 'reply', ref: 99 }));
    expect(await other.forward('holder', round('holder.x'), new AbortController().signal)).toEqual({
      type: 'result',
      result: {},
    });
  });
});
