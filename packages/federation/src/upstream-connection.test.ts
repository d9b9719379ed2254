import { describe, expect, it } from 'vitest';
import type { Upstream } from './upstream.js';
import { type AttributedCall, UpstreamConnection } from './upstream-connection.js';

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
