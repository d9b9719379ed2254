/**
 * Faults of the cluster (`cluster-fixture.ts`: three `fedmcp serve` replicas behind HAProxy on a
 * redis-server of the test): a 2025-era session id altered by one byte, presented by another
 * principal or replayed after its DELETE is refused by every replica; a Redis restart
 * (`redis-cli shutdown nosave`, started again on the same port) makes what needs the store fail
 * fast with a clear error while it is down, and every replica recovers without a restart; after a
 * kill -9 of the replica running a 2026-07-28 call, that call fails at once with the hub's error
 * (its client resumes the broken stream on another replica, which finds the replica gone), the
 * clients' next requests succeed on other replicas, and a GET stream resumed with
 * `Last-Event-ID` through the load balancer gets what was sent on it.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { everythingStdioEntry } from '../fixtures/upstreams.js';
import { legacyClient, messagesOf, modernClient, type Params, textOf } from './cluster-clients.js';
import {
  type Cluster,
  clusterSessions,
  missing,
  type Replica,
  startCluster,
  stopReplica,
} from './cluster-fixture.js';

const PROTOCOL_VERSION = '2025-11-25';

/** A raw Streamable HTTP POST of one JSON-RPC message. */
async function post(url: string, apiKey: string, message: Params, sessionId?: string) {
  return fetch(`${url}/mcp`, {
    method: 'POST',
    headers: {
      authorization: `Bearer ${apiKey}`,
      accept: 'application/json, text/event-stream',
      'content-type': 'application/json',
      'mcp-protocol-version': PROTOCOL_VERSION,
      ...(sessionId ? { 'mcp-session-id': sessionId } : {}),
    },
    body: JSON.stringify(message),
    signal: AbortSignal.timeout(20_000),
  });
}

/**
 * An SSE GET stream of a session, read in the background: `events` holds each event's id and
 * message; `end()` stops reading.
 */
async function openGetStream(url: string, apiKey: string, sessionId: string, lastEventId?: string) {
  const controller = new AbortController();
  const response = await fetch(`${url}/mcp`, {
    headers: {
      authorization: `Bearer ${apiKey}`,
      accept: 'text/event-stream',
      'mcp-protocol-version': PROTOCOL_VERSION,
      'mcp-session-id': sessionId,
      ...(lastEventId ? { 'last-event-id': lastEventId } : {}),
    },
    signal: controller.signal,
  });
  const events: Array<{ id: string; message: Params }> = [];
  let ended = false;
  const reading = (async () => {
    if (!response.ok || !response.body) return;
    const decoder = new TextDecoder();
    let buffer = '';
    const reader = response.body.getReader();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      buffer += decoder.decode(value, { stream: true });
      const frames = buffer.split('\n\n');
      buffer = frames.pop() ?? '';
      for (const frame of frames) {
        const id = frame
          .split('\n')
          .find((line) => line.startsWith('id:'))
          ?.slice(3)
          .trim();
        for (const message of messagesOf(frame)) events.push({ id: id ?? '', message });
      }
    }
  })()
    .catch(() => undefined)
    .finally(() => {
      ended = true;
    });
  return {
    status: response.status,
    events,
    ended: () => ended,
    async end() {
      controller.abort();
      await reading;
    },
  };
}

/**
 * A 2025-11-25 session opened with plain requests (no GET stream of its own): its id.
 * `notifications/initialized` goes to `acknowledgeUrl` (another replica, as a balancer may send it).
 */
async function rawSession(url: string, apiKey: string, acknowledgeUrl = url): Promise<string> {
  const initialized = await post(url, apiKey, {
    jsonrpc: '2.0',
    id: 0,
    method: 'initialize',
    params: {
      protocolVersion: PROTOCOL_VERSION,
      capabilities: {},
      clientInfo: { name: 'cluster-raw', version: '1.0.0' },
    },
  });
  const sessionId = initialized.headers.get('mcp-session-id');
  await initialized.body?.cancel();
  expect(sessionId).toBeTruthy();
  const acknowledged = await post(
    acknowledgeUrl,
    apiKey,
    { jsonrpc: '2.0', method: 'notifications/initialized' },
    sessionId as string,
  );
  await acknowledged.body?.cancel();
  expect(acknowledged.status).toBe(202);
  return sessionId as string;
}

/** Orders `<stream>~<ms>-<sequence>` event ids by their store entry id. */
function compareEventIds(left: string, right: string): number {
  const parts = (id: string) => (id.split('~').at(-1) ?? '').split('-').map(Number);
  const [leftMs = 0, leftSequence = 0] = parts(left);
  const [rightMs = 0, rightSequence = 0] = parts(right);
  return leftMs - rightMs || leftSequence - rightSequence;
}

describe.runIf(missing.length === 0 && clusterSessions)('cluster faults behind HAProxy', () => {
  let cluster: Cluster;
  const closers: Array<() => Promise<unknown>> = [];

  beforeAll(async () => {
    cluster = await startCluster();
  }, 180_000);

  afterAll(async () => {
    for (const close of closers.splice(0).reverse()) await close().catch(() => undefined);
    await cluster?.close();
  }, 60_000);

  it('refuses a session id altered by one byte, presented by another principal, or replayed after DELETE, on every replica', async () => {
    const legacy = await legacyClient(cluster.front, cluster.userKey);
    closers.push(() => legacy.close());
    await legacy.client.listTools();
    const sessionId = legacy.transport.sessionId as string;
    const list = { jsonrpc: '2.0', id: 1, method: 'tools/list', params: {} };
    const middle = Math.floor(sessionId.length / 2);
    const altered = `${sessionId.slice(0, middle)}${sessionId[middle] === 'A' ? 'B' : 'A'}${sessionId.slice(middle + 1)}`;
    for (const replica of cluster.replicas) {
      const own = await post(replica.url, cluster.userKey, list, sessionId);
      expect(own.status, `${replica.id} serves the session`).toBe(200);
      await own.body?.cancel();
      const tampered = await post(replica.url, cluster.userKey, list, altered);
      expect([403, 404], `${replica.id}: altered id`).toContain(tampered.status);
      expect(JSON.stringify(await tampered.json())).toMatch(/session/i);
      const borrowed = await post(replica.url, cluster.otherKey, list, sessionId);
      expect([403, 404], `${replica.id}: another principal`).toContain(borrowed.status);
      await borrowed.body?.cancel();
    }
    // DELETE through the load balancer; every replica learns of it (store pub/sub).
    await legacy.transport.terminateSession();
    await vi.waitFor(
      async () => {
        for (const replica of cluster.replicas) {
          const replayed = await post(replica.url, cluster.userKey, list, sessionId);
          await replayed.body?.cancel();
          expect([403, 404], `${replica.id}: deleted id`).toContain(replayed.status);
        }
      },
      { timeout: 10_000, interval: 100 },
    );
  });

  it('tells a GET stream on the replica that opened a session of list changes, when the client sent notifications/initialized to another replica', async () => {
    const [r1, r2, r3] = cluster.replicas as [Replica, Replica, Replica];
    // What a round-robin load balancer may do with one client's requests: initialize on r1, the
    // notification on r2, the GET stream on r1 again.
    const sessionId = await rawSession(r1.url, cluster.userKey, r2.url);
    const stream = await openGetStream(r1.url, cluster.userKey, sessionId);
    closers.push(() => stream.end());
    expect(stream.status).toBe(200);
    const added = await cluster.adminRequest(
      r3.url,
      'POST',
      '/upstreams/late1',
      everythingStdioEntry(),
    );
    expect(added.status).toBe(201);
    try {
      await vi.waitFor(
        () =>
          expect(stream.events.map((event) => event.message.method)).toContain(
            'notifications/tools/list_changed',
          ),
        { timeout: 30_000, interval: 100 },
      );
    } finally {
      await stream.end();
      await cluster.adminRequest(r3.url, 'DELETE', '/upstreams/late1');
      await fetch(`${r1.url}/mcp`, {
        method: 'DELETE',
        headers: { authorization: `Bearer ${cluster.userKey}`, 'mcp-session-id': sessionId },
      }).catch(() => undefined);
    }
  }, 90_000);

  it('fails fast with a clear error while Redis restarts, and every replica recovers on its own', async () => {
    const client = await modernClient(cluster.front, cluster.userKey, true);
    closers.push(() => client.client.close());
    const legacy = await legacyClient(cluster.front, cluster.userKey);
    closers.push(() => legacy.close());
    // Every replica holds a copy of the session before the outage (round-robin).
    for (let index = 0; index < 3; index += 1) await legacy.client.listTools();
    await cluster.redis.stop();
    try {
      // A task lives in the store: refused with a JSON-RPC error naming the store, on each replica.
      for (let index = 0; index < 3; index += 1) {
        const answer = await client.wire('tools/call', {
          name: 'ev__echo',
          arguments: { message: `task during the outage ${index}` },
        });
        expect(answer.code, JSON.stringify(answer)).toEqual(expect.any(Number));
        expect(String(answer.message)).toMatch(/store|redis|unavailable/i);
      }
      // What needs no shared state is still served (the session is in its id).
      for (let index = 0; index < 3; index += 1) {
        const result = await legacy.client.callTool(
          { name: 'ev__echo', arguments: { message: `outage ${index}` } },
          undefined,
          { timeout: 20_000 },
        );
        expect(textOf(result)).toBe(`Echo: outage ${index}`);
      }
    } finally {
      await cluster.redis.start();
    }
    // Back: every replica runs tasks again and re-registers in the (empty) store.
    await vi.waitFor(
      async () => {
        for (let index = 0; index < 3; index += 1) {
          const created = await client.wire('tools/call', {
            name: 'ev__echo',
            arguments: { message: 'after the outage' },
          });
          expect(created).toMatchObject({ resultType: 'task' });
        }
      },
      { timeout: 30_000, interval: 200 },
    );
    await vi.waitFor(
      async () => {
        const status = await cluster.statusThroughFront();
        expect(status.cluster.replicas?.map(({ id }) => id).sort()).toEqual(['r1', 'r2', 'r3']);
      },
      { timeout: 30_000, interval: 200 },
    );
    const after = await legacy.client.callTool({
      name: 'ev__echo',
      arguments: { message: 'same session after the outage' },
    });
    expect(textOf(after)).toBe('Echo: same session after the outage');
  }, 120_000);

  it('after a kill -9 mid-call: the call fails (no hang), the sessions go on elsewhere, a GET stream resumes with Last-Event-ID', async () => {
    const legacy = await legacyClient(cluster.front, cluster.userKey);
    closers.push(() => legacy.close());
    for (let index = 0; index < 3; index += 1) await legacy.client.listTools();
    const sessionId = legacy.transport.sessionId as string;
    const modern = await modernClient(cluster.front, cluster.userKey, false);
    closers.push(() => modern.client.close());
    const streamsBefore = await cluster.currentStreams();
    const progress: number[] = [];
    const call = modern.client.callTool(
      { name: 'ev__trigger-long-running-operation', arguments: { duration: 60, steps: 120 } },
      // A timeout far beyond the test's waits: the call must end through the hub's answer.
      { onprogress: (value) => progress.push(value.progress), timeout: 120_000 },
    );
    let settled = false;
    call.then(
      () => {
        settled = true;
      },
      () => {
        settled = true;
      },
    );
    // The replica running it: the one with one more stream in flight (HAProxy's statistics).
    const holder: Replica = await vi.waitFor(
      async () => {
        const streams = await cluster.currentStreams();
        const running = cluster.replicas.filter(
          (replica) => (streams[replica.id] ?? 0) > (streamsBefore[replica.id] ?? 0),
        );
        if (running.length !== 1) throw new Error(`streams ${JSON.stringify(streams)}`);
        return running[0] as Replica;
      },
      { timeout: 20_000, interval: 100 },
    );
    const survivor = cluster.replicas.find((replica) => replica !== holder) as Replica;

    // A second session's GET stream, held by the same replica, gets the list_changed of an
    // upstream added and removed through another replica.
    const watched = await rawSession(cluster.front, cluster.otherKey);
    const stream = await openGetStream(holder.url, cluster.otherKey, watched);
    expect(stream.status).toBe(200);
    const changes = (events: typeof stream.events) =>
      events.filter((event) => event.message.method === 'notifications/tools/list_changed');
    const admin = (method: string) =>
      cluster.adminRequest(survivor.url, method, '/upstreams/k1', everythingStdioEntry());
    expect((await admin('POST')).status).toBe(201);
    await vi.waitFor(() => expect(changes(stream.events).length).toBeGreaterThan(0), {
      timeout: 30_000,
      interval: 100,
    });
    const countAfterAdd = changes(stream.events).length;
    expect((await admin('DELETE')).status).toBe(204);
    await vi.waitFor(() => expect(changes(stream.events).length).toBeGreaterThan(countAfterAdd), {
      timeout: 30_000,
      interval: 100,
    });
    const first = changes(stream.events)[0] as (typeof stream.events)[number];
    const sentAfterFirst = stream.events.slice(stream.events.indexOf(first) + 1);

    // Killed mid-call: the call is still running there (it has sent progress). Its first
    // progress comes half a second in; on a quiet machine the list changes above take less.
    await vi.waitFor(() => expect(progress.length).toBeGreaterThan(0), {
      timeout: 30_000,
      interval: 50,
    });
    expect(settled).toBe(false);
    const killedAt = Date.now();
    await stopReplica(holder, 'SIGKILL');
    // The call in flight on it fails with the hub's error: its client resumes the broken stream
    // (the priming event's id names the replica), and the replica it reaches finds that one gone.
    await expect(call).rejects.toThrow(
      /hub replica running this request stopped before answering it.*Retry it/,
    );
    console.log(
      `cluster: the call on the killed replica failed ${Date.now() - killedAt} ms after kill -9`,
    );
    // The clients' next requests succeed on the other replicas.
    for (let index = 0; index < 3; index += 1) {
      const next = await modern.client.callTool({
        name: 'ev__echo',
        arguments: { message: `after the kill ${index}` },
      });
      expect(textOf(next)).toBe(`Echo: after the kill ${index}`);
      const legacyNext = await legacy.client.callTool({
        name: 'ev__echo',
        arguments: { message: `v1 after the kill ${index}` },
      });
      expect(textOf(legacyNext)).toBe(`Echo: v1 after the kill ${index}`);
    }
    expect(legacy.transport.sessionId).toBe(sessionId);

    // The GET stream resumes through the load balancer (on a replica still up) from the first
    // event it got: everything sent after it is replayed from the store.
    await stream.end();
    const resumed = await openGetStream(cluster.front, cluster.otherKey, watched, first.id);
    closers.push(() => resumed.end());
    expect(resumed.status).toBe(200);
    expect(sentAfterFirst.length).toBeGreaterThan(0);
    await vi.waitFor(
      () =>
        expect(resumed.events.map((event) => event.id)).toEqual(
          expect.arrayContaining(sentAfterFirst.map((event) => event.id)),
        ),
      { timeout: 10_000, interval: 100 },
    );
    // Replayed in order, the resumed-from event not again.
    const ids = resumed.events.map((event) => event.id);
    expect(ids).not.toContain(first.id);
    expect(ids).toEqual([...ids].sort(compareEventIds));
    // The dead replica leaves /status within its lease.
    await vi.waitFor(
      async () => {
        const status = await cluster.statusThroughFront();
        expect(status.cluster.replicas?.map(({ id }) => id)).not.toContain(holder.id);
        expect(status.cluster.replicas).toHaveLength(2);
      },
      { timeout: 15_000, interval: 100 },
    );
    console.log(
      `cluster: replica ${holder.id} left /status ${Date.now() - killedAt} ms after kill -9 (heartbeat 300 ms, lease 900 ms)`,
    );
  }, 120_000);
});
