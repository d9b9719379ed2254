import { describe, expect, it } from 'vitest';
import {
  createFederatedStatus,
  type FederatedStatus,
  type HubStatus,
  hubStatusUrl,
  parseHubStatusQuery,
} from './federated-status.js';

type Upstream = { id: string; state: 'ready' | 'down'; tools: number; error?: string };

/** Hubs wired to each other in process: a peer's fetch answers with that hub's `status()`. */
function federation(
  hubs: Record<string, { upstreams: Upstream[]; peers: string[] }>,
  options: { now?: () => number; cacheMs?: number; fetches?: string[] } = {},
) {
  const statuses: Record<string, FederatedStatus> = {};
  for (const [id, hub] of Object.entries(hubs)) {
    statuses[id] = createFederatedStatus({
      hub: () => ({ id, name: `hub ${id}`, version: '1.0.0' }),
      upstreams: () => hub.upstreams,
      peer: (upstream) =>
        hub.peers.includes(upstream)
          ? {
              url: `https://${upstream}.example/mcp`,
              fetch: async (input) => {
                const url = new URL(String(input));
                options.fetches?.push(`${id}->${url.host}${url.pathname}${url.search}`);
                const peer = statuses[upstream];
                if (!peer) throw new TypeError('fetch failed');
                return Response.json(await peer.status(parseHubStatusQuery(url)));
              },
            }
          : undefined,
      ...(options.now ? { now: options.now } : {}),
      ...(options.cacheMs === undefined ? {} : { cacheMs: options.cacheMs }),
    });
  }
  return statuses as Record<string, FederatedStatus>;
}

describe('createFederatedStatus', () => {
  it('reports its upstreams and each peer’s status as the peer reports it, one level by default', async () => {
    const hubs = federation({
      a: { upstreams: [{ id: 'b', state: 'ready', tools: 2 }], peers: ['b'] },
      b: {
        upstreams: [
          { id: 'c', state: 'ready', tools: 2 },
          { id: 'files', state: 'down', tools: 0, error: 'spawn ENOENT' },
        ],
        peers: ['c'],
      },
      c: { upstreams: [{ id: 'everything', state: 'ready', tools: 2 }], peers: [] },
    });
    expect(await hubs.a?.status()).toEqual({
      hub: { id: 'a', name: 'hub a', version: '1.0.0' },
      status: 'ready',
      upstreams: [
        {
          id: 'b',
          kind: 'peer',
          state: 'ready',
          tools: 2,
          peer: {
            reachable: true,
            status: {
              hub: { id: 'b', name: 'hub b', version: '1.0.0' },
              status: 'degraded',
              upstreams: [
                { id: 'c', kind: 'peer', state: 'ready', tools: 2 },
                { id: 'files', kind: 'server', state: 'down', tools: 0, error: 'spawn ENOENT' },
              ],
            },
          },
        },
      ],
    } satisfies HubStatus);
    const deep = await hubs.a?.status({ depth: 2 });
    const atB = deep?.upstreams[0]?.peer;
    expect(atB?.reachable === true && atB.status.upstreams[0]?.peer).toEqual({
      reachable: true,
      status: {
        hub: { id: 'c', name: 'hub c', version: '1.0.0' },
        status: 'ready',
        upstreams: [{ id: 'everything', kind: 'server', state: 'ready', tools: 2 }],
      },
    });
    expect((await hubs.a?.status({ depth: 0 }))?.upstreams[0]?.peer).toBeUndefined();
  });

  it('ends peering loops: a hub on the trail is not asked again', async () => {
    const fetches: string[] = [];
    const hubs = federation(
      {
        a: { upstreams: [{ id: 'b', state: 'ready', tools: 1 }], peers: ['b'] },
        b: { upstreams: [{ id: 'a', state: 'ready', tools: 1 }], peers: ['a'] },
      },
      { fetches },
    );
    const status = await hubs.a?.status({ depth: 4 });
    const atB = status?.upstreams[0]?.peer;
    expect(atB?.reachable).toBe(true);
    expect(atB?.reachable === true && atB.status.upstreams[0]?.peer).toEqual({
      reachable: 'skipped',
      reason: 'hub "a" is already on this status request\'s trail',
    });
    expect(fetches).toEqual(['a->b.example/status?depth=3&trail=a']);
  });

  it('caps the depth at maxDepth', async () => {
    const fetches: string[] = [];
    const hubs = federation(
      {
        a: { upstreams: [{ id: 'b', state: 'ready', tools: 1 }], peers: ['b'] },
        b: { upstreams: [], peers: [] },
      },
      { fetches },
    );
    await hubs.a?.status({ depth: 99 });
    expect(fetches).toEqual(['a->b.example/status?depth=3&trail=a']);
  });

  it('reuses a peer’s answer for cacheMs and asks again after it expires', async () => {
    let clock = 1_000;
    const fetches: string[] = [];
    const b = { upstreams: [{ id: 'x', state: 'ready', tools: 1 }] as Upstream[], peers: [] };
    const hubs = federation(
      { a: { upstreams: [{ id: 'b', state: 'ready', tools: 1 }], peers: ['b'] }, b },
      { now: () => clock, cacheMs: 5000, fetches },
    );
    const stateAtB = async () => {
      const report = (await hubs.a?.status())?.upstreams[0]?.peer;
      return report?.reachable === true ? report.status.upstreams[0]?.state : undefined;
    };
    expect(await stateAtB()).toBe('ready');
    b.upstreams = [{ id: 'x', state: 'down', tools: 0 }];
    clock += 4_999;
    expect(await stateAtB()).toBe('ready');
    clock += 1;
    expect(await stateAtB()).toBe('down');
    expect(fetches).toHaveLength(2);
  });

  it('reports an unreachable, failing, hanging or lying peer with the reason, never throwing', async () => {
    const status = createFederatedStatus({
      hub: () => ({ id: 'a', name: 'a', version: '1' }),
      upstreams: () =>
        ['refused', 'forbidden', 'hanging', 'garbage', 'impostor'].map((id) => ({
          id,
          state: 'ready' as const,
          tools: 0,
        })),
      timeoutMs: 50,
      peer: (id) => ({
        url: `https://${id}.example`,
        fetch: async (_input, init) => {
          if (id === 'refused') {
            throw new TypeError('fetch failed', { cause: { code: 'ECONNREFUSED' } });
          }
          if (id === 'forbidden') return new Response('not allowed', { status: 403 });
          if (id === 'garbage') return Response.json({ hello: 'world' });
          if (id === 'impostor') {
            return Response.json({
              hub: { id: 'someone-else', name: 'x', version: '1' },
              status: 'ready',
              upstreams: [],
            });
          }
          return new Promise<Response>((_resolve, reject) => {
            init?.signal?.addEventListener('abort', () => reject(init.signal?.reason));
          });
        },
      }),
    });
    const reports = Object.fromEntries(
      (await status.status()).upstreams.map((upstream) => [upstream.id, upstream.peer]),
    );
    expect(reports).toEqual({
      refused: { reachable: false, error: 'fetch failed (ECONNREFUSED)' },
      forbidden: { reachable: false, error: 'HTTP 403: not allowed' },
      hanging: { reachable: false, error: 'no answer within 50 ms' },
      garbage: { reachable: false, error: 'invalid status document' },
      impostor: {
        reachable: false,
        error: 'the peer reports hub id "someone-else", expected "impostor"',
      },
    });
  });
});

describe('parseHubStatusQuery and hubStatusUrl', () => {
  it('round-trips depth and trail and refuses malformed ones', () => {
    const url = hubStatusUrl('https://eu.example/mcp', { depth: 2, trail: ['a', 'b'] });
    expect(url).toBe('https://eu.example/status?depth=2&trail=a%2Cb');
    expect(parseHubStatusQuery(new URL(url))).toEqual({ depth: 2, trail: ['a', 'b'] });
    expect(() => parseHubStatusQuery(new URL('https://x/status?depth=-1'))).toThrow(
      'depth must be a non-negative integer',
    );
    expect(() => parseHubStatusQuery(new URL('https://x/status?trail=a,B!'))).toThrow(
      'trail must be up to 32 comma-separated hub ids',
    );
  });
});
