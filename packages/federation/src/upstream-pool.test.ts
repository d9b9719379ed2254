/**
 * The connection pool places the attributed calls of one session (an interactive client on the
 * fast path) on several connections while under `maxConnections`, each serving that session
 * alone (so a question there stays attributable), instead of all on one (issue #18: one session
 * at c=32 ran on one stdio process); another session's call never joins them while a fresh one
 * can be opened.
 */

import { FedmcpError } from '@fedmcp/protocol';
import { describe, expect, it } from 'vitest';
import type { Upstream } from './upstream.js';
import { type AttributedCall, UpstreamConnection } from './upstream-connection.js';
import { ConnectionPool } from './upstream-pool.js';

function poolOf(maxConnections: number): ConnectionPool {
  const upstream = {} as Upstream;
  const pool: ConnectionPool = new ConnectionPool({
    id: 'up',
    maxConnections,
    timeoutMs: 10_000,
    available: true,
    unavailable: () => new FedmcpError('UPSTREAM_UNAVAILABLE', 'down'),
    async openConnection() {
      // As Upstream.openConnection: registered, opened leased.
      const connection = new UpstreamConnection(upstream);
      connection.client = {} as UpstreamConnection['client'];
      connection.leased = true;
      pool.add(connection);
      return connection;
    },
  });
  const primary = new UpstreamConnection(upstream);
  primary.client = {} as UpstreamConnection['client'];
  pool.add(primary);
  pool.primary = primary;
  return pool;
}

function callOf(party: object): AttributedCall {
  return { party, name: 'echo', mayShare: true, ask: async () => ({}) };
}

/** Acquires a connection for an attributed call of `party` and tracks the call on it. */
async function acquire(pool: ConnectionPool, party: object): Promise<UpstreamConnection> {
  const connection = await pool.acquire(false, undefined, new AbortController().signal, party);
  connection.track(callOf(party));
  return connection;
}

describe('ConnectionPool', () => {
  it("spreads one session's concurrent calls over connections that serve it alone", async () => {
    const pool = poolOf(4);
    const session = {};
    const used = [];
    for (let index = 0; index < 8; index += 1) used.push(await acquire(pool, session));
    expect(new Set(used).size).toBe(4);
    for (const connection of used) expect(connection.servesOnly(session)).toBe(true);
    // Two calls on each: the least busy one is taken each time.
    expect(pool.connections.map((connection) => connection.plainCalls)).toEqual([2, 2, 2, 2]);
    expect(pool.connections[0]?.asker()).toMatchObject({ call: { party: session } });
  });

  it("puts another session's call on a fresh connection while one can be opened", async () => {
    const pool = poolOf(3);
    const first = {};
    const second = {};
    const a = await acquire(pool, first);
    const b = await acquire(pool, first);
    const c = await acquire(pool, second);
    expect(new Set([a, b, c]).size).toBe(3);
    expect(c.servesOnly(second)).toBe(true);
    expect(a.servesOnly(first) && b.servesOnly(first)).toBe(true);
  });

  it('claims the free shared primary at once for a plain call (acquireNow), and nothing else', async () => {
    const pool = poolOf(2);
    const primary = pool.primary!;
    expect(pool.acquireNow(false, undefined)).toBe(primary);
    expect(pool.acquireNow(false, undefined)).toBe(primary); // plain calls share it
    expect(primary.plainCalls).toBe(2);
    // An interactive call, a session's own connection, or an attributed call on a busy primary:
    // acquire() weighs them.
    expect(pool.acquireNow(true, undefined)).toBeUndefined();
    expect(pool.acquireNow(false, {})).toBeUndefined();
    expect(pool.acquireNow(false, undefined, {})).toBeUndefined();
    pool.release(primary, false);
    pool.release(primary, false);
    primary.leased = true;
    expect(pool.acquireNow(false, undefined)).toBeUndefined();
    // acquire() takes a cancellation as its signal (it reads `aborted` only).
    const other = await pool.acquire(false, undefined, { aborted: false });
    expect(other).not.toBe(primary);
  });
});
