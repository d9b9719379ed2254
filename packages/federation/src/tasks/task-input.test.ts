/**
 * `input_required` of hub-managed tasks: an upstream that asks for elicitation while the hub runs
 * its call as a task. A 2025-11-25 client gets the question on `tasks/result` (marked with the
 * related task); a 2026-07-28 client with the tasks extension reads `inputRequests` with
 * `tasks/get` and answers with `tasks/update`; a cancel or a dead hub ends a waiting task.
 */
import { createMemoryStore, type Store } from '@fedmcp/store';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { CreateTaskResultSchema, ResultSchema } from '@modelcontextprotocol/core';
import { createMcpHandler, InMemoryTransport } from '@modelcontextprotocol/server';
import { afterEach, describe, expect, it } from 'vitest';
import { createTestUpstream, type TestUpstreamState } from '../../test/fixtures/test-upstream.js';
import { eventually, memoryConnector, textOf } from '../../test/helpers.js';
import { createHub, type Hub, type HubOptions } from '../index.js';

type Params = Record<string, unknown>;

const state: TestUpstreamState = {
  cancelled: 0,
  subscribed: [],
  unsolicitedRoots: undefined,
  logLevel: undefined,
};
const opened: Array<{ close(): Promise<void> }> = [];
afterEach(async () => {
  for (const item of opened.splice(0).reverse()) await item.close();
});

const FORM = { form: {} };
const RELATED_TASK = 'io.modelcontextprotocol/related-task';

function hubOn(store: Store, tasks: HubOptions['tasks'] = {}): Hub {
  const hub = createHub({
    connect: memoryConnector({ up: () => createTestUpstream({ name: 'up' }, state).server }),
    upstreams: { up: { url: 'memory://up' } },
    healthIntervalMs: 0,
    tasks: { store, pollIntervalMs: 20, leaseMs: 300, ...tasks },
  });
  opened.push(hub);
  return hub;
}

/** A 2025-era client of ada that can answer forms (with `name`), and what it was asked. */
async function formClient(hub: Hub, name: string) {
  const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
  const principal = { subject: 'ada', issuer: 'test', authMethod: 'api-key' };
  await hub.createServer({ era: 'legacy', transport: 'in-memory', principal }).connect(serverSide);
  const client = new Client(
    { name: 'ada', version: '1.0.0' },
    { capabilities: { elicitation: FORM } },
  );
  const asked: Params[] = [];
  const statuses: string[] = [];
  client.setRequestHandler('elicitation/create', async (request) => {
    asked.push(request.params as Params);
    return { action: 'accept', content: { name } };
  });
  client.fallbackNotificationHandler = async (notification) => {
    if (notification.method === 'notifications/tasks/status') {
      statuses.push(String((notification.params as Params).status));
    }
  };
  await client.connect(clientSide);
  opened.push(client);
  const request = (method: string, params: Params) =>
    client.request(
      { method, params } as never,
      params.task ? CreateTaskResultSchema : ResultSchema,
    ) as Promise<Params>;
  const startElicit = async () => {
    const created = await request('tools/call', {
      name: 'up__elicit',
      arguments: { message: 'Who are you?' },
      task: { ttl: 60_000 },
    });
    return String((created.task as Params).taskId);
  };
  return { request, asked, statuses, startElicit };
}

async function statusOf(
  request: (method: string, params: Params) => Promise<Params>,
  taskId: string,
  status: string,
): Promise<Params> {
  return (await eventually(async () => {
    const task = await request('tasks/get', { taskId });
    return task.status === status ? task : undefined;
  })) as Params;
}

describe('hub-managed tasks waiting for input', () => {
  it('2025-11-25: input_required, the question on tasks/result, the answer upstream, then completed', async () => {
    const hub = hubOn(createMemoryStore());
    await hub.start();
    const ada = await formClient(hub, 'Ada');
    const taskId = await ada.startElicit();
    const waiting = await statusOf(ada.request, taskId, 'input_required');
    expect(waiting.statusMessage).toMatch(/elicitation\/create/);
    expect(ada.asked).toEqual([]); // nothing is pushed before the client asks for the result

    const result = await ada.request('tasks/result', { taskId });
    expect(textOf(result)).toBe('elicited:accept:{"name":"Ada"}');
    expect(ada.asked).toHaveLength(1);
    expect(ada.asked[0]).toMatchObject({
      message: 'Who are you?',
      _meta: { [RELATED_TASK]: { taskId } },
    });
    await eventually(() => ada.statuses.includes('completed'));
    expect(ada.statuses).toContain('input_required');
  });

  it('cancels a task waiting for input: the upstream call ends, the question is gone', async () => {
    const hub = hubOn(createMemoryStore());
    await hub.start();
    const ada = await formClient(hub, 'Ada');
    const taskId = await ada.startElicit();
    await statusOf(ada.request, taskId, 'input_required');
    const cancelled = await ada.request('tasks/cancel', { taskId });
    expect(cancelled.status).toBe('cancelled');
    await expect(ada.request('tasks/result', { taskId })).rejects.toThrow(/was cancelled/);
    expect(ada.asked).toEqual([]);
  });

  it('fails a task that waited for input when its hub died (the tool is not idempotent)', async () => {
    const store = createMemoryStore();
    opened.push(store);
    const first = hubOn(store);
    await first.start();
    const taskId = await (await formClient(first, 'Ada')).startElicit();
    await statusOf((await formClient(first, 'Ada')).request, taskId, 'input_required');
    await first.close();

    const second = hubOn(store);
    await second.start();
    const again = await formClient(second, 'Ada');
    const failed = await statusOf(again.request, taskId, 'failed');
    expect(failed.statusMessage).toMatch(/waited for its client’s input.*not marked idempotent/);
    expect(again.asked).toEqual([]);
  });

  it('2026-07-28 tasks extension: inputRequests in tasks/get, answers with tasks/update', async () => {
    const hub = hubOn(createMemoryStore(), { extensionTools: ['up__elicit'] });
    await hub.start();
    const handler = createMcpHandler((context) => hub.createServer({ era: context.era }), {
      legacy: 'reject',
      bus: hub.bus,
    });
    // The SDK client does not decode `resultType: "task"`: the test reads the wire answers.
    const answers: Params[] = [];
    const transport = new StreamableHTTPClientTransport(new URL('http://hub.test/mcp'), {
      fetch: async (url, init) => {
        const response = await handler.fetch(new Request(url, init));
        for (const line of (await response.clone().text()).split('\n')) {
          const json = line.startsWith('data:') ? line.slice(5) : line;
          if (json.trim().startsWith('{')) answers.push(JSON.parse(json) as Params);
        }
        return response;
      },
    });
    const capabilities = { extensions: { 'io.modelcontextprotocol/tasks': {} }, elicitation: FORM };
    const client = new Client(
      { name: 'modern', version: '1.0.0' },
      { capabilities: capabilities as never, versionNegotiation: { mode: { pin: '2026-07-28' } } },
    );
    await client.connect(transport);
    opened.push({
      close: async () => {
        await client.close();
        await handler.close();
      },
    });
    const wire = async (method: string, params: Params) => {
      await client.request({ method, params } as never, ResultSchema).catch(() => undefined);
      return (answers.at(-1)?.result ?? answers.at(-1)?.error) as Params;
    };
    const created = await wire('tools/call', {
      name: 'up__elicit',
      arguments: { message: 'Who?' },
    });
    expect(created).toMatchObject({ resultType: 'task', status: 'working' });
    const taskIn = async (status: string) =>
      (await eventually(async () => {
        const task = await wire('tasks/get', { taskId: created.taskId });
        return task.status === status ? task : undefined;
      })) as Params;
    const waiting = await taskIn('input_required');
    const requests = waiting.inputRequests as Record<string, Params>;
    const [key] = Object.keys(requests);
    expect(requests[String(key)]).toMatchObject({
      method: 'elicitation/create',
      params: { message: 'Who?' },
    });
    const answer = { action: 'accept', content: { name: 'Bo' } };
    const updated = await wire('tasks/update', {
      taskId: created.taskId,
      inputResponses: { [String(key)]: answer, unknown: answer },
    });
    expect(updated).toMatchObject({ resultType: 'complete' });
    expect(updated).not.toHaveProperty('code');
    const done = await taskIn('completed');
    expect(textOf(done.result)).toBe('elicited:accept:{"name":"Bo"}');
    expect(done).not.toHaveProperty('inputRequests');
  });
});
