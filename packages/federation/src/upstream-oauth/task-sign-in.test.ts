/**
 * Issue 21: a task-augmented `tools/call` of a per-user upstream whose caller must sign in first
 * signs in before the task is created — a 2025-11-25 client with URL elicitation is asked inside
 * the call, gets `notifications/elicitation/complete`, then its `CreateTaskResult`, and the task
 * runs with its own token; a client without URL elicitation gets the `-32042` error with the URL
 * and no task. (Before: the task was created and failed with the sign-in error.)
 */
import { FedmcpError } from '@fedmcp/protocol';
import { createMemoryStore } from '@fedmcp/store';
import { createMcpHttpHost } from '@fedmcp/transports/node';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { CreateTaskResultSchema, ResultSchema } from '@modelcontextprotocol/core';
import { createMcpHandler, InMemoryTransport, Server } from '@modelcontextprotocol/server';
import { describe, expect, it } from 'vitest';
import { eventually, textOf } from '../../test/helpers.js';
import { createHub, type Hub } from '../index.js';

type Params = Record<string, unknown>;

/** An app's tool beside `whoami` (MCP Apps): its view calls `whoami` by its bare name. */
const APP_TOOL = {
  name: 'open-docs',
  inputSchema: { type: 'object' as const },
  _meta: { ui: { resourceUri: 'ui://docs/app' } },
};

function echoAuthorization(authorization: string | null, app = false): Server {
  const server = new Server({ name: 'docs', version: '1.0.0' }, { capabilities: { tools: {} } });
  server.setRequestHandler('tools/list', () => ({
    tools: [{ name: 'whoami', inputSchema: { type: 'object' } }, ...(app ? [APP_TOOL] : [])],
  }));
  server.setRequestHandler('tools/call', () => ({
    content: [{ type: 'text', text: `auth=${authorization}` }],
  }));
  return server;
}

/** A hub with one per-user upstream at `url`; its sign-ins end when the test says. */
function hubFor(url: string, extensionTools: string[] = []) {
  const signedIn = new Set<string>();
  const settled = new Map<string, 'completed' | 'failed'>();
  const waiting = new Map<string, (outcome: 'completed' | 'failed') => void>();
  let asked = 0;
  const store = createMemoryStore();
  const hub = createHub({
    upstreams: {
      docs: {
        url: `${url}/mcp`,
        isolation: 'per-principal',
        credentials: async (caller) => {
          const { subject } = caller as { subject: string };
          if (signedIn.has(subject)) return { headers: { authorization: `Bearer ${subject}` } };
          asked += 1;
          const elicitationId = `sign-in-${subject}-${asked}`;
          throw new FedmcpError('UNAUTHENTICATED', 'Sign in to "docs" and retry.', {
            jsonRpcCode: -32042,
            data: {
              elicitations: [
                { mode: 'url', elicitationId, url: 'https://as.example/auth', message: 'm' },
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
          const done = settled.get(id);
          if (done) resolve(done);
          else waiting.set(id, resolve);
        }),
    },
    tasks: { store, pollIntervalMs: 20, extensionTools },
    healthIntervalMs: 0,
  });
  /** The browser's sign-in of `subject` for `elicitationId` ends well. */
  const signIn = (subject: string, elicitationId: string) => {
    signedIn.add(subject);
    settled.set(elicitationId, 'completed');
    waiting.get(elicitationId)?.('completed');
  };
  return { hub, store, signIn };
}

async function clientOf(hub: Hub, subject: string, capabilities: Params) {
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

const callAsTask = { name: 'docs__whoami', arguments: {}, task: { ttl: 60_000 } };

describe('task-augmented calls of a per-user upstream', () => {
  it('sign the caller in before the task is created', async () => {
    await using upstreamHost = createMcpHttpHost({
      port: 0,
      createServer: (context) => echoAuthorization(context.headers?.get('authorization') ?? null),
    });
    const { url } = await upstreamHost.listen();
    const { hub, store, signIn } = hubFor(url);
    await using _hub = hub;
    await hub.start();
    const alice = await clientOf(hub, 'alice', { elicitation: { url: {} } });
    const elicited: string[] = [];
    const completed: string[] = [];
    alice.client.setRequestHandler('elicitation/create', (request) => {
      if (request.params.mode !== 'url') return { action: 'decline' };
      elicited.push(request.params.elicitationId);
      signIn('alice', request.params.elicitationId);
      return { action: 'accept' };
    });
    alice.client.setNotificationHandler('notifications/elicitation/complete', (notification) => {
      completed.push(notification.params.elicitationId);
    });
    await alice.connect();
    const bob = await clientOf(hub, 'bob', {});
    await bob.connect();
    try {
      const created = await alice.request('tools/call', callAsTask);
      expect(elicited).toEqual(['sign-in-alice-1']);
      expect(completed).toEqual(['sign-in-alice-1']);
      const taskId = (created.task as Params).taskId;
      await eventually(async () => {
        const current = await alice.request('tasks/get', { taskId });
        return current.status === 'completed';
      });
      const result = await alice.request('tasks/result', { taskId });
      expect(textOf(result)).toBe('auth=Bearer alice');

      // Bob's client takes no URL elicitation: the error with the URL, and no task.
      await expect(bob.request('tools/call', callAsTask)).rejects.toMatchObject({ code: -32042 });
      expect((await bob.request('tasks/list', {})).tasks).toEqual([]);
    } finally {
      await alice.client.close();
      await bob.client.close();
      await store.close();
    }
  });

  it('sign the caller in for an app view’s bare tool name, as a plain call would', async () => {
    await using upstreamHost = createMcpHttpHost({
      port: 0,
      createServer: (context) =>
        echoAuthorization(context.headers?.get('authorization') ?? null, true),
    });
    const { url } = await upstreamHost.listen();
    const { hub, store, signIn } = hubFor(url);
    await using _hub = hub;
    await hub.start();
    const dave = await clientOf(hub, 'dave', { elicitation: { url: {} } });
    const elicited: string[] = [];
    dave.client.setRequestHandler('elicitation/create', (request) => {
      if (request.params.mode !== 'url') return { action: 'decline' };
      elicited.push(request.params.elicitationId);
      signIn('dave', request.params.elicitationId);
      return { action: 'accept' };
    });
    await dave.connect();
    try {
      // The view's `whoami` is `docs__whoami`: the sign-in comes before its task is created.
      const created = await dave.request('tools/call', { ...callAsTask, name: 'whoami' });
      expect(elicited).toEqual(['sign-in-dave-1']);
      const taskId = (created.task as Params).taskId;
      await eventually(async () => {
        const current = await dave.request('tasks/get', { taskId });
        return current.status === 'completed';
      });
      expect(textOf(await dave.request('tasks/result', { taskId }))).toBe('auth=Bearer dave');
    } finally {
      await dave.client.close();
      await store.close();
    }
  });

  it('ask a 2026-07-28 client by an input_required round, then answer with its task', async () => {
    await using upstreamHost = createMcpHttpHost({
      port: 0,
      createServer: (context) => echoAuthorization(context.headers?.get('authorization') ?? null),
    });
    const { url } = await upstreamHost.listen();
    const { hub, store, signIn } = hubFor(url, ['*']);
    await using _hub = hub;
    await hub.start();
    const principal = { subject: 'carol', issuer: 'test', authMethod: 'api-key' as const };
    const handler = createMcpHandler(
      (context) => hub.createServer({ era: context.era, principal }),
      {
        legacy: 'reject',
        bus: hub.bus,
      },
    );
    const answers: Params[] = [];
    const client = new Client(
      { name: 'carol', version: '1.0.0' },
      {
        capabilities: {
          elicitation: { url: {} },
          extensions: { 'io.modelcontextprotocol/tasks': {} },
        } as never,
        versionNegotiation: { mode: { pin: '2026-07-28' } },
      },
    );
    const elicited: string[] = [];
    client.setRequestHandler('elicitation/create', (request) => {
      if (request.params.mode !== 'url') return { action: 'decline' };
      elicited.push(request.params.url);
      signIn('carol', 'sign-in-carol-1');
      return { action: 'accept' };
    });
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
    try {
      await client
        .request(
          { method: 'tools/call', params: { name: 'docs__whoami', arguments: {} } } as never,
          ResultSchema,
        )
        .catch(() => undefined);
      const results = answers.map((answer) => answer.result as Params | undefined);
      expect(results.some((result) => result?.resultType === 'input_required')).toBe(true);
      expect(elicited).toEqual(['https://as.example/auth']);
      const created = results.at(-1);
      expect(created).toMatchObject({ resultType: 'task' });
      const wire = async (method: string, params: Params) => {
        await client.request({ method, params } as never, ResultSchema).catch(() => undefined);
        return (answers.at(-1)?.result ?? {}) as Params;
      };
      const done = await eventually(async () => {
        const task = await wire('tasks/get', { taskId: created?.taskId });
        return task.status === 'completed' ? task : undefined;
      });
      expect(done).toMatchObject({ result: { content: [{ text: 'auth=Bearer carol' }] } });
    } finally {
      await client.close();
      await handler.close();
      await store.close();
    }
  });
});
