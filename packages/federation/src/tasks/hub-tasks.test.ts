import { createHmac } from 'node:crypto';
import { createServer, type IncomingMessage } from 'node:http';
import { createMemoryStore } from '@fedmcp/store';
import { ResultSchema } from '@modelcontextprotocol/core';
import { afterEach, describe, expect, it } from 'vitest';
import { createTasksKit } from '../../test/fixtures/hub-tasks-kit.js';
import { eventually, textOf } from '../../test/helpers.js';
import { createTaskAdmin, type Hub } from '../index.js';

type Params = Record<string, unknown>;

const kit = createTasksKit();
const { state, opened, tasksHub } = kit;
afterEach(kit.close);

/** A 2025-era client of `subject`, collecting the task status notifications it gets. */
async function clientOf(hub: Hub, subject: string) {
  const statuses: Params[] = [];
  const { client, request } = await kit.legacyClient(hub, subject, {}, (created) => {
    created.fallbackNotificationHandler = async (notification) => {
      if (notification.method === 'notifications/tasks/status')
        statuses.push(notification.params as Params);
    };
  });
  return { client, statuses, request };
}

const callAsTask = (name: string, args: Params = {}, meta?: Params) => ({
  name,
  arguments: args,
  task: { ttl: 60_000 },
  ...(meta ? { _meta: meta } : {}),
});

async function until(
  request: (method: string, params: Params) => Promise<Params>,
  taskId: string,
  status: string,
): Promise<Params> {
  const task = await eventually(async () => {
    const current = await request('tasks/get', { taskId });
    return current.status === status ? current : undefined;
  });
  return task as Params;
}

describe('hub-managed tasks', () => {
  it('runs a task-augmented call of a tool whose upstream knows nothing of tasks', async () => {
    const hub = tasksHub(createMemoryStore());
    await hub.start();
    const { request, statuses } = await clientOf(hub, 'ada');
    const created = await request('tools/call', callAsTask('up__echo', { text: 'hi' }));
    const task = created.task as Params;
    expect(task).toMatchObject({ status: 'working', ttl: 60_000, pollInterval: 20 });
    expect(String(task.taskId)).toMatch(/^hubtask\./);
    const result = await request('tasks/result', { taskId: task.taskId });
    expect(textOf(result)).toBe('up:hi');
    expect(result._meta).toMatchObject({
      'io.modelcontextprotocol/related-task': { taskId: task.taskId },
    });
    await eventually(() => statuses.some((status) => status.status === 'completed'));
    const listed = await request('tasks/list', {});
    expect((listed.tasks as Params[]).map((entry) => entry.taskId)).toContain(task.taskId);
  });

  it('keeps a failed call as a failed task whose result is the upstream error', async () => {
    const hub = tasksHub(createMemoryStore());
    await hub.start();
    const { request } = await clientOf(hub, 'ada');
    const { task } = (await request('tools/call', callAsTask('up__fail'))) as { task: Params };
    const failed = await until(request, String(task.taskId), 'failed');
    expect(failed.statusMessage).toBe('upstream refused');
    await expect(request('tasks/result', { taskId: task.taskId })).rejects.toMatchObject({
      code: -32050,
      message: 'upstream refused',
    });
  });

  it('hides a principal’s tasks from another: not listed, not readable, not cancellable', async () => {
    const hub = tasksHub(createMemoryStore());
    await hub.start();
    const ada = await clientOf(hub, 'ada');
    const eve = await clientOf(hub, 'eve');
    const { task } = (await ada.request('tools/call', callAsTask('up__slow', { ms: 60_000 }))) as {
      task: Params;
    };
    const listed = await eve.request('tasks/list', {});
    expect(listed.tasks).toEqual([]);
    for (const method of ['tasks/get', 'tasks/result', 'tasks/cancel']) {
      await expect(eve.request(method, { taskId: task.taskId })).rejects.toMatchObject({
        code: -32602,
      });
    }
    expect((await ada.request('tasks/get', { taskId: task.taskId })).status).toBe('working');
    await ada.request('tasks/cancel', { taskId: task.taskId });
  });

  it('cancels a running task: the upstream call is cancelled, a second cancel is refused', async () => {
    const hub = tasksHub(createMemoryStore());
    await hub.start();
    const { request, statuses } = await clientOf(hub, 'ada');
    const before = state.cancelled;
    const { task } = (await request('tools/call', callAsTask('up__slow', { ms: 60_000 }))) as {
      task: Params;
    };
    const cancelled = await request('tasks/cancel', { taskId: task.taskId });
    expect(cancelled.status).toBe('cancelled');
    await eventually(() => state.cancelled > before);
    expect((await request('tasks/get', { taskId: task.taskId })).status).toBe('cancelled');
    await expect(request('tasks/cancel', { taskId: task.taskId })).rejects.toMatchObject({
      code: -32602,
    });
    expect(statuses.at(-1)).toMatchObject({ taskId: task.taskId, status: 'cancelled' });
  });

  it('lets an operator list and cancel tasks from the store; the running hub stops the call', async () => {
    const store = createMemoryStore();
    const hub = tasksHub(store);
    await hub.start();
    const { request, statuses } = await clientOf(hub, 'ada');
    const before = state.cancelled;
    const { task } = (await request('tools/call', callAsTask('up__slow', { ms: 60_000 }))) as {
      task: Params;
    };
    const admin = createTaskAdmin(store);
    const [listed] = await admin.list();
    expect(listed).toMatchObject({
      taskId: task.taskId,
      status: 'working',
      tool: 'up__slow',
      owner: 'ada',
    });
    expect(listed).not.toHaveProperty('arguments');
    expect(await admin.cancel(String(task.taskId))).toMatchObject({ status: 'cancelled' });
    await eventually(() => state.cancelled > before);
    await eventually(() => statuses.some((status) => status.status === 'cancelled'));
    await expect(admin.cancel(String(task.taskId))).rejects.toThrow(/already cancelled/);
    await expect(admin.get('hubtask.nope')).rejects.toThrow(/No task hubtask.nope/);
  });

  it('keeps the upstream progress of a task in its record', async () => {
    const store = createMemoryStore();
    const hub = tasksHub(store);
    await hub.start();
    const { request } = await clientOf(hub, 'ada');
    const { task } = (await request('tools/call', callAsTask('up__progress', { steps: 3 }))) as {
      task: Params;
    };
    expect(textOf(await request('tasks/result', { taskId: task.taskId }))).toBe('done 3');
    expect(await createTaskAdmin(store).get(String(task.taskId))).toMatchObject({
      progress: { progress: 3, total: 3, message: 'step 3' },
      statusMessage: 'step 3',
    });
  });

  it('refuses a task beyond maxRunningPerPrincipal', async () => {
    const hub = tasksHub(createMemoryStore(), { maxRunningPerPrincipal: 1 });
    await hub.start();
    const { request } = await clientOf(hub, 'ada');
    const { task } = (await request('tools/call', callAsTask('up__slow', { ms: 60_000 }))) as {
      task: Params;
    };
    await expect(request('tools/call', callAsTask('up__echo', { text: 'x' }))).rejects.toThrow(
      /1 tasks running, the most allowed/,
    );
    await request('tasks/cancel', { taskId: task.taskId });
  });

  it('after its hub died, resumes an idempotent task and fails any other with the reason', async () => {
    const store = createMemoryStore();
    opened.push(store);
    const first = tasksHub(store, { resumableTools: ['up__slow'] });
    await first.start();
    const ada = await clientOf(first, 'ada');
    const resumable = (await ada.request('tools/call', callAsTask('up__slow', { ms: 200 }))) as {
      task: Params;
    };
    const other = (await ada.request('tools/call', callAsTask('up__hang'))) as { task: Params };
    await first.close(); // its runs stop; their leases lapse

    const second = tasksHub(store, { resumableTools: ['up__slow'] });
    await second.start();
    const again = await clientOf(second, 'ada');
    const result = await again.request('tasks/result', { taskId: resumable.task.taskId });
    expect(textOf(result)).toBe('slow done');
    const failed = await until(again.request, String(other.task.taskId), 'failed');
    expect(failed.statusMessage).toMatch(/stopped before it finished.*not marked idempotent/);
    await expect(
      again.request('tasks/result', { taskId: other.task.taskId }),
    ).rejects.toMatchObject({
      code: -32603,
      message: expect.stringMatching(/did not run it again/),
    });
  });

  it('tells a session that asks about a task after a restart of its later changes', async () => {
    const store = createMemoryStore();
    opened.push(store);
    const first = tasksHub(store, { resumableTools: ['up__slow'] });
    await first.start();
    const ada = await clientOf(first, 'ada');
    const { task } = (await ada.request('tools/call', callAsTask('up__slow', { ms: 60_000 }))) as {
      task: Params;
    };
    await first.close();
    const second = tasksHub(store, { resumableTools: ['up__slow'] });
    await second.start();
    const admin = createTaskAdmin(store);
    await eventually(async () => (await admin.get(String(task.taskId))).attempts === 2);
    const again = await clientOf(second, 'ada');
    expect((await again.request('tasks/get', { taskId: task.taskId })).status).toBe('working');
    await admin.cancel(String(task.taskId));
    await eventually(() => again.statuses.some((status) => status.status === 'cancelled'));
  });

  it('POSTs completion to an allowed callback URL, signed per Standard Webhooks', async () => {
    const secret = `whsec_${Buffer.alloc(32, 7).toString('base64')}`;
    const received: Array<{ headers: IncomingMessage['headers']; body: string }> = [];
    const receiver = createServer((incoming, response) => {
      let body = '';
      incoming.on('data', (chunk) => {
        body += chunk;
      });
      incoming.on('end', () => {
        received.push({ headers: incoming.headers, body });
        response.writeHead(204).end();
      });
    });
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
    opened.push({ close: () => new Promise((resolve) => receiver.close(() => resolve())) });
    const base = `http://127.0.0.1:${(receiver.address() as { port: number }).port}/hooks/`;
    const hub = tasksHub(createMemoryStore(), {
      callbacks: { secret, allowedUrls: [base, 'http://localhost'] },
    });
    await hub.start();
    const { request } = await clientOf(hub, 'ada');
    const origin = base.replace(/\/hooks\/$/, '');
    for (const refused of [
      'http://127.0.0.1:1/x',
      `${origin}/other`,
      'http://localhost.evil.test/x',
      base.replace('http://', 'http://user:pw@'),
      'not a url',
    ]) {
      await expect(
        request('tools/call', callAsTask('up__echo', {}, { 'io.fedmcp/callbackUrl': refused })),
        refused,
      ).rejects.toMatchObject({ code: -32602 });
    }
    const { task } = (await request(
      'tools/call',
      callAsTask('up__echo', { text: 'cb' }, { 'io.fedmcp/callbackUrl': `${base}done` }),
    )) as { task: Params };
    await eventually(() => received.length > 0);
    const { headers, body } = received[0]!;
    const signed = `${headers['webhook-id']}.${headers['webhook-timestamp']}.${body}`;
    const expected = createHmac('sha256', Buffer.alloc(32, 7)).update(signed).digest('base64');
    expect(headers['webhook-signature']).toBe(`v1,${expected}`);
    expect(JSON.parse(body)).toMatchObject({
      type: 'task.completed',
      data: { taskId: task.taskId, status: 'completed', result: { content: [{ text: 'up:cb' }] } },
    });
  });

  it('answers a 2026-07-28 client that declares the tasks extension with resultType "task"', async () => {
    const hub = tasksHub(createMemoryStore(), { extensionTools: ['up__echo'] });
    await hub.start();
    const extension = { extensions: { 'io.modelcontextprotocol/tasks': {} } };
    const { wire } = await kit.modernWireClient(hub, extension);
    const created = await wire('tools/call', { name: 'up__echo', arguments: { text: 'm' } });
    expect(created).toMatchObject({ resultType: 'task', status: 'working', ttlMs: 3_600_000 });
    const done = await eventually(async () => {
      const task = await wire('tasks/get', { taskId: created.taskId });
      return task.status === 'completed' ? task : undefined;
    });
    expect(done).toMatchObject({ result: { content: [{ type: 'text', text: 'up:m' }] } });
    expect(await wire('tasks/update', { taskId: created.taskId, inputResponses: {} })).toEqual(
      expect.not.objectContaining({ code: expect.anything() }),
    );
    // A tool not chosen for tasks answers as usual.
    const plain = await wire('tools/call', { name: 'up__progress', arguments: { steps: 1 } });
    expect(textOf(plain)).toBe('done 1');
  });

  it('never answers a 2026-07-28 client without the tasks extension with a task', async () => {
    const hub = tasksHub(createMemoryStore(), { extensionTools: ['*'] });
    await hub.start();
    const { client } = await kit.modernWireClient(hub, {});
    const result = await client.callTool({ name: 'up__echo', arguments: { text: 'now' } });
    expect(textOf(result)).toBe('up:now');
    await expect(
      client.request(
        { method: 'tasks/get', params: { taskId: 'hubtask.x' } } as never,
        ResultSchema,
      ),
    ).rejects.toMatchObject({
      code: -32021,
      data: { requiredCapabilities: { extensions: { 'io.modelcontextprotocol/tasks': {} } } },
    });
  });
});
