/**
 * A 2026-07-28 client's task forwarded to the upstream that runs it (issue #19): server-everything
 * (Streamable HTTP, 2025-11-25 tasks) behind the hub's real HTTP host, SDK v2 clients pinned to
 * 2026-07-28 declaring the tasks extension. Its task-only tool (`simulate-research-query`,
 * `taskSupport: 'required'`) answers with the extension's `resultType: 'task'`; `tasks/get`
 * reaches the upstream task and shows its result inline once completed; the id is the hub's and
 * another principal cannot use it; `tasks/cancel` cancels upstream; a client without the
 * extension is told which capability the tool needs (-32021).
 */

import { type Everything, startEverything } from '@fedmcp/test-support';
import { createMcpHttpHost } from '@fedmcp/transports/node';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { ResultSchema } from '@modelcontextprotocol/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually } from '../../test/helpers.js';
import type { Hub } from '../index.js';
import { createHub } from '../node/index.js';

type Params = Record<string, unknown>;

const TASKS = { 'io.modelcontextprotocol/tasks': {} };
const TOOL = 'everything__simulate-research-query';
const opened: Array<() => Promise<unknown>> = [];
let everything: Everything;
let hub: Hub;
let url: string;

beforeAll(async () => {
  everything = await startEverything();
  hub = createHub({
    upstreams: { everything: { url: everything.url } },
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
  await everything?.[Symbol.asyncDispose]();
});

/** A 2026-07-28 SDK client of `user`; `wire` resolves with a request's wire result or error. */
async function modernClient(user: string, capabilities: Params) {
  const answers: Params[] = [];
  const transport = new StreamableHTTPClientTransport(new URL(`${url}/mcp`), {
    requestInit: { headers: { 'x-user': user } },
    fetch: async (input, init) => {
      const response = await fetch(input, init);
      if (init?.method === 'POST') {
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
    await client.request({ method, params } as never, ResultSchema).catch(() => undefined);
    const answer = answers.at(-1) ?? {};
    return (answer.result ?? answer.error) as Params;
  };
}

/** The `notifications/tasks` each user's last client received, and that client. */
const notes = new Map<string, Params[]>();
const clients = new Map<string, Client>();

describe('2026-07-28 tasks forwarded to an upstream that runs them', () => {
  it('answers with the upstream’s task under a hub id, and inlines its result once completed', async () => {
    const ada = await modernClient('ada', { extensions: TASKS });
    const created = await ada('tools/call', { name: TOOL, arguments: { topic: 'federation' } });
    expect(created).toMatchObject({ resultType: 'task', status: 'working', ttlMs: 300_000 });
    const taskId = String(created.taskId);
    expect(taskId).toMatch(/^everything__[0-9a-f-]{36}$/);

    const done = await eventually(async () => {
      const task = await ada('tasks/get', { taskId });
      return task.status === 'completed' ? task : undefined;
    }, 30_000);
    expect(done).toMatchObject({ taskId, resultType: 'complete', pollIntervalMs: 1000 });
    expect(JSON.stringify(done?.result)).toContain('Research Report: federation');

    // Bound to its principal: another one meets an unknown task.
    const mallory = await modernClient('mallory', { extensions: TASKS });
    expect(await mallory('tasks/get', { taskId })).toMatchObject({ code: -32602 });
    expect(await mallory('tasks/cancel', { taskId })).toMatchObject({ code: -32602 });
  }, 60_000);

  it('follows a forwarded task on a listen stream (polling its upstream) for its owner only', async () => {
    const ada = await modernClient('ada', { extensions: TASKS });
    const created = await ada('tools/call', { name: TOOL, arguments: { topic: 'listened' } });
    const taskId = String(created.taskId);
    const mallory = await modernClient('mallory', { extensions: TASKS });
    const refused = await clients.get('mallory')!.listen({ taskIds: [taskId] } as never);
    // Nothing to follow for Mallory: acknowledged empty, then closed.
    expect(await refused.closed).toBe('graceful');
    expect(notes.get('mallory')).toEqual([]);
    await mallory('tasks/get', { taskId }); // still Ada's alone

    const subscription = await clients.get('ada')!.listen({ taskIds: [taskId] } as never);
    expect(await subscription.closed).toBe('graceful'); // once the task completed
    const statuses = notes.get('ada')!.map((note) => note.status);
    expect(statuses[0]).toBe('working');
    expect(statuses.at(-1)).toBe('completed');
    expect(new Set(statuses)).toEqual(new Set(['working', 'completed']));
    expect(JSON.stringify(notes.get('ada')!.at(-1)?.result)).toContain('Research Report: listened');
  }, 60_000);

  it('cancels the upstream task on tasks/cancel', async () => {
    const ada = await modernClient('ada', { extensions: TASKS });
    const created = await ada('tools/call', { name: TOOL, arguments: { topic: 'cancel me' } });
    const taskId = String(created.taskId);
    // The extension's empty acknowledgement (2025-11-25 answers with the task).
    const ack = await ada('tasks/cancel', { taskId });
    expect(ack).toMatchObject({ resultType: 'complete' });
    expect(ack).not.toHaveProperty('status');
    const task = await ada('tasks/get', { taskId });
    expect(task).toMatchObject({ taskId, status: 'cancelled' });
  }, 60_000);

  it('tells a client without the tasks extension that the tool needs it (-32021)', async () => {
    const plain = await modernClient('ada', {});
    expect(await plain('tools/call', { name: TOOL, arguments: { topic: 'x' } })).toMatchObject({
      code: -32021,
      data: { requiredCapabilities: { extensions: TASKS } },
    });
  });
});
