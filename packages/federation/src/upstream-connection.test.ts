import { FedmcpError } from '@fedmcp/protocol';
import { describe, expect, it } from 'vitest';
import { freshState, startUpstream } from '../test/fixtures/direct-upstream.js';
import { eventually } from '../test/helpers.js';
import type { Upstream } from './upstream.js';
import {
  type AttributedCall,
  type RawCancellation,
  UpstreamConnection,
} from './upstream-connection.js';

/** A connection with `call` tracked as a running shared call (as callUpstream does). */
function run(connection: UpstreamConnection, call: AttributedCall): () => void {
  connection.plainCalls += 1;
  const untrack = connection.track(call);
  return () => {
    untrack();
    connection.plainCalls -= 1;
  };
}

const callOf = (party: object, name = 'tool'): AttributedCall => ({
  party,
  name,
  mayShare: false,
  ask: async () => ({}),
});

describe('UpstreamConnection question attribution', () => {
  it('attributes a question to the only party in flight, and settles it when its last call ends', () => {
    const connection = new UpstreamConnection({} as Upstream);
    const alice = {};
    expect(connection.asker()).toBeUndefined();
    const first = callOf(alice, 'first');
    const endFirst = run(connection, first);
    const endSecond = run(connection, callOf(alice, 'second'));
    const owner = connection.asker();
    expect(owner && 'call' in owner ? owner.call : undefined).toBe(first);
    const signal = owner && 'signal' in owner ? owner.signal : undefined;
    endFirst();
    expect(signal?.aborted).toBe(false);
    endSecond();
    expect(signal?.aborted).toBe(true);
    expect(connection.asker()).toBeUndefined();
  });

  it('calls a question ambiguous when another party, a plain call or an unleased request runs', () => {
    const connection = new UpstreamConnection({} as Upstream);
    const alice = {};
    const end = run(connection, callOf(alice, 'asks'));
    expect(connection.servesOnly(alice)).toBe(true);

    const endBob = run(connection, callOf({}, 'other'));
    expect(connection.servesOnly(alice)).toBe(false);
    expect(connection.asker()).toEqual({
      ambiguous: [
        expect.objectContaining({ name: 'asks' }),
        expect.objectContaining({ name: 'other' }),
      ],
    });
    endBob();

    connection.plainCalls += 1; // a plain client's call (not attributed)
    expect(connection.asker()).toHaveProperty('ambiguous');
    connection.plainCalls -= 1;

    connection.unleasedCalls += 1; // e.g. a prompts/get on the shared connection
    expect(connection.asker()).toHaveProperty('ambiguous');
    connection.unleasedCalls -= 1;

    expect(connection.asker()).toHaveProperty('call');
    end();
  });
});

/** A request's cancellation as a Streamable HTTP host gives it (McpFastRequestExtra.cancellation). */
class Cancellation implements RawCancellation {
  aborted = false;
  reason: unknown;
  readonly watchers = new Set<{ cancelled(reason: unknown): void }>();
  watch(listener: { cancelled(reason: unknown): void }) {
    if (this.aborted) listener.cancelled(this.reason);
    else this.watchers.add(listener);
  }
  unwatch(listener: { cancelled(reason: unknown): void }) {
    this.watchers.delete(listener);
  }
  abort(reason: unknown) {
    this.aborted = true;
    this.reason = reason;
    for (const watcher of this.watchers) watcher.cancelled(reason);
  }
}

describe('UpstreamConnection.rawRequest cancellation and timeouts', () => {
  it('cancels the request upstream when its cancellation aborts, and stops watching once answered', async () => {
    const state = freshState();
    const { upstream, connection } = await startUpstream(state);
    const cancellation = new Cancellation();
    const slow = connection.rawRequest(
      'tools/call',
      { name: 'slow', arguments: { ms: 10_000 } },
      { timeoutMs: 5_000, cancellation },
    );
    expect(cancellation.watchers.size).toBe(1);
    cancellation.abort(new Error('client cancelled'));
    await expect(slow).rejects.toThrow('client cancelled');
    await eventually(() => state.cancelled === 1);
    expect(connection.rawPending.size).toBe(0);
    // Already aborted: refused before anything is sent.
    await expect(
      connection.rawRequest('ping', undefined, { timeoutMs: 5_000, cancellation }),
    ).rejects.toThrow('client cancelled');
    const answered = new Cancellation();
    await connection.rawRequest(
      'tools/call',
      { name: 'echo', arguments: { text: 'x' } },
      { timeoutMs: 5_000, cancellation: answered },
    );
    expect(answered.watchers.size).toBe(0);
    await upstream.close();
  });

  it("passes the hub's own error raised while sending to the caller, and calls any other a send failure", async () => {
    const { upstream, connection } = await startUpstream(freshState());
    const transport = connection.client?.transport;
    if (!transport) throw new Error('no transport');
    const send = transport.send.bind(transport);
    // A per-user OAuth upstream whose grant was revoked: its auth provider asks for a sign-in.
    const signIn = new FedmcpError('UNAUTHENTICATED', 'Sign in to docs first.', {
      jsonRpcCode: -32042,
      data: { elicitations: [{ mode: 'url', elicitationId: 'e-1', url: 'https://as.test/' }] },
    });
    transport.send = () => Promise.reject(signIn);
    const echo = { name: 'echo', arguments: { text: 'x' } };
    await expect(connection.rawRequest('tools/call', echo, { timeoutMs: 5_000 })).rejects.toBe(
      signIn,
    );
    transport.send = () => Promise.reject(new Error('socket hang up'));
    await expect(
      connection.rawRequest('tools/call', echo, { timeoutMs: 5_000 }),
    ).rejects.toMatchObject({ code: 'SEND_FAILED', cause: new Error('socket hang up') });
    expect(connection.rawPending.size).toBe(0);
    transport.send = send;
    expect(await connection.rawRequest('tools/call', echo, { timeoutMs: 5_000 })).toMatchObject({
      result: { content: [{ type: 'text' }] },
    });
    await upstream.close();
  });

  it('times out each request after its own timeout, one sent later with a shorter one first', async () => {
    const state = freshState();
    const { upstream, connection } = await startUpstream(state);
    const long = connection.rawRequest(
      'tools/call',
      { name: 'slow', arguments: { ms: 600 } },
      { timeoutMs: 10_000 },
    );
    const short = connection.rawRequest(
      'tools/call',
      { name: 'hang', arguments: {} },
      { timeoutMs: 50 },
    );
    await expect(short).rejects.toMatchObject({ code: 'REQUEST_TIMEOUT' });
    expect(connection.rawPending.size).toBe(1); // the long one still runs
    expect(await long).toMatchObject({ result: { content: [{ text: 'slow done' }] } });
    // Three in a row with the same timeout all time out.
    const timedOut = await Promise.allSettled(
      [1, 2, 3].map(() =>
        connection.rawRequest('tools/call', { name: 'hang', arguments: {} }, { timeoutMs: 30 }),
      ),
    );
    expect(timedOut.map((outcome) => outcome.status)).toEqual(['rejected', 'rejected', 'rejected']);
    expect(connection.rawPending.size).toBe(0);
    await upstream.close();
  });

  it('restarts the timeout on each progress notification', async () => {
    const { upstream, connection } = await startUpstream(freshState());
    const progress: unknown[] = [];
    // Ten steps 50 ms apart: longer in all than the timeout, each gap far shorter.
    const answer = await connection.rawRequest(
      'tools/call',
      { name: 'progress', arguments: { steps: 10 } },
      { timeoutMs: 400, onprogress: (value) => progress.push(value.progress) },
    );
    expect(answer).toMatchObject({ result: { content: [{ text: 'done 10' }] } });
    expect(progress).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    await upstream.close();
  });
});
