/**
 * What crosses replicas inside and around a call, through three `fedmcp serve` replicas behind
 * HAProxy (round-robin, no stickiness; `cluster-fixture.ts`), one cluster for the file:
 *
 * - a 2025-11-25 SDK v1 session's task-augmented call: an upstream task (server-everything's
 *   `simulate-research-query`) and a hub-managed one (`echo`), created through one replica and
 *   got, listed and their results fetched on every replica (the upstream task lives in one
 *   replica's upstream session: the others relay to it);
 * - roots asked inside a call by an upstream (`fixtures/roots-upstream.mjs`, which asks
 *   `roots/list` while its tool runs): the SDK v1 client's answer goes through the load balancer
 *   to whichever replica, and the 2026-07-28 client's comes in an `input_required` retry;
 * - the hub's consent question (a policy rule asks before `ev__get-sum`), answered by the
 *   2025-11-25 client (its answer posted through the load balancer) and by the 2026-07-28 client
 *   (its retry sent through the load balancer, so to another replica).
 */
import { fileURLToPath } from 'node:url';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { Client as V1Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport as V1StreamableHttp } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import {
  CreateTaskResultSchema,
  ElicitRequestSchema,
  ListRootsRequestSchema,
} from '@modelcontextprotocol/sdk/types.js';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { messagesOf, type Params, textOf } from './cluster-clients.js';
import { type Cluster, missing, startCluster } from './cluster-fixture.js';

const rootsScript = fileURLToPath(new URL('../fixtures/roots-upstream.mjs', import.meta.url));
const LEGACY_ROOTS = [{ uri: 'file:///legacy/workspace', name: 'legacy workspace' }];
const MODERN_ROOTS = [{ uri: 'file:///modern/workspace', name: 'modern workspace' }];
/** The consent form's answer: this call only. */
const ALLOW_ONCE = { action: 'accept' as const, content: { decision: 'allow_once' } };

describe.runIf(missing.length === 0)('interactive requests across three replicas', () => {
  let cluster: Cluster;
  const closers: Array<() => Promise<unknown>> = [];

  beforeAll(async () => {
    cluster = await startCluster({
      mcpServers: { roots: { command: process.execPath, args: [rootsScript] } },
      policy: {
        rules: [
          {
            id: 'ask-before-summing',
            consent: 'required',
            subjects: ['*'],
            actions: ['tools/call'],
            targets: ['ev__get-sum'],
          },
          { id: 'all', effect: 'allow', subjects: ['*'], actions: ['*'] },
        ],
      },
    });
    for (const replica of cluster.replicas) {
      await vi.waitFor(
        async () => {
          const { body } = await cluster.adminRequest(replica.url, 'GET', '/upstreams/roots');
          if (body.state !== 'ready') throw new Error(`roots on ${replica.id}: ${body.state}`);
        },
        { timeout: 60_000, interval: 200 },
      );
    }
  }, 180_000);

  afterAll(async () => {
    for (const close of closers.splice(0).reverse()) await close().catch(() => undefined);
    await cluster?.close();
  }, 60_000);

  /** An SDK v1 client in a 2025-11-25 session through the load balancer. */
  async function legacySession() {
    const asked: string[] = [];
    const client = new V1Client(
      { name: 'interactive-v1', version: '1.0.0' },
      { capabilities: { elicitation: {}, roots: {} } },
    );
    client.setRequestHandler(ListRootsRequestSchema, () => {
      asked.push('roots/list');
      return { roots: LEGACY_ROOTS };
    });
    client.setRequestHandler(ElicitRequestSchema, () => {
      asked.push('elicitation/create');
      return ALLOW_ONCE;
    });
    const transport = new V1StreamableHttp(new URL(`${cluster.front}/mcp`), {
      requestInit: { headers: { authorization: `Bearer ${cluster.userKey}` } },
    });
    await client.connect(transport);
    closers.push(async () => {
      await transport.terminateSession().catch(() => undefined);
      await client.close();
    });
    return { client, transport, asked };
  }

  /** One request of a 2025-11-25 session sent straight to replica `index`: its answer. */
  async function direct(index: number, sessionId: string, method: string, params: Params) {
    const replica = cluster.replicas[index];
    if (!replica) throw new Error(`no replica ${index}`);
    const response = await fetch(`${replica.url}/mcp`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${cluster.userKey}`,
        accept: 'application/json, text/event-stream',
        'content-type': 'application/json',
        'mcp-session-id': sessionId,
        'mcp-protocol-version': '2025-11-25',
      },
      body: JSON.stringify({ jsonrpc: '2.0', id: 900 + index, method, params }),
    });
    const reply = messagesOf(await response.text()).find((message) => message.id === 900 + index);
    return { replica: replica.id, ...(reply ?? { error: { status: response.status } }) } as Params;
  }

  /** One request of the session sent straight to every replica in turn: their answers. */
  async function onEveryReplica(sessionId: string, method: string, params: Params) {
    const answers: Params[] = [];
    for (const index of cluster.replicas.keys()) {
      answers.push(await direct(index, sessionId, method, params));
    }
    return answers;
  }

  it('gets, lists and fetches the result of a 2025 session task on every replica', async () => {
    const { client, transport } = await legacySession();
    const sessionId = String(transport.sessionId);
    const created = await client.request(
      {
        method: 'tools/call',
        params: {
          name: 'ev__simulate-research-query',
          arguments: { topic: 'replicas' },
          task: { ttl: 120_000 },
        },
      },
      CreateTaskResultSchema,
    );
    const taskId = created.task.taskId;
    expect(taskId.startsWith('ev__')).toBe(true);
    for (const answer of await onEveryReplica(sessionId, 'tasks/get', { taskId })) {
      expect(answer, JSON.stringify(answer)).toMatchObject({ result: { taskId } });
    }
    for (const answer of await onEveryReplica(sessionId, 'tasks/list', {})) {
      const tasks = (answer.result as { tasks?: Params[] } | undefined)?.tasks ?? [];
      expect(
        tasks.map((task) => task.taskId),
        JSON.stringify(answer),
      ).toContain(taskId);
    }
    // tasks/result waits for the task's end (some 4 s), wherever it is asked.
    for (const answer of await onEveryReplica(sessionId, 'tasks/result', { taskId })) {
      expect(JSON.stringify(answer.result), JSON.stringify(answer)).toContain('replicas');
    }
    // Created on the first replica, cancelled on the second, seen cancelled on the third.
    const running = await direct(0, sessionId, 'tools/call', {
      name: 'ev__simulate-research-query',
      arguments: { topic: 'to cancel' },
      task: { ttl: 60_000 },
    });
    const runningId = String(((running.result as Params).task as Params).taskId);
    const cancelled = await direct(1, sessionId, 'tasks/cancel', { taskId: runningId });
    expect(cancelled, JSON.stringify(cancelled)).toMatchObject({ result: { status: 'cancelled' } });
    const seen = await direct(2, sessionId, 'tasks/get', { taskId: runningId });
    expect(seen, JSON.stringify(seen)).toMatchObject({ result: { status: 'cancelled' } });
    // A hub-managed task (echo runs no tasks upstream): in the store, any replica answers.
    const hubTask = await client.request(
      {
        method: 'tools/call',
        params: { name: 'ev__echo', arguments: { message: 'hub task' }, task: { ttl: 60_000 } },
      },
      CreateTaskResultSchema,
    );
    const hubTaskId = hubTask.task.taskId;
    for (const answer of await onEveryReplica(sessionId, 'tasks/result', { taskId: hubTaskId })) {
      expect(textOf(answer.result), JSON.stringify(answer)).toContain('Echo: hub task');
    }
    // Another principal's session knows neither task, on any replica.
    const other = new V1Client({ name: 'other', version: '1.0.0' }, { capabilities: {} });
    const otherTransport = new V1StreamableHttp(new URL(`${cluster.front}/mcp`), {
      requestInit: { headers: { authorization: `Bearer ${cluster.otherKey}` } },
    });
    await other.connect(otherTransport);
    closers.push(() => other.close());
    const otherId = String(otherTransport.sessionId);
    const foreign = await Promise.all(
      cluster.replicas.map(async (replica, index) => {
        const response = await fetch(`${replica.url}/mcp`, {
          method: 'POST',
          headers: {
            authorization: `Bearer ${cluster.otherKey}`,
            accept: 'application/json, text/event-stream',
            'content-type': 'application/json',
            'mcp-session-id': otherId,
            'mcp-protocol-version': '2025-11-25',
          },
          body: JSON.stringify({
            jsonrpc: '2.0',
            id: index,
            method: 'tasks/get',
            params: { taskId },
          }),
        });
        return messagesOf(await response.text())[0];
      }),
    );
    for (const answer of foreign) expect(answer?.error, JSON.stringify(answer)).toBeDefined();
  }, 90_000);

  it("passes the SDK v1 client's roots to an upstream that asks inside the call", async () => {
    const { client, asked } = await legacySession();
    for (let round = 0; round < 3; round += 1) {
      const result = await client.callTool({ name: 'roots__ask-roots', arguments: {} });
      expect(JSON.parse(textOf(result))).toEqual(LEGACY_ROOTS);
    }
    expect(asked.filter((method) => method === 'roots/list')).toHaveLength(3);
  }, 60_000);

  it("answers a 2025 session's consent question posted through another replica", async () => {
    const { client, asked } = await legacySession();
    for (let round = 0; round < 3; round += 1) {
      const result = await client.callTool({ name: 'ev__get-sum', arguments: { a: round, b: 2 } });
      expect(textOf(result)).toContain(String(round + 2));
    }
    expect(asked.filter((method) => method === 'elicitation/create')).toHaveLength(3);
  }, 60_000);

  it('answers roots and consent of a 2026-07-28 client in retries on other replicas', async () => {
    const asked: string[] = [];
    const client = new Client(
      { name: 'interactive-v2', version: '1.0.0' },
      {
        capabilities: { roots: {}, elicitation: { form: {} } },
        versionNegotiation: { mode: { pin: '2026-07-28' } },
      },
    );
    client.setRequestHandler('roots/list', () => {
      asked.push('roots/list');
      return { roots: MODERN_ROOTS };
    });
    client.setRequestHandler('elicitation/create', () => {
      asked.push('elicitation/create');
      return ALLOW_ONCE;
    });
    await client.connect(
      new StreamableHTTPClientTransport(new URL(`${cluster.front}/mcp`), {
        requestInit: { headers: { authorization: `Bearer ${cluster.userKey}` } },
      }),
    );
    closers.push(() => client.close());
    for (let round = 0; round < 2; round += 1) {
      const roots = await client.callTool({ name: 'roots__ask-roots', arguments: {} });
      expect(JSON.parse(textOf(roots))).toEqual(MODERN_ROOTS);
      const sum = await client.callTool({ name: 'ev__get-sum', arguments: { a: 40, b: round } });
      expect(textOf(sum)).toContain(String(40 + round));
    }
    expect(asked.filter((method) => method === 'roots/list')).toHaveLength(2);
    expect(asked.filter((method) => method === 'elicitation/create')).toHaveLength(2);
  }, 60_000);
});
