/**
 * Listen streams following tasks forwarded to a 2026-07-28 upstream running the tasks extension
 * (issue #19), through the hub's real HTTP host to SDK v2 clients pinned to 2026-07-28: the hub
 * follows the upstream's own `subscriptions/listen` with `taskIds` (a task asking to be polled
 * every 10 minutes still completes on the client's stream at once), relays progress tied to the
 * task with the client's token, and polls an upstream whose listen ignores task ids.
 */
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
const opened: Array<() => Promise<unknown>> = [];
let tasky: TasksExtensionUpstream;
/** An upstream whose listen ignores taskIds (the SDK's router): its tasks are polled. */
let unheard: TasksExtensionUpstream;
let hub: Hub;
let url: string;

beforeAll(async () => {
  [tasky, unheard] = await Promise.all([
    startTasksExtensionUpstream(),
    startTasksExtensionUpstream({ listen: false }),
  ]);
  hub = createHub({
    upstreams: { tasky: { url: tasky.url }, unheard: { url: unheard.url } },
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
  await Promise.all([tasky?.close(), unheard?.close()]);
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

describe('listen streams following a 2026-07-28 upstream’s task', () => {
  it('follows the task on a listen stream until it completes', async () => {
    const ada = await modernClient('ada', { extensions: TASKS });
    const created = await ada('tools/call', { name: 'tasky__job', arguments: { topic: 'eps' } });
    const taskId = String(created.taskId);
    const subscription = await clients.get('ada')!.listen({ taskIds: [taskId] } as never);
    await eventually(async () => (notes.get('ada')!.length > 0 ? true : undefined), 30_000);
    tasky.settle('eps');
    expect(await subscription.closed).toBe('graceful');
    const last = notes.get('ada')!.at(-1);
    expect(last).toMatchObject({ taskId, status: 'completed' });
    expect(JSON.stringify(last?.result)).toContain('done: eps');
  }, 60_000);

  it('follows the task on the upstream’s own listen stream, not by polling', async () => {
    const ada = await modernClient('ada', { extensions: TASKS });
    // A quiet task asks to be polled every 10 minutes: only the upstream's listen is prompt.
    const created = await ada('tools/call', {
      name: 'tasky__job',
      arguments: { topic: 'quiet-1' },
    });
    expect(created).toMatchObject({ pollIntervalMs: 600_000 });
    const taskId = String(created.taskId);
    const subscription = await clients.get('ada')!.listen({ taskIds: [taskId] } as never);
    await eventually(
      async () =>
        tasky.requests.some((item) => item.method === 'subscriptions/listen') ? true : undefined,
      30_000,
    );
    await eventually(async () => (notes.get('ada')!.length > 0 ? true : undefined), 30_000);
    tasky.settle('quiet-1');
    expect(await subscription.closed).toBe('graceful');
    const last = notes.get('ada')!.at(-1);
    expect(last).toMatchObject({ taskId, status: 'completed' });
    expect(JSON.stringify(last)).toContain('done: quiet-1');
    expect(JSON.stringify(last)).not.toContain(tasky.byTopic.get('quiet-1')!.taskId);
  }, 60_000);

  it('relays progress tied to the task on the listen stream, with the call’s token', async () => {
    const ada = await modernClient('ada', { extensions: TASKS });
    const created = await ada('tools/call', {
      name: 'tasky__job',
      arguments: { topic: 'quiet-2' },
      _meta: { progressToken: 'ada-progress' },
    });
    const taskId = String(created.taskId);
    // The upstream got a token of the hub's, never the client's.
    expect(tasky.byTopic.get('quiet-2')!.progressToken).toMatch(/^fedmcp-raw-/);
    const client = clients.get('ada')!;
    const seen: Params[] = [];
    const transport = client.transport!;
    const deliver = transport.onmessage!;
    transport.onmessage = (message, extra) => {
      if ('method' in message && message.method === 'notifications/progress') {
        seen.push(message.params as Params);
        return;
      }
      deliver.call(transport, message, extra);
    };
    const subscription = await client.listen({ taskIds: [taskId] } as never);
    await eventually(async () => (notes.get('ada')!.length > 0 ? true : undefined), 30_000);
    // Sent again until the hub's upstream listen is acknowledged and relays it.
    await eventually(async () => {
      tasky.progress('quiet-2', 1);
      return seen.length > 0 ? true : undefined;
    }, 30_000);
    expect(seen[0]).toMatchObject({ progressToken: 'ada-progress', progress: 1, total: 3 });
    expect(JSON.stringify(seen[0])).not.toContain(tasky.byTopic.get('quiet-2')!.taskId);
    tasky.settle('quiet-2');
    expect(await subscription.closed).toBe('graceful');
    expect(notes.get('ada')!.at(-1)).toMatchObject({ taskId, status: 'completed' });
  }, 60_000);

  it('polls the task when the upstream’s listen does not follow task ids', async () => {
    const ada = await modernClient('ada', { extensions: TASKS });
    const created = await ada('tools/call', { name: 'unheard__job', arguments: { topic: 'q' } });
    const taskId = String(created.taskId);
    const subscription = await clients.get('ada')!.listen({ taskIds: [taskId] } as never);
    await eventually(async () => (notes.get('ada')!.length > 0 ? true : undefined), 30_000);
    unheard.settle('q');
    expect(await subscription.closed).toBe('graceful');
    expect(notes.get('ada')!.at(-1)).toMatchObject({ taskId, status: 'completed' });
    expect(unheard.requests.filter((item) => item.method === 'tasks/get').length).toBeGreaterThan(
      0,
    );
  }, 60_000);
});
