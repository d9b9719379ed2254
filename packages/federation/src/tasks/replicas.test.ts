/**
 * Two hubs on one Redis store behave as replicas for hub-managed tasks: a task created on one is
 * read, awaited and cancelled on the other (the cancel reaches the runner through pub/sub). With
 * CI=true a missing Redis fails the run; elsewhere the test is skipped with a printed notice.
 */
import type { Store } from '@fedmcp/store';
import { Client } from '@modelcontextprotocol/client';
import { CreateTaskResultSchema, ResultSchema } from '@modelcontextprotocol/core';
import { InMemoryTransport } from '@modelcontextprotocol/server';
import { afterAll, describe, expect, it } from 'vitest';
import { openReplicaStore } from '../../test/fixtures/replica-hubs.js';
import { createTestUpstream, type TestUpstreamState } from '../../test/fixtures/test-upstream.js';
import { eventually, memoryConnector, textOf } from '../../test/helpers.js';
import { createHub, type Hub } from '../index.js';

type Params = Record<string, unknown>;

const store = await openReplicaStore('tasks');
const state: TestUpstreamState = {
  cancelled: 0,
  subscribed: [],
  unsolicitedRoots: undefined,
  logLevel: undefined,
};
const opened: Array<{ close(): Promise<void> }> = [];
afterAll(async () => {
  for (const item of opened.reverse()) await item.close();
  if (store) {
    const { entries } = await store.kv.list({ limit: 1000 });
    for (const entry of entries) await store.kv.delete(entry.key);
    await store.close();
  }
});

function replica(shared: Store): Hub {
  const hub = createHub({
    connect: memoryConnector({ up: () => createTestUpstream({ name: 'up' }, state).server }),
    upstreams: { up: { url: 'memory://up' } },
    healthIntervalMs: 0,
    tasks: { store: shared, pollIntervalMs: 50, leaseMs: 2000 },
  });
  opened.push(hub);
  return hub;
}

async function clientOf(hub: Hub) {
  const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
  const principal = { subject: 'ada', issuer: 'test', authMethod: 'api-key' };
  await hub.createServer({ era: 'legacy', transport: 'in-memory', principal }).connect(serverSide);
  const client = new Client({ name: 'ada', version: '1.0.0' });
  await client.connect(clientSide);
  opened.push(client);
  return (method: string, params: Params) =>
    client.request(
      { method, params } as never,
      params.task ? CreateTaskResultSchema : ResultSchema,
    ) as Promise<Params>;
}

describe.runIf(store)('hub-managed tasks on a shared Redis store', () => {
  it('are read, awaited and cancelled from another replica', async () => {
    const first = replica(store!);
    const second = replica(store!);
    await Promise.all([first.start(), second.start()]);
    const onFirst = await clientOf(first);
    const onSecond = await clientOf(second);

    const echo = (await onFirst('tools/call', {
      name: 'up__echo',
      arguments: { text: 'shared' },
      task: { ttl: 60_000 },
    })) as { task: Params };
    expect(textOf(await onSecond('tasks/result', { taskId: echo.task.taskId }))).toBe('up:shared');

    const before = state.cancelled;
    const slow = (await onFirst('tools/call', {
      name: 'up__slow',
      arguments: { ms: 60_000 },
      task: { ttl: 60_000 },
    })) as { task: Params };
    expect((await onSecond('tasks/get', { taskId: slow.task.taskId })).status).toBe('working');
    const listed = await onSecond('tasks/list', {});
    expect((listed.tasks as Params[]).map((task) => task.taskId)).toEqual(
      expect.arrayContaining([echo.task.taskId, slow.task.taskId]),
    );
    expect((await onSecond('tasks/cancel', { taskId: slow.task.taskId })).status).toBe('cancelled');
    // The first replica runs the call: the cancel reached it and it stopped the upstream call.
    await eventually(() => state.cancelled > before);
    expect((await onFirst('tasks/get', { taskId: slow.task.taskId })).status).toBe('cancelled');
  });
});
