/**
 * Progress a 2025-11-25 upstream sends for its task after its `CreateTaskResult` answered the
 * call (issue #19; MCP 2025-11-25 basic/utilities/tasks: the progress token stays valid for the
 * task's life). The upstream is a real SDK v1 server running a task tool (`registerToolTask`,
 * `InMemoryTaskStore`) that sends progress with the call's token whenever the test says so,
 * behind the hub's real HTTP host:
 *
 * - a 2025-era client that called it task-augmented gets the progress on its session, with its
 *   own token and the related-task mark (the hub's task id);
 * - a 2026-07-28 client (the tasks extension) gets it on its listen stream following the task.
 *
 * The upstream never sees a client's token, only the hub's.
 */
import { createMcpHttpHost } from '@fedmcp/transports/node';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { CreateTaskResultSchema, ResultSchema } from '@modelcontextprotocol/core';
import { InMemoryTaskStore } from '@modelcontextprotocol/sdk/experimental/tasks/stores/in-memory.js';
import { McpServer as V1McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { Transport as V1Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import { InMemoryTransport, type JSONRPCMessage } from '@modelcontextprotocol/server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually } from '../../test/helpers.js';
import type { Hub, UpstreamConnector } from '../index.js';
import { createHub } from '../node/index.js';

type Params = Record<string, unknown>;

/** A task the upstream created: its id, the token its call carried, and its controls. */
interface UpstreamTask {
  taskId: string;
  token: unknown;
  progress(value: number): Promise<void>;
  settle(): Promise<void>;
}

const tasks: UpstreamTask[] = [];

/** The SDK v1 upstream (one per connection): `crunch` runs as a task, required. */
function v1Upstream(): V1McpServer {
  const store = new InMemoryTaskStore();
  const server = new V1McpServer(
    { name: 'crunch', version: '1.0.0' },
    {
      capabilities: { tasks: { requests: { tools: { call: {} } }, list: {}, cancel: {} } },
      taskStore: store,
    },
  );
  server.experimental.tasks.registerToolTask(
    'crunch',
    { description: 'Crunches numbers for a while', execution: { taskSupport: 'required' } },
    {
      createTask: async (extra) => {
        const task = await extra.taskStore.createTask({ ttl: 60_000, pollInterval: 200 });
        const token = extra._meta?.progressToken;
        tasks.push({
          taskId: task.taskId,
          token,
          progress: (value) =>
            server.server.notification({
              method: 'notifications/progress',
              params: { progressToken: token ?? '', progress: value, total: 3 },
            }),
          settle: () =>
            store.storeTaskResult(task.taskId, 'completed', {
              content: [{ type: 'text', text: 'crunched' }],
            }),
        });
        return { task };
      },
      getTask: async (extra) => extra.taskStore.getTask(extra.taskId),
      getTaskResult: async (extra) => {
        const result = await extra.taskStore.getTaskResult(extra.taskId);
        return { content: [], ...result };
      },
    },
  );
  return server;
}

/** Connects the hub to a fresh SDK v1 upstream over an in-memory pair. */
const connector: UpstreamConnector = async (_spec, options) => {
  const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
  const transport: V1Transport = serverSide;
  await v1Upstream().connect(transport);
  const client = new Client(options.clientInfo, { capabilities: options.capabilities });
  options.configure(client);
  await client.connect(clientSide);
  return client;
};

const opened: Array<() => Promise<unknown>> = [];
let hub: Hub;
let url: string;

beforeAll(async () => {
  hub = createHub({
    connect: connector,
    upstreams: { up: { url: 'memory://up' } },
    healthIntervalMs: 0,
  });
  await hub.start();
  const host = createMcpHttpHost({
    createServer: hub.createServer,
    fastRequest: hub.fastRequest,
    bus: hub.bus,
    port: 0,
  });
  url = (await host.listen()).url;
  opened.push(
    () => host.close(),
    () => hub.close(),
  );
}, 60_000);

afterAll(async () => {
  for (const close of opened.splice(0).reverse()) await close();
});

/** A client whose inbound `notifications/progress` are collected in `progress`. */
async function connect(name: string, modern: boolean) {
  const client = new Client(
    { name, version: '1.0.0' },
    modern
      ? {
          capabilities: { extensions: { 'io.modelcontextprotocol/tasks': {} } },
          versionNegotiation: { mode: { pin: '2026-07-28' } },
        }
      : { capabilities: { tasks: {} } },
  );
  const transport = new StreamableHTTPClientTransport(new URL(`${url}/mcp`));
  await client.connect(transport);
  opened.push(() => client.close());
  const progress: Params[] = [];
  /** The results as they came on the wire (the SDK client cannot decode the extension's task). */
  const results: Params[] = [];
  const deliver = transport.onmessage;
  transport.onmessage = (message: JSONRPCMessage) => {
    if ('method' in message && message.method === 'notifications/progress') {
      progress.push(message.params as Params);
      return;
    }
    if ('result' in message) results.push(message.result as Params);
    deliver?.call(transport, message);
  };
  return { client, progress, results };
}

/** Sends progress `value` until the client got it (its stream may open after the call). */
async function progressUntilSeen(task: UpstreamTask, seen: Params[], value: number) {
  await eventually(async () => {
    if (!seen.some((item) => item.progress === value)) await task.progress(value);
    return seen.some((item) => item.progress === value) ? true : undefined;
  }, 30_000);
}

describe('progress of a 2025-11-25 upstream task after its call was answered', () => {
  it('reaches a 2025-era client on its session, with its token and the related task', async () => {
    const { client, progress } = await connect('bob', false);
    const created = await client.request(
      {
        method: 'tools/call',
        params: {
          name: 'up__crunch',
          arguments: {},
          task: { ttl: 60_000 },
          _meta: { progressToken: 'bob-progress' },
        },
      },
      CreateTaskResultSchema,
    );
    const taskId = created.task.taskId;
    const task = tasks.at(-1)!;
    expect(task.token).toMatch(/^fedmcp-task-progress-/);
    expect(taskId).not.toBe(task.taskId);
    await progressUntilSeen(task, progress, 1);
    await task.progress(2);
    await eventually(() => progress.some((item) => item.progress === 2), 30_000);
    for (const item of progress) {
      expect(item).toMatchObject({
        progressToken: 'bob-progress',
        total: 3,
        _meta: { 'io.modelcontextprotocol/related-task': { taskId } },
      });
    }
    await task.settle();
  }, 60_000);

  it('reaches a 2026-07-28 client on its listen stream following the task', async () => {
    const { client, progress, results } = await connect('ada', true);
    await client
      .request(
        {
          method: 'tools/call',
          params: { name: 'up__crunch', arguments: {}, _meta: { progressToken: 'ada-progress' } },
        },
        ResultSchema,
      )
      .catch(() => undefined);
    const created = results.at(-1);
    expect(created).toMatchObject({ resultType: 'task' });
    const taskId = String(created?.taskId);
    const task = tasks.at(-1)!;
    expect(task.token).toMatch(/^fedmcp-task-progress-/);
    const subscription = await client.listen({ taskIds: [taskId] } as Parameters<
      Client['listen']
    >[0]);
    await progressUntilSeen(task, progress, 1);
    expect(progress[0]).toMatchObject({ progressToken: 'ada-progress', progress: 1, total: 3 });
    expect(JSON.stringify(progress)).not.toContain(task.taskId);
    await task.settle();
    expect(await subscription.closed).toBe('graceful');
  }, 60_000);
});
