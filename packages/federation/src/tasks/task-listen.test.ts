/**
 * `notifications/tasks` pushed to 2026-07-28 clients over real HTTP: a client of the hub's HTTP
 * host (SDK v2 client, Streamable HTTP, pinned 2026-07-28, declaring the tasks extension) opens
 * `subscriptions/listen` with `taskIds` and hears its hub-managed task's states in order —
 * working, input_required (with the questions), completed — never another principal's task,
 * nothing for a task its filter does not name; and, on two hubs sharing a Redis store, a listen
 * stream on one replica hears a task the other runs.
 */
import { silentLogger } from '@fedmcp/protocol';
import type { Store } from '@fedmcp/store';
import { createMemoryStore } from '@fedmcp/store';
import { createMcpHttpHost } from '@fedmcp/transports/node';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { ResultSchema } from '@modelcontextprotocol/core';
import { createMcpHandler, InMemoryServerEventBus, Server } from '@modelcontextprotocol/server';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { serveFetch } from '../../test/edge/fixtures/serve-fetch.js';
import { openReplicaStore } from '../../test/fixtures/replica-hubs.js';
import { createTestUpstream, type TestUpstreamState } from '../../test/fixtures/test-upstream.js';
import { eventually, memoryConnector } from '../../test/helpers.js';
import { createHub, createHubHandler, type Hub } from '../index.js';
import { taskSettings } from './hub-task-options.js';
import { TaskEngine } from './task-engine.js';
import { MAX_TASK_LISTENS, serveTaskListen } from './task-listen.js';

type Params = Record<string, unknown>;

const TASKS = { 'io.modelcontextprotocol/tasks': {} };
const opened: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  for (const close of opened.splice(0).reverse()) await close();
});

function tasksHub(store: Store): Hub {
  const state: TestUpstreamState = {
    cancelled: 0,
    subscribed: [],
    unsolicitedRoots: undefined,
    logLevel: undefined,
  };
  const hub = createHub({
    connect: memoryConnector({ up: () => createTestUpstream({ name: 'up' }, state).server }),
    upstreams: { up: { url: 'memory://up' } },
    healthIntervalMs: 0,
    tasks: { store, pollIntervalMs: 50, leaseMs: 2000, extensionTools: ['*'] },
  });
  opened.push(() => hub.close());
  return hub;
}

/** Who a test caller is: the `x-user` header. */
function authenticate(request: Request) {
  const user = request.headers.get('x-user');
  return user ? { subject: user, issuer: 'test', authMethod: 'api-key' } : undefined;
}

/** The hub behind a real HTTP host (the Node host, or the web-standard handler on Node). */
async function serve(hub: Hub, front: 'node host' | 'web handler' = 'node host'): Promise<string> {
  if (front === 'web handler') {
    const handler = await createHubHandler(hub, { hubId: 'edge', authenticate });
    const served = await serveFetch(handler);
    opened.push(() => handler.close());
    opened.push(async () => {
      await served[Symbol.asyncDispose]();
    });
    return served.url;
  }
  await hub.start();
  const host = createMcpHttpHost({
    createServer: hub.createServer,
    fastRequest: hub.fastRequest,
    bus: hub.bus,
    port: 0,
    authenticate,
  });
  const { url } = await host.listen();
  opened.push(() => host.close());
  return url;
}

/** The JSON-RPC messages of an SSE or JSON body, as they are on the wire. */
function messagesOf(text: string): Params[] {
  return text
    .split('\n')
    .map((line) => (line.startsWith('data:') ? line.slice(5) : line).trim())
    .filter((json) => json.startsWith('{'))
    .map((json) => JSON.parse(json) as Params);
}

/** The filter a listen stream's acknowledgement honours (once its frame has been read). */
function ackOf(frames: Params[]): Promise<unknown> {
  return eventually(() => {
    const ack = frames.find((frame) => frame.method === 'notifications/subscriptions/acknowledged');
    return (ack?.params as Params | undefined)?.notifications;
  });
}

/**
 * A 2026-07-28 SDK client of `user`: `wire` answers a request with its wire result (the SDK does
 * not decode `resultType: "task"`); `listen` opens a listen stream through the SDK client and
 * gathers its raw frames; `notes` are the `notifications/tasks` the SDK client dispatched.
 */
async function modernClient(url: string, user: string, capabilities: Params = {}) {
  const answers: Params[] = [];
  const listenFrames: Params[] = [];
  const transport = new StreamableHTTPClientTransport(new URL(`${url}/mcp`), {
    requestInit: { headers: { 'x-user': user } },
    fetch: async (input, init) => {
      const response = await fetch(input, init);
      const sent = typeof init?.body === 'string' ? (JSON.parse(init.body) as Params) : {};
      if (sent.method === 'subscriptions/listen' && response.body) {
        const [mine, theirs] = response.body.tee();
        void (async () => {
          const decoder = new TextDecoder();
          let buffer = '';
          const reader = theirs.getReader();
          for (;;) {
            const { done, value } = await reader.read();
            if (done) break;
            buffer += decoder.decode(value, { stream: true });
            const frames = buffer.split('\n\n');
            buffer = frames.pop() ?? '';
            for (const frame of frames) listenFrames.push(...messagesOf(frame));
          }
        })().catch(() => {});
        return new Response(mine, { status: response.status, headers: response.headers });
      }
      if (init?.method === 'POST') answers.push(...messagesOf(await response.clone().text()));
      return response;
    },
  });
  const client = new Client(
    { name: user, version: '1.0.0' },
    {
      capabilities: { extensions: TASKS, ...capabilities } as never,
      versionNegotiation: { mode: { pin: '2026-07-28' } },
    },
  );
  const notes: Params[] = [];
  client.fallbackNotificationHandler = async (notification) => {
    if (notification.method === 'notifications/tasks') notes.push(notification.params as Params);
  };
  await client.connect(transport);
  opened.push(() => client.close());
  const wire = async (method: string, params: Params): Promise<Params> => {
    await client.request({ method, params } as never, ResultSchema).catch(() => undefined);
    const answer = answers.at(-1) ?? {};
    return (answer.result ?? answer.error) as Params;
  };
  const listen = async (filter: Params) => {
    const subscription = await client.listen(filter as never);
    opened.push(() => subscription.close());
    return subscription;
  };
  return { client, wire, listen, notes, listenFrames };
}

describe('notifications/tasks on 2026-07-28 listen streams', () => {
  it.each(['node host', 'web handler'] as const)(
    'delivers a task’s working and completed states, in order, to its owner’s listen stream (%s)',
    async (front) => {
      const url = await serve(tasksHub(createMemoryStore()), front);
      const ada = await modernClient(url, 'ada');
      // The hub declares the extension (server/discover).
      expect(ada.client.getServerCapabilities()?.extensions).toEqual(TASKS);
      const created = await ada.wire('tools/call', { name: 'up__slow', arguments: { ms: 400 } });
      expect(created).toMatchObject({ resultType: 'task', status: 'working' });
      const taskId = String(created.taskId);

      const subscription = await ada.listen({ taskIds: [taskId, 'hubtask.unknown'] });
      const closed = subscription.closed;
      // The acknowledgement names only the task it follows.
      expect(await ackOf(ada.listenFrames)).toEqual({ taskIds: [taskId] });
      await eventually(() => ada.notes.some((note) => note.status === 'completed'));
      expect(ada.notes.map((note) => note.status)).toEqual(['working', 'completed']);
      expect(ada.notes.every((note) => note.taskId === taskId)).toBe(true);
      expect(ada.notes.at(-1)).toMatchObject({
        result: { content: [{ type: 'text', text: 'slow done' }] },
      });
      // Nothing else followed: the hub closes the stream gracefully once the task is done.
      expect(await closed).toBe('graceful');
    },
  );

  it('shows input_required with the questions; the answer by tasks/update completes the task', async () => {
    const url = await serve(tasksHub(createMemoryStore()));
    const ada = await modernClient(url, 'ada', { elicitation: { form: {} } });
    const created = await ada.wire('tools/call', { name: 'up__elicit', arguments: {} });
    const taskId = String(created.taskId);
    await ada.listen({ taskIds: [taskId] });
    const waiting = await eventually(() =>
      ada.notes.find((note) => note.status === 'input_required'),
    );
    const [key, question] = Object.entries(waiting!.inputRequests as Params)[0]!;
    expect(question).toMatchObject({ method: 'elicitation/create' });
    await ada.wire('tasks/update', {
      taskId,
      inputResponses: { [key]: { action: 'accept', content: { name: 'Ada' } } },
    });
    await eventually(() => ada.notes.some((note) => note.status === 'completed'));
    const statuses = ada.notes.map((note) => note.status);
    expect(statuses.slice(statuses.indexOf('input_required'))).toEqual([
      'input_required',
      'working',
      'completed',
    ]);
    expect(ada.notes.at(-1)).toMatchObject({
      result: { content: [{ text: 'elicited:accept:{"name":"Ada"}' }] },
    });
  });

  it('never delivers another principal’s task, nor a task the filter does not name', async () => {
    const url = await serve(tasksHub(createMemoryStore()));
    const ada = await modernClient(url, 'ada');
    const mallory = await modernClient(url, 'mallory');
    const watched = await ada.wire('tools/call', { name: 'up__slow', arguments: { ms: 300 } });
    const other = await ada.wire('tools/call', { name: 'up__slow', arguments: { ms: 100 } });
    // Mallory names Ada's task and lists list changes: the task is left out of the ack.
    await mallory.listen({ taskIds: [watched.taskId], toolsListChanged: true });
    expect(await ackOf(mallory.listenFrames)).toEqual({ taskIds: [], toolsListChanged: true });
    await ada.listen({ taskIds: [watched.taskId] });
    await eventually(() => ada.notes.some((note) => note.status === 'completed'));
    // The other task ended first; neither stream heard of it, and Mallory heard of nothing.
    const other2 = await ada.wire('tasks/get', { taskId: other.taskId });
    expect(other2.status).toBe('completed');
    expect(ada.notes.every((note) => note.taskId === watched.taskId)).toBe(true);
    expect(mallory.notes).toEqual([]);
    expect(mallory.listenFrames.some((frame) => frame.method === 'notifications/tasks')).toBe(
      false,
    );
  });

  it('refuses a listen naming taskIds from a client without the tasks extension (-32021)', async () => {
    const url = await serve(tasksHub(createMemoryStore()));
    const response = await fetch(`${url}/mcp`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        accept: 'application/json, text/event-stream',
        'mcp-protocol-version': '2026-07-28',
        'mcp-method': 'subscriptions/listen',
      },
      body: JSON.stringify({
        jsonrpc: '2.0',
        id: 1,
        method: 'subscriptions/listen',
        params: {
          _meta: {
            'io.modelcontextprotocol/protocolVersion': '2026-07-28',
            'io.modelcontextprotocol/clientCapabilities': {},
            'io.modelcontextprotocol/clientInfo': { name: 'raw', version: '1' },
          },
          notifications: { taskIds: ['hubtask.x'] },
        },
      }),
    });
    expect(await response.json()).toMatchObject({
      id: 1,
      error: { code: -32021, data: { requiredCapabilities: { extensions: TASKS } } },
    });
  });
});

const redis = await openReplicaStore('task-listen');
afterAll(async () => {
  await redis?.close();
});

describe.runIf(redis)('notifications/tasks across replicas on a shared Redis store', () => {
  afterEach(async () => {
    const { entries } = await redis!.kv.list({ limit: 1000 });
    for (const entry of entries) await redis!.kv.delete(entry.key);
  });

  it('reach a listen stream on one replica for a task the other runs', async () => {
    const runner = await serve(tasksHub(redis!));
    const replica = await serve(tasksHub(redis!));
    const onRunner = await modernClient(runner, 'ada');
    const onReplica = await modernClient(replica, 'ada');
    // Long enough that the listen is open while the task still works, on a loaded machine too
    // (with 400 ms the task was once done before the listen's first snapshot).
    const created = await onRunner.wire('tools/call', {
      name: 'up__slow',
      arguments: { ms: 3000 },
    });
    await onReplica.listen({ taskIds: [created.taskId] });
    await eventually(() => onReplica.notes.some((note) => note.status === 'completed'));
    expect(onReplica.notes.map((note) => note.status)).toEqual(['working', 'completed']);
  });
});

describe('serveTaskListen', () => {
  it('refuses bad taskIds (-32602) and more than MAX_TASK_LISTENS open streams, freeing a slot when one ends', async () => {
    const engine = new TaskEngine(createMemoryStore(), taskSettings(), silentLogger);
    const deps = { engine, bus: new InMemoryServerEventBus() };
    const meta = { 'io.modelcontextprotocol/clientCapabilities': { extensions: TASKS } };
    const listen = (id: number, notifications: Params, signal = new AbortController().signal) =>
      serveTaskListen(deps, {
        message: {
          jsonrpc: '2.0',
          id,
          method: 'subscriptions/listen',
          params: { _meta: meta, notifications },
        },
        principal: undefined,
        signal,
      });
    const bad = await listen(1, { taskIds: 'hubtask.x' });
    expect(await bad?.json()).toMatchObject({ id: 1, error: { code: -32602 } });
    // Without taskIds the SDK serves the listen.
    expect(await listen(2, { toolsListChanged: true })).toBeUndefined();

    const streams: AbortController[] = [];
    for (let index = 0; index < MAX_TASK_LISTENS; index++) {
      const controller = new AbortController();
      const response = await listen(
        index,
        { taskIds: [], toolsListChanged: true },
        controller.signal,
      );
      expect(response?.headers.get('content-type')).toBe('text/event-stream');
      streams.push(controller);
    }
    const refused = await listen(-1, { taskIds: [], toolsListChanged: true });
    expect(await refused?.json()).toMatchObject({ error: { code: -32603 } });
    streams.pop()?.abort();
    const again = await listen(-2, { taskIds: [], toolsListChanged: true });
    expect(again?.headers.get('content-type')).toBe('text/event-stream');
    for (const controller of streams) controller.abort();
    await again?.body?.cancel();
    await engine.close();
  });
});

describe('SDK 2.4.0 listen router (why the hub serves listens naming taskIds)', () => {
  it('drops taskIds from the acknowledged filter and closes a listen that asks for nothing else', async () => {
    const handler = createMcpHandler(
      () =>
        new Server(
          { name: 'plain', version: '1.0.0' },
          { capabilities: { tools: { listChanged: true } } },
        ),
      { legacy: 'reject' },
    );
    const listen = async (notifications: Params) => {
      const response = await handler.fetch(
        new Request('http://sdk.test/mcp', {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            accept: 'application/json, text/event-stream',
            'mcp-protocol-version': '2026-07-28',
            'mcp-method': 'subscriptions/listen',
          },
          body: JSON.stringify({
            jsonrpc: '2.0',
            id: 'l1',
            method: 'subscriptions/listen',
            params: {
              _meta: {
                'io.modelcontextprotocol/protocolVersion': '2026-07-28',
                'io.modelcontextprotocol/clientCapabilities': { extensions: TASKS },
                'io.modelcontextprotocol/clientInfo': { name: 'raw', version: '1' },
              },
              notifications,
            },
          }),
        }),
      );
      // Only the frames written at once (the acknowledgement, and a close if nothing is honoured).
      const reader = response.body!.getReader();
      const { value } = await reader.read();
      await reader.cancel();
      return messagesOf(new TextDecoder().decode(value));
    };
    const taskOnly = await listen({ taskIds: ['hubtask.x'] });
    expect((taskOnly[0]?.params as Params | undefined)?.notifications).toEqual({});
    const mixed = await listen({ taskIds: ['hubtask.x'], toolsListChanged: true });
    expect((mixed[0]?.params as Params | undefined)?.notifications).toEqual({
      toolsListChanged: true,
    });
    await handler.close();
  });
});
