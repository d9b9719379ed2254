/**
 * `input_required` of hub-managed tasks: an upstream that asks for elicitation while the hub runs
 * its call as a task. A 2025-11-25 client gets the question on `tasks/result` (marked with the
 * related task); a 2026-07-28 client with the tasks extension reads `inputRequests` with
 * `tasks/get` and answers with `tasks/update`; a cancel or a dead hub ends a waiting task.
 */
import { createMemoryStore } from '@fedmcp/store';
import { afterEach, describe, expect, it } from 'vitest';
import { createTasksKit } from '../../test/fixtures/hub-tasks-kit.js';
import { eventually, textOf } from '../../test/helpers.js';
import type { Hub } from '../index.js';

type Params = Record<string, unknown>;

const kit = createTasksKit();
afterEach(kit.close);

const FORM = { form: {} };
const RELATED_TASK = 'io.modelcontextprotocol/related-task';

/** A 2025-era client of ada that can answer forms (with `name`), and what it was asked. */
async function formClient(hub: Hub, name: string) {
  const asked: Params[] = [];
  const statuses: string[] = [];
  const { request } = await kit.legacyClient(hub, 'ada', { elicitation: FORM }, (client) => {
    client.setRequestHandler('elicitation/create', async (request) => {
      asked.push(request.params as Params);
      return { action: 'accept', content: { name } };
    });
    client.fallbackNotificationHandler = async (notification) => {
      if (notification.method === 'notifications/tasks/status') {
        statuses.push(String((notification.params as Params).status));
      }
    };
  });
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
    const hub = kit.tasksHub(createMemoryStore());
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
    const hub = kit.tasksHub(createMemoryStore());
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
    kit.opened.push(store);
    const first = kit.tasksHub(store);
    await first.start();
    const taskId = await (await formClient(first, 'Ada')).startElicit();
    await statusOf((await formClient(first, 'Ada')).request, taskId, 'input_required');
    await first.close();

    const second = kit.tasksHub(store);
    await second.start();
    const again = await formClient(second, 'Ada');
    const failed = await statusOf(again.request, taskId, 'failed');
    expect(failed.statusMessage).toMatch(/waited for its client’s input.*not marked idempotent/);
    expect(again.asked).toEqual([]);
  });

  it('asks again when an idempotent task that waited for input resumes after its hub died', async () => {
    const store = createMemoryStore();
    kit.opened.push(store);
    const first = kit.tasksHub(store, { resumableTools: ['up__elicit'] });
    await first.start();
    const ada = await formClient(first, 'Ada');
    const taskId = await ada.startElicit();
    await statusOf(ada.request, taskId, 'input_required');
    await first.close();

    const second = kit.tasksHub(store, { resumableTools: ['up__elicit'] });
    await second.start();
    const again = await formClient(second, 'Ada');
    const result = await again.request('tasks/result', { taskId });
    expect(textOf(result)).toBe('elicited:accept:{"name":"Ada"}');
    expect(again.asked.at(-1)).toMatchObject({ _meta: { [RELATED_TASK]: { taskId } } });
    expect(ada.asked).toEqual([]);
  });

  it('2026-07-28 tasks extension: inputRequests in tasks/get, answered with tasks/update on another replica', async () => {
    const store = createMemoryStore();
    kit.opened.push(store);
    const runner = kit.tasksHub(store, { extensionTools: ['up__elicit'] });
    const replica = kit.tasksHub(store, { extensionTools: ['up__elicit'] });
    await runner.start();
    await replica.start();
    const capabilities = { extensions: { 'io.modelcontextprotocol/tasks': {} }, elicitation: FORM };
    const caller = await kit.modernWireClient(runner, capabilities);
    // Every later request reaches the other hub: the answer travels through the store's pub/sub.
    const { wire } = await kit.modernWireClient(replica, capabilities);
    const created = await caller.wire('tools/call', {
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
