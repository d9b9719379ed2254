import { describe, expect, it } from 'vitest';
import type { Upstream } from '../upstream.js';
import { type AttributedCall, UpstreamConnection } from '../upstream-connection.js';
import { askAttributedCall, mayShare, noteQuietCall, QUIET_CALLS } from './attributed-questions.js';

function callOf(party: object, name: string, asked: string[]): AttributedCall {
  return {
    party,
    name,
    mayShare: false,
    ask: async (method) => {
      asked.push(method);
      return { roots: [] };
    },
  };
}

function running(connection: UpstreamConnection, call: AttributedCall): void {
  connection.plainCalls += 1;
  connection.track(call);
}

describe('attributed questions', () => {
  it('lets a tool share connections only after QUIET_CALLS answers without a question', () => {
    const upstream = {} as Upstream;
    for (let index = 1; index < QUIET_CALLS; index += 1) noteQuietCall(upstream, 'echo');
    expect(mayShare(upstream, 'echo')).toBe(false);
    noteQuietCall(upstream, 'echo');
    expect(mayShare(upstream, 'echo')).toBe(true);
  });

  it('asks the only party in flight, and its tool never shares from then on', async () => {
    const upstream = {} as Upstream;
    for (let index = 0; index < QUIET_CALLS; index += 1) noteQuietCall(upstream, 'sometimes');
    const connection = new UpstreamConnection(upstream);
    const asked: string[] = [];
    running(connection, callOf({}, 'sometimes', asked));
    await expect(askAttributedCall(connection, 'roots/list', {})).resolves.toEqual({ roots: [] });
    expect(asked).toEqual(['roots/list']);
    expect(mayShare(upstream, 'sometimes')).toBe(false);
    noteQuietCall(upstream, 'sometimes');
    expect(mayShare(upstream, 'sometimes')).toBe(false);
  });

  it('refuses a question two parties could have asked, asking neither', async () => {
    const upstream = {} as Upstream;
    const connection = new UpstreamConnection(upstream);
    const asked: string[] = [];
    running(connection, callOf({}, 'a', asked));
    running(connection, callOf({}, 'b', asked));
    await expect(askAttributedCall(connection, 'sampling/createMessage', {})).rejects.toThrow(
      /cannot tell which/,
    );
    expect(asked).toEqual([]);
    expect(askAttributedCall(new UpstreamConnection(upstream), 'roots/list', {})).toBeUndefined();
  });
});
