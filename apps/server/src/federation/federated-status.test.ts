import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { HubStatus } from '@fedmcp/federation';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { startChain, type TestHub } from './chain-fixtures.js';

/** A port nothing listens on (bound, read back, closed). */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

const shape = (status: HubStatus | undefined): unknown =>
  status && {
    hub: status.hub.id,
    status: status.status,
    upstreams: status.upstreams.map(({ id, kind, state, peer }) => ({
      id,
      kind,
      state,
      ...(peer === undefined
        ? {}
        : {
            peer:
              peer.reachable === true
                ? shape(peer.status)
                : peer.reachable === false
                  ? { unreachable: true }
                  : { skipped: true },
          }),
    })),
  };

/**
 * Federated health on a chain of hubs A → B → C: A's `/status` shows its peer b and b's own
 * upstreams as b reports them, fetched with A's peer token; C going away reaches A's status once
 * the cached answers expire; an unreachable peer is reported as such.
 */
describe('federated status (GET /status) on A → B → C', () => {
  let directory: string;
  let a: TestHub;
  let b: TestHub;
  let c: TestHub;
  let cStopped = false;
  let aliceKey: string;
  // Short caches so the test sees a change without waiting 5 s (peerKeysCooldownMs as the default).
  const serverOptions = { statusCacheMs: 100 };

  beforeAll(async () => {
    directory = await mkdtemp(join(tmpdir(), 'fedmcp-status-'));
    const chain = await startChain(directory, serverOptions);
    ({ a, b, c } = chain);
    aliceKey = chain.alice.key;
  }, 60_000);

  afterAll(async () => {
    await a?.server.close();
    await b?.server.close();
    if (!cStopped) await c?.server.close();
    await rm(directory, { recursive: true, force: true });
  });

  it('shows peer b ready and b’s upstream c as b reports it; depth 2 reaches C’s upstreams', async () => {
    await vi.waitFor(
      async () => {
        const status = await a.server.status({ depth: 2 });
        expect(status.status).toBe('ready');
        expect(shape(status)).toEqual({
          hub: 'a',
          status: 'ready',
          upstreams: [
            {
              id: 'b',
              kind: 'peer',
              state: 'ready',
              peer: {
                hub: 'b',
                status: 'ready',
                upstreams: [
                  {
                    id: 'c',
                    kind: 'peer',
                    state: 'ready',
                    peer: {
                      hub: 'c',
                      status: 'ready',
                      upstreams: [{ id: 'everything', kind: 'server', state: 'ready' }],
                    },
                  },
                ],
              },
            },
          ],
        });
      },
      { timeout: 10_000, interval: 100 },
    );
    const oneLevel = await a.server.status();
    const atB = oneLevel.upstreams[0]?.peer;
    expect(atB?.reachable).toBe(true);
    const c0 = atB?.reachable === true ? atB.status.upstreams[0] : undefined;
    expect(c0).toMatchObject({ id: 'c', kind: 'peer', state: 'ready' });
    expect(c0?.tools).toBeGreaterThan(5);
    // One level by default: b's peers are listed without their own details.
    expect(c0?.peer).toBeUndefined();
  });

  it('serves /status over HTTP protected as /mcp is: 401 without the API key at A', async () => {
    const anonymous = await fetch(`${a.url}/status`);
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers.get('www-authenticate')).toMatch(/^Bearer/);
    const wrong = await fetch(`${a.url}/status`, {
      headers: { authorization: 'Bearer fmk_not-a-real-key' },
    });
    expect(wrong.status).toBe(401);
    const answer = await fetch(`${a.url}/status?depth=1`, {
      headers: { authorization: `Bearer ${aliceKey}` },
    });
    expect(answer.status).toBe(200);
    const body = (await answer.json()) as HubStatus;
    expect(body.hub).toEqual({ id: 'a', name: 'fedmcp', version: '0.1.0' });
    expect(body.upstreams.map(({ id, kind, state }) => ({ id, kind, state }))).toEqual([
      { id: 'b', kind: 'peer', state: 'ready' },
    ]);
    const bad = await fetch(`${a.url}/status?depth=x`, {
      headers: { authorization: `Bearer ${aliceKey}` },
    });
    expect(bad.status).toBe(400);
    expect(await bad.json()).toEqual({
      error: 'invalid_request',
      message: 'depth must be a non-negative integer',
    });
    const post = await fetch(`${a.url}/status`, { method: 'POST' });
    expect(post.status).toBe(405);
  });

  it('refuses a peer token for another hub at /status (B only takes tokens meant for B)', async () => {
    // C trusts B but not A: A's status request reaches C only through B, never directly.
    const direct = await fetch(`${c.url}/status`, {
      headers: {
        authorization: 'Bearer eyJhbGciOiJFZERTQSIsInR5cCI6ImZlZG1jcC1wZWVyK2p3dCJ9.e30.c2ln',
      },
    });
    expect(direct.status).toBe(401);
  });

  it('shows a peer that cannot be reached as unreachable, with the reason', async () => {
    const port = await closedPort();
    await a.reconfigure((input) => ({
      ...input,
      peers: { ...input.peers, gone: { url: `http://127.0.0.1:${port}` } },
    }));
    try {
      const status = await a.server.status();
      expect(status.status).toBe('degraded');
      const gone = status.upstreams.find((upstream) => upstream.id === 'gone');
      expect(gone).toMatchObject({ kind: 'peer', state: 'down' });
      expect(gone?.peer?.reachable).toBe(false);
      expect(gone?.peer?.reachable === false && gone.peer.error).toMatch(/ECONNREFUSED/);
    } finally {
      await a.reconfigure((input) => {
        const { gone: _gone, ...peers } = input.peers ?? {};
        return { ...input, peers };
      });
    }
  });

  it('reflects C stopping once the cached answers expire', async () => {
    await c.server.close();
    cStopped = true;
    await vi.waitFor(
      async () => {
        const status = await a.server.status({ depth: 2 });
        const atB = status.upstreams[0]?.peer;
        expect(atB?.reachable).toBe(true);
        const atC = atB?.reachable === true ? atB.status.upstreams[0]?.peer : undefined;
        expect(atC?.reachable).toBe(false);
      },
      { timeout: 10_000, interval: 100 },
    );
  });
});
