/**
 * Issue 21: a task-augmented call of an isolating upstream (`isolation: 'per-principal'` with
 * per-caller credentials, what a user-mode OAuth upstream is) runs on the caller's own upstream
 * connection, as a plain call does, and every request about the task goes there too. The
 * upstream is a real SDK v1 server running `crunch` as a task (`registerToolTask`), one server
 * and task store per connection, reached with the connection's own `authorization` header: a
 * task created or asked about on another connection (the shared one has no identity) is unknown
 * there. Both eras: a 2025-11-25 client's `task` param, and a 2026-07-28 client's tasks extension.
 */
import { FedmcpError } from '@fedmcp/protocol';
import { createMemoryStore } from '@fedmcp/store';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { CreateTaskResultSchema, ResultSchema } from '@modelcontextprotocol/core';
import { InMemoryTaskStore } from '@modelcontextprotocol/sdk/experimental/tasks/stores/in-memory.js';
import { McpServer as V1McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { Transport as V1Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import { createMcpHandler, InMemoryTransport } from '@modelcontextprotocol/server';
import { describe, expect, it } from 'vitest';
import { eventually, textOf } from '../../test/helpers.js';
import { createHub, type Hub, type UpstreamConnector } from '../index.js';

type Params = Record<string, unknown>;

/** The SDK v1 upstream of one connection: `crunch` (a task, required) answers who called. */
function v1Upstream(identity: string): V1McpServer {
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
    { description: 'Crunches as its caller', execution: { taskSupport: 'required' } },
    {
      createTask: async (extra) => {
        const task = await extra.taskStore.createTask({ ttl: 60_000, pollInterval: 50 });
        await store.storeTaskResult(task.taskId, 'completed', {
          content: [{ type: 'text', text: `auth=${identity}` }],
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

/** Each connection the hub opens: a fresh upstream knowing the connection's credentials. */
const connector: UpstreamConnector = async (spec, options) => {
  const headers = (spec as { headers?: Record<string, string> }).headers;
  const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
  const transport: V1Transport = serverSide;
  await v1Upstream(headers?.authorization ?? 'none').connect(transport);
  const client = new Client(options.clientInfo, { capabilities: options.capabilities });
  options.configure(client);
  await client.connect(clientSide);
  return client;
};

/** A hub whose `up` upstream isolates callers; `alice` must sign in first (a -32042 round). */
function hubWithSignIn() {
  const signedIn = new Set(['bob']);
  const waiting = new Map<string, (outcome: 'completed') => void>();
  const store = createMemoryStore();
  const hub = createHub({
    connect: connector,
    upstreams: {
      up: {
        url: 'memory://up',
        isolation: 'per-principal',
        credentials: async (caller) => {
          const { subject } = caller as { subject: string };
          if (signedIn.has(subject)) return { headers: { authorization: `Bearer ${subject}` } };
          throw new FedmcpError('UNAUTHENTICATED', 'Sign in to "up" and retry.', {
            jsonRpcCode: -32042,
            data: {
              elicitations: [
                { mode: 'url', elicitationId: `sign-in-${subject}`, url: 'https://as.example/a' },
              ],
            },
          });
        },
      },
    },
    upstreamSignIns: {
      owns: async (id) => id.startsWith('sign-in-'),
      wait: (id) =>
        new Promise((resolve) => {
          if (signedIn.has(id.slice('sign-in-'.length))) resolve('completed');
          else waiting.set(id, resolve);
        }),
    },
    tasks: { store },
    healthIntervalMs: 0,
  });
  const signIn = (subject: string) => {
    signedIn.add(subject);
    waiting.get(`sign-in-${subject}`)?.('completed');
  };
  return { hub, store, signIn };
}

async function legacyClient(hub: Hub, subject: string, capabilities: Params) {
  const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
  await hub
    .createServer({
      era: 'legacy',
      transport: 'in-memory',
      principal: { subject, issuer: 'test', authMethod: 'api-key' },
    })
    .connect(serverSide);
  const client = new Client({ name: subject, version: '1.0.0' }, { capabilities });
  const request = (method: string, params: Params) =>
    client.request(
      { method, params } as never,
      params.task ? CreateTaskResultSchema : ResultSchema,
    ) as Promise<Params>;
  return { client, request, connect: () => client.connect(clientSide) };
}

const callAsTask = { name: 'up__crunch', arguments: {}, task: { ttl: 60_000 } };

describe('a task of an isolating upstream', () => {
  it('runs on the 2025-era caller’s own connection, after its sign-in, for its owner only', async () => {
    const { hub, store, signIn } = hubWithSignIn();
    await using _hub = hub;
    await hub.start();
    const alice = await legacyClient(hub, 'alice', { elicitation: { url: {} }, tasks: {} });
    alice.client.setRequestHandler('elicitation/create', (request) => {
      if (request.params.mode !== 'url') return { action: 'decline' };
      signIn('alice');
      return { action: 'accept' };
    });
    await alice.connect();
    const bob = await legacyClient(hub, 'bob', { tasks: {} });
    await bob.connect();
    try {
      const created = await alice.request('tools/call', callAsTask);
      const taskId = (created.task as Params).taskId;
      await eventually(
        async () => (await alice.request('tasks/get', { taskId })).status === 'completed',
      );
      expect(textOf(await alice.request('tasks/result', { taskId }))).toBe('auth=Bearer alice');
      const listed = (await alice.request('tasks/list', {})).tasks as Params[];
      expect(listed.map((task) => task.taskId)).toContain(taskId);

      // Bob's task runs with his credentials; alice's is unknown to him.
      const his = await bob.request('tools/call', callAsTask);
      const hisId = (his.task as Params).taskId;
      await eventually(
        async () => (await bob.request('tasks/get', { taskId: hisId })).status === 'completed',
      );
      expect(textOf(await bob.request('tasks/result', { taskId: hisId }))).toBe('auth=Bearer bob');
      await expect(bob.request('tasks/get', { taskId })).rejects.toThrow();
      await expect(bob.request('tasks/result', { taskId })).rejects.toThrow();
    } finally {
      await alice.client.close();
      await bob.client.close();
      await store.close();
    }
  }, 60_000);

  it('runs on the 2026-07-28 caller’s own connection (tasks extension), for its owner only', async () => {
    const { hub, store } = hubWithSignIn();
    await using _hub = hub;
    await hub.start();
    const clients: Client[] = [];
    const connectAs = async (subject: string) => {
      const principal = { subject, issuer: 'test', authMethod: 'api-key' as const };
      const handler = createMcpHandler(
        (context) => hub.createServer({ era: context.era, principal }),
        { legacy: 'reject', bus: hub.bus },
      );
      const answers: Params[] = [];
      const client = new Client(
        { name: subject, version: '1.0.0' },
        {
          capabilities: { extensions: { 'io.modelcontextprotocol/tasks': {} } } as never,
          versionNegotiation: { mode: { pin: '2026-07-28' } },
        },
      );
      await client.connect(
        new StreamableHTTPClientTransport(new URL('http://hub.test/mcp'), {
          fetch: async (input, init) => {
            const response = await handler.fetch(new Request(input, init));
            for (const line of (await response.clone().text()).split('\n')) {
              const json = line.startsWith('data:') ? line.slice(5) : line;
              if (json.trim().startsWith('{')) answers.push(JSON.parse(json) as Params);
            }
            return response;
          },
        }),
      );
      clients.push(client);
      /** A request's wire answer (the SDK client cannot decode the extension's results). */
      return async (method: string, params: Params) => {
        await client.request({ method, params } as never, ResultSchema).catch(() => undefined);
        return answers.at(-1) as Params;
      };
    };
    try {
      const bob = await connectAs('bob');
      const carol = await connectAs('carol');
      const created = (await bob('tools/call', { name: 'up__crunch', arguments: {} })).result;
      expect(created).toMatchObject({ resultType: 'task' });
      const taskId = (created as Params).taskId;
      const done = await eventually(async () => {
        const task = (await bob('tasks/get', { taskId })).result as Params | undefined;
        return task?.status === 'completed' ? task : undefined;
      });
      expect(done).toMatchObject({ result: { content: [{ text: 'auth=Bearer bob' }] } });
      // Carol (who never signed in) cannot read it: an unknown task.
      expect((await carol('tasks/get', { taskId })).error).toMatchObject({ code: -32602 });
    } finally {
      for (const client of clients) await client.close();
      await store.close();
    }
  }, 60_000);
});
