/**
 * The 2026 tasks extension forwarded faithfully (issue #19), through the hub's real HTTP host to
 * SDK v2 clients pinned to 2026-07-28 that declare the extension:
 *
 * 1. a 2026-07-28 upstream running the extension (SDK v2 server on loopback HTTP,
 *    test/fixtures/tasks-extension-upstream.ts): its `resultType: "task"` reaches the client under
 *    a hub id bound to its principal; `tasks/get`, `tasks/update` (an upstream question answered),
 *    and `tasks/cancel` reach it (listen streams: task-extension-forward-listen.test.ts); a task failing mid-way shows the upstream's
 *    error unchanged; a dead upstream gives an error, not a hang; an answer at once and a
 *    question before the task (multi round-trip) take the ordinary path.
 * 2. a 2025-11-25 upstream task that asks its client (server-everything's
 *    `simulate-research-query`, ambiguous): the question on its `tasks/result` stream shows as
 *    the task's `inputRequests`, the client's `tasks/update` answer reaches the upstream and the
 *    task completes with it; a cancel while it waits ends it.
 */
import { type Everything, startEverything } from '@fedmcp/test-support';
import { createMcpHttpHost } from '@fedmcp/transports/node';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { ResultSchema } from '@modelcontextprotocol/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  startTasksExtensionUpstream,
  type TasksExtensionUpstream,
} from '../../test/fixtures/tasks-extension-upstream.js';
import { eventually } from '../../test/helpers.js';
import type { Hub } from '../index.js';
import { createHub } from '../node/index.js';

type Params = Record<string, unknown>;

const TASKS = { 'io.modelcontextprotocol/tasks': {} };
const ASKING = { extensions: TASKS, elicitation: { form: {} } };
const opened: Array<() => Promise<unknown>> = [];
let tasky: TasksExtensionUpstream;
let doomed: TasksExtensionUpstream;
let everything: Everything;
/** A second server-everything, killed mid-task by a test (then `undefined`). */
let fragile: Everything | undefined;
let hub: Hub;
let url: string;

beforeAll(async () => {
  [tasky, doomed, everything, fragile] = await Promise.all([
    startTasksExtensionUpstream(),
    startTasksExtensionUpstream(),
    startEverything(),
    startEverything(),
  ]);
  hub = createHub({
    upstreams: {
      tasky: { url: tasky.url },
      doomed: { url: doomed.url },
      everything: { url: everything.url },
      fragile: { url: fragile.url },
    },
    healthIntervalMs: 0,
  });
  await hub.start();
  const host = createMcpHttpHost({
    createServer: hub.createServer,
    fastRequest: hub.fastRequest,
    bus: hub.bus,
    port: 0,
    authenticate: (request) => {
      const user = request.headers.get('x-user');
      return user ? { subject: user, issuer: 'test', authMethod: 'api-key' } : undefined;
    },
  });
  url = (await host.listen()).url;
  opened.push(
    () => host.close(),
    () => hub.close(),
  );
}, 60_000);

afterAll(async () => {
  for (const close of opened.splice(0).reverse()) await close();
  await Promise.all([
    tasky?.close(),
    doomed?.close(),
    everything?.[Symbol.asyncDispose](),
    fragile?.[Symbol.asyncDispose](),
  ]);
});

/** The `notifications/tasks` each user's last client received, and that client. */
const notes = new Map<string, Params[]>();
const clients = new Map<string, Client>();

/** A 2026-07-28 SDK client of `user`; the function resolves with a request's wire result or error. */
async function modernClient(user: string, capabilities: Params) {
  const answers: Params[] = [];
  const transport = new StreamableHTTPClientTransport(new URL(`${url}/mcp`), {
    requestInit: { headers: { 'x-user': user } },
    fetch: async (input, init) => {
      const response = await fetch(input, init);
      // A listen stream stays open: never buffered (its notifications reach the handler).
      if (init?.method === 'POST' && !String(init.body).includes('"subscriptions/listen"')) {
        for (const line of (await response.clone().text()).split('\n')) {
          const json = (line.startsWith('data:') ? line.slice(5) : line).trim();
          if (json.startsWith('{')) answers.push(JSON.parse(json) as Params);
        }
      }
      return response;
    },
  });
  const client = new Client(
    { name: user, version: '1.0.0' },
    { capabilities: capabilities as never, versionNegotiation: { mode: { pin: '2026-07-28' } } },
  );
  notes.set(user, []);
  client.fallbackNotificationHandler = async (notification) => {
    if (notification.method === 'notifications/tasks') {
      notes.get(user)?.push(notification.params as Params);
    }
  };
  if (capabilities.elicitation) {
    client.setRequestHandler('elicitation/create', async () => ({ action: 'accept', content: {} }));
  }
  await client.connect(transport);
  opened.push(() => client.close());
  clients.set(user, client);
  return async (method: string, params: Params): Promise<Params> => {
    answers.length = 0;
    await client.request({ method, params } as never, ResultSchema).catch(() => undefined);
    const answer = answers.findLast((item) => 'result' in item || 'error' in item) ?? {};
    return (answer.result ?? answer.error) as Params;
  };
}

/** Polls `tasks/get` until `done` holds of the task. */
function pollUntil(
  ask: (method: string, params: Params) => Promise<Params>,
  taskId: string,
  done: (task: Params) => boolean,
): Promise<Params> {
  return eventually(async () => {
    const task = await ask('tasks/get', { taskId });
    return done(task) ? task : undefined;
  }, 30_000) as Promise<Params>;
}

describe('a 2026-07-28 upstream running the tasks extension', () => {
  it('forwards its task under a hub id, bound to the principal, with the result inline', async () => {
    const ada = await modernClient('ada', { extensions: TASKS });
    const created = await ada('tools/call', { name: 'tasky__job', arguments: { topic: 'alpha' } });
    expect(created).toMatchObject({ resultType: 'task', status: 'working', ttlMs: 600_000 });
    const taskId = String(created.taskId);
    expect(taskId).toMatch(/^tasky__[0-9a-f-]{36}$/);
    expect(taskId).not.toContain(tasky.byTopic.get('alpha')!.taskId);
    // The extension went upstream on this call only.
    expect(tasky.requests.at(-1)).toEqual({ method: 'tools/call', extension: true });

    expect(await ada('tasks/get', { taskId })).toMatchObject({ taskId, status: 'working' });
    tasky.settle('alpha');
    const done = await pollUntil(ada, taskId, (task) => task.status === 'completed');
    expect(done).toMatchObject({
      taskId,
      resultType: 'complete',
      pollIntervalMs: 50,
      result: { content: [{ type: 'text', text: 'done: alpha' }] },
    });

    const mallory = await modernClient('mallory', { extensions: TASKS });
    expect(await mallory('tasks/get', { taskId })).toMatchObject({ code: -32602 });
    expect(await mallory('tasks/cancel', { taskId })).toMatchObject({ code: -32602 });
    expect(await mallory('tasks/update', { taskId, inputResponses: {} })).toMatchObject({
      code: -32602,
    });
  }, 60_000);

  it('shows the upstream task’s questions and passes the tasks/update answer on', async () => {
    const ada = await modernClient('ada', ASKING);
    const created = await ada('tools/call', { name: 'tasky__ask', arguments: { topic: 'beta' } });
    expect(created).toMatchObject({ resultType: 'task', status: 'input_required' });
    const taskId = String(created.taskId);
    const waiting = await ada('tasks/get', { taskId });
    expect(waiting).toMatchObject({
      status: 'input_required',
      inputRequests: { 'name-1': { method: 'elicitation/create' } },
    });
    // The upstream's own task id never shows (its related-task marks are dropped).
    expect(JSON.stringify(waiting)).not.toContain(tasky.byTopic.get('beta')!.taskId);
    expect(
      await ada('tasks/update', {
        taskId,
        inputResponses: { 'name-1': { action: 'accept', content: { name: 'Ada' } } },
      }),
    ).toMatchObject({ resultType: 'complete' });
    const done = await pollUntil(ada, taskId, (task) => task.status === 'completed');
    expect(JSON.stringify(done.result)).toContain('answered: Ada');
  }, 60_000);

  it('cancels upstream, and shows a task failing mid-way with the upstream’s error', async () => {
    const ada = await modernClient('ada', { extensions: TASKS });
    const cancelled = await ada('tools/call', {
      name: 'tasky__job',
      arguments: { topic: 'gamma' },
    });
    const ack = await ada('tasks/cancel', { taskId: cancelled.taskId });
    expect(ack).toMatchObject({ resultType: 'complete' });
    expect(ack).not.toHaveProperty('status');
    expect(tasky.byTopic.get('gamma')?.status).toBe('cancelled');
    expect(await ada('tasks/get', { taskId: cancelled.taskId })).toMatchObject({
      status: 'cancelled',
    });

    const failing = await ada('tools/call', { name: 'tasky__job', arguments: { topic: 'delta' } });
    tasky.settle('delta', { code: -32000, message: 'disk on fire' });
    const failed = await pollUntil(ada, String(failing.taskId), (task) => task.status === 'failed');
    expect(failed).toMatchObject({ error: { code: -32000, message: 'disk on fire' } });
  }, 60_000);

  it('relays the upstream’s progress while it creates the task, with the client’s token', async () => {
    await modernClient('ada', { extensions: TASKS });
    const progress: Params[] = [];
    await clients
      .get('ada')!
      .request(
        { method: 'tools/call', params: { name: 'tasky__staged', arguments: { topic: 'pi' } } },
        ResultSchema,
        { onprogress: (note) => progress.push(note as Params) },
      )
      // SDK 2.4.0's client refuses resultType 'task'; the progress came before it.
      .catch(() => undefined);
    expect(progress).toMatchObject([
      { progress: 1, total: 2, message: 'stage 1' },
      { progress: 2, total: 2, message: 'stage 2' },
    ]);
    const task = tasky.byTopic.get('pi');
    expect(task?.status).toBe('working');
    tasky.settle('pi');
  }, 60_000);

  it('passes an answer given at once, and runs questions before a task the ordinary way', async () => {
    const ada = await modernClient('ada', ASKING);
    expect(
      await ada('tools/call', { name: 'tasky__echo', arguments: { text: 'hi' } }),
    ).toMatchObject({ resultType: 'complete', content: [{ type: 'text', text: 'hi' }] });
    // A client without the extension: never a task; the upstream's -32021 arrives unchanged.
    const plain = await modernClient('bob', {});
    expect(
      await plain('tools/call', { name: 'tasky__job', arguments: { topic: 'z' } }),
    ).toMatchObject({
      code: -32021,
      message: 'Missing required client capability',
    });
    expect(tasky.requests.at(-1)).toEqual({ method: 'tools/call', extension: false });
    // Multi round-trip before any task: the SDK client answers the hub's input_required.
    const confirmed = await ada('tools/call', { name: 'tasky__confirm', arguments: {} });
    expect(JSON.stringify(confirmed)).toContain('confirmed: accept');
  }, 60_000);

  it('answers with an error, not a hang, when the upstream dies mid-task', async () => {
    const ada = await modernClient('ada', { extensions: TASKS });
    const created = await ada('tools/call', { name: 'doomed__job', arguments: { topic: 'omega' } });
    await doomed.close();
    const answer = await ada('tasks/get', { taskId: created.taskId });
    expect(answer).toMatchObject({ code: expect.any(Number) });
    expect(String(answer.message)).toMatch(/doomed|upstream|fetch|connect/i);
  }, 60_000);
});

describe('questions of a 2025-11-25 upstream task, for a 2026-07-28 client', () => {
  const TOOL = 'everything__simulate-research-query';

  it('shows the question on tasks/result as inputRequests and passes the answer on', async () => {
    const ada = await modernClient('ada', ASKING);
    const created = await ada('tools/call', {
      name: TOOL,
      arguments: { topic: 'python', ambiguous: true },
    });
    const taskId = String(created.taskId);
    const waiting = await pollUntil(
      ada,
      taskId,
      (task) =>
        task.status === 'input_required' &&
        Object.keys((task.inputRequests as Params | undefined) ?? {}).length > 0,
    );
    const entries = Object.entries(waiting.inputRequests as Record<string, Params>);
    expect(entries).toHaveLength(1);
    const [key, question] = entries[0]!;
    expect(question).toMatchObject({ method: 'elicitation/create' });
    expect(JSON.stringify(question.params)).toContain('multiple interpretations');
    // The upstream's own task id does not leak through the related-task mark.
    expect(JSON.stringify(question)).not.toContain('related-task');
    // Polled again: the same outstanding question, same key.
    const again = await ada('tasks/get', { taskId });
    expect(Object.keys(again.inputRequests as Params)).toEqual([key]);

    await ada('tasks/update', {
      taskId,
      inputResponses: { [key]: { action: 'accept', content: { interpretation: 'snake' } } },
    });
    const done = await pollUntil(ada, taskId, (task) => task.status === 'completed');
    expect(JSON.stringify(done.result)).toContain('python (snake)');
  }, 60_000);

  it('ends the held question when the client cancels the task', async () => {
    const ada = await modernClient('ada', ASKING);
    const created = await ada('tools/call', {
      name: TOOL,
      arguments: { topic: 'history', ambiguous: true },
    });
    const taskId = String(created.taskId);
    await pollUntil(
      ada,
      taskId,
      (task) => Object.keys((task.inputRequests as Params | undefined) ?? {}).length > 0,
    );
    expect(await ada('tasks/cancel', { taskId })).toMatchObject({ resultType: 'complete' });
    const task = await pollUntil(ada, taskId, (state) => state.status !== 'input_required');
    expect(task.status).toBe('cancelled');
    expect(task).not.toHaveProperty('inputRequests');
  }, 60_000);

  it('answers with an error, not a hang, when the upstream dies while its question is held', async () => {
    const ada = await modernClient('ada', ASKING);
    const created = await ada('tools/call', {
      name: 'fragile__simulate-research-query',
      arguments: { topic: 'fragile', ambiguous: true },
    });
    const taskId = String(created.taskId);
    const waiting = await pollUntil(
      ada,
      taskId,
      (task) => Object.keys((task.inputRequests as Params | undefined) ?? {}).length > 0,
    );
    const [key] = Object.keys(waiting.inputRequests as Params);
    const dying = fragile!;
    fragile = undefined;
    await dying[Symbol.asyncDispose]();
    const answer = await ada('tasks/get', { taskId });
    expect(answer).toMatchObject({ code: expect.any(Number) });
    expect(answer).not.toHaveProperty('status');
    // An answer to a question whose upstream is gone is acknowledged, and goes nowhere.
    expect(
      await ada('tasks/update', { taskId, inputResponses: { [key!]: { action: 'decline' } } }),
    ).toMatchObject({ resultType: 'complete' });
  }, 60_000);
});
