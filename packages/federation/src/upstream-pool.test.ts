/**
 * The connection pool keeps the attributed calls of one session (an interactive client on the
 * fast path, while its tool may still ask) together on a connection that serves that session
 * alone, so a question there stays attributable, and opens a connection (a stdio process) only
 * for a session that has none: another session's call never joins them while a fresh one can be
 * opened. Before, one session's burst opened up to `maxConnections` processes. The calls of a
 * tool that has asked before spread, one per connection while under `maxConnections`, so a
 * question reaches the very call that asked.
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
async function acquire(
  pool: ConnectionPool,
  party: object,
  spread = false,
): Promise<UpstreamConnection> {
  const signal = new AbortController().signal;
  const connection = await pool.acquire(false, undefined, signal, { party, spread });
  connection.track(callOf(party));
  return connection;
}

describe('ConnectionPool', () => {
  it("keeps one session's concurrent calls on the connection that serves it alone", async () => {
    const pool = poolOf(4);
    const session = {};
    const used = [];
    for (let index = 0; index < 8; index += 1) used.push(await acquire(pool, session));
    expect(new Set(used)).toEqual(new Set([pool.primary]));
    expect(pool.connections).toHaveLength(1); // no process opened for the session's own calls
    expect(pool.primary?.plainCalls).toBe(8);
    expect(pool.primary?.asker()).toMatchObject({ call: { party: session } });
  });

  it("opens one connection for a session's burst that arrives while another session holds the primary", async () => {
    const pool = poolOf(4);
    const first = {};
    const second = {};
    await acquire(pool, first);
    // Eight calls in one tick: none is tracked before the others are placed.
    const burst = await Promise.all(
      Array.from({ length: 8 }, () =>
        pool.acquire(false, undefined, new AbortController().signal, {
          party: second,
          exclusive: true,
        }),
      ),
    );
    for (const connection of burst) connection.track(callOf(second));
    expect(new Set(burst).size).toBe(1);
    expect(pool.connections).toHaveLength(2);
    const [own] = burst;
    expect(own).not.toBe(pool.primary);
    expect(own?.servesOnly(second)).toBe(true);
    expect(own?.plainCalls).toBe(8);
    expect(pool.primary?.servesOnly(first)).toBe(true);
  });

  it("counts a placed call as its session's before the caller tracks it", async () => {
    const pool = poolOf(2);
    const session = {};
    // Claimed at once on the idle primary (acquireNow), not yet tracked: already the session's.
    const claimed = pool.acquireNow(false, undefined, session);
    expect(claimed).toBe(pool.primary);
    expect(claimed?.servesOnly(session)).toBe(true);
    expect(claimed?.servesOnly({})).toBe(false);
    claimed?.track(callOf(session));
    // Placed, not yet tracked: the session's next call still finds the connection its own, and
    // another session's does not.
    const placed = await pool.acquire(false, undefined, new AbortController().signal, {
      party: session,
    });
    expect(placed).toBe(pool.primary);
    expect(placed.servesOnly(session)).toBe(true);
    expect(placed.servesOnly({})).toBe(false);
    placed.track(callOf(session));
    expect(placed.servesOnly(session)).toBe(true);
    expect(placed.asker()).toMatchObject({ call: { party: session } });
  });

  it("spreads one session's concurrent calls of a tool that has asked, one per connection while it can", async () => {
    const pool = poolOf(4);
    const session = {};
    const used = [];
    for (let index = 0; index < 6; index += 1) used.push(await acquire(pool, session, true));
    expect(new Set(used.slice(0, 4)).size).toBe(4); // each question reaches the call that asked
    for (const connection of used) expect(connection.servesOnly(session)).toBe(true);
    // At maxConnections the next calls join the least busy of the session's own.
    expect(pool.connections.map((connection) => connection.plainCalls)).toEqual([2, 2, 1, 1]);
  });

  it("puts another session's call on a fresh connection while one can be opened", async () => {
    const pool = poolOf(3);
    const first = {};
    const second = {};
    const a = await acquire(pool, first);
    const b = await acquire(pool, first);
    const c = await acquire(pool, second);
    expect(b).toBe(a);
    expect(c).not.toBe(a);
    expect(c.servesOnly(second)).toBe(true);
    expect(a.servesOnly(first)).toBe(true);
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
