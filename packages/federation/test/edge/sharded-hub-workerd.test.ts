// One hub spread over four Durable Objects in workerd (fixtures/sharded-hub-worker.ts): 2026-07-28
// calls spread over the objects, an elicitation's retry reaches the object that paused the call,
// a consent question asked by one object is answered on any (shared requestState key, grants in
// the store), a 2025-11-25 session stays on its object (the elicitation answered by a POST on the
// session resumes there), a hub task run by one object is read on the others (records in the
// store), and a session id naming no shard is answered 404.
import { fileURLToPath } from 'node:url';
import { type Everything, startEverything } from '@fedmcp/test-support';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { ResultSchema } from '@modelcontextprotocol/core';
import type { Miniflare } from 'miniflare';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, textOf } from '../helpers.js';
import { bundleEdge } from './fixtures/bundle-edge.js';
import { ERAS } from './fixtures/echo-through.js';
import { startHubWorker } from './fixtures/hub-miniflare.js';
import { scenarioClient } from './fixtures/hub-scenario.js';

const entry = fileURLToPath(new URL('./fixtures/sharded-hub-worker.ts', import.meta.url));
let everything: Everything;
let miniflare: Miniflare;
let mcpUrl: URL;

beforeAll(async () => {
  let code: Uint8Array;
  [everything, { code }] = await Promise.all([startEverything(), bundleEdge(entry)]);
  miniflare = startHubWorker(code, { bindings: { UPSTREAM_URL: everything.url, SHARDS: '4' } });
  mcpUrl = new URL('/mcp', await miniflare.ready);
}, 120_000);

afterAll(async () => {
  await miniflare?.dispose();
  await everything?.[Symbol.asyncDispose]();
});

type Era = (typeof ERAS)[number];

/**
 * A client of `era` answering forms with `name` and consent with "always allow"; it records which
 * object served each request. `misroute` sends each retry (a body with `requestState`) straight
 * to another object than the one that answered the call before it.
 */
function shardedClient(era: Era, name: string, misroute = false) {
  const { client, received } = scenarioClient(era, name);
  const served: Array<{ object: string | null; body: string }> = [];
  const recording: typeof fetch = async (input, init) => {
    const body = String(init?.body ?? '');
    const last = Number(served.at(-1)?.object?.slice('hub-'.length) ?? 0);
    const headers = new Headers(init?.headers);
    if (misroute && body.includes('requestState'))
      headers.set('x-test-object', `hub-${(last + 1) % 4}`);
    const answer = await fetch(input, { ...init, headers });
    served.push({ object: answer.headers.get('x-hub-object'), body: String(init?.body ?? '') });
    return answer;
  };
  const transport = new StreamableHTTPClientTransport(mcpUrl, { fetch: recording });
  return { client, received, served, transport };
}

const objectsOf = (served: Array<{ object: string | null }>) =>
  new Set(served.map((entry) => entry.object));

describe('one hub over four Durable Objects', () => {
  it('spreads 2026-07-28 calls, and an elicitation retry reaches the object that paused the call', async () => {
    const { client, received, served, transport } = shardedClient(ERAS[0], 'Ada 2026');
    await client.connect(transport);
    try {
      expect(client.getNegotiatedProtocolVersion()).toBe('2026-07-28');
      for (let index = 0; index < 24; index += 1) {
        const echoed = await client.callTool({
          name: 'everything__echo',
          arguments: { message: `m${index}` },
        });
        expect(textOf(echoed)).toBe(`Echo: m${index}`);
      }
      expect(objectsOf(served).size).toBeGreaterThan(1);
      for (const object of objectsOf(served)) expect(object).toMatch(/^hub-[0-3]$/);

      for (let round = 0; round < 4; round += 1) {
        served.length = 0;
        const result = await client.callTool({
          name: 'everything__trigger-elicitation-request',
          arguments: {},
        });
        expect(received.elicitation).toBe(round + 1);
        expect(JSON.stringify(result)).toContain('Ada 2026');
        // The first request and its retry (the one carrying requestState): one object.
        const call = served.filter((entry) => entry.body.includes('trigger-elicitation-request'));
        expect(call.length).toBe(2);
        expect(call[1]?.body).toContain('requestState');
        expect(objectsOf(call).size).toBe(1);
      }

      // Consent: the question's answer may reach any object (a shared key, grants in the store).
      const sum = { name: 'everything__get-sum', arguments: { a: 2, b: 3 } };
      expect(textOf(await client.callTool(sum))).toContain('5');
      expect(received.consent).toBe(1);
      for (let index = 0; index < 6; index += 1) {
        expect(textOf(await client.callTool(sum))).toContain('5');
      }
      expect(received.consent, 'the grant is remembered by every object').toBe(1);
    } finally {
      await client.close();
    }
  }, 120_000);

  it('forwards a retry that reaches another object to the holder (flow forwarding over the store)', async () => {
    const { client, received, served, transport } = shardedClient(ERAS[0], 'Ada astray', true);
    await client.connect(transport);
    try {
      const result = await client.callTool({
        name: 'everything__trigger-elicitation-request',
        arguments: {},
      });
      expect(received.elicitation).toBe(1);
      expect(JSON.stringify(result)).toContain('Ada astray');
      const call = served.filter((entry) => entry.body.includes('trigger-elicitation-request'));
      expect(call[1]?.body).toContain('requestState');
      expect(objectsOf(call).size, 'the retry was answered by another object').toBe(2);
    } finally {
      await client.close();
    }
  }, 120_000);

  it('keeps a 2025-11-25 session on its object, where an elicitation answered by POST resumes', async () => {
    const { client, received, served, transport } = shardedClient(ERAS[1], 'Ada 2025');
    await client.connect(transport);
    try {
      expect(client.getNegotiatedProtocolVersion()).toBe('2025-11-25');
      expect(transport.sessionId).toMatch(/^[0-3]\./);
      for (let round = 0; round < 3; round += 1) {
        const result = await client.callTool({
          name: 'everything__trigger-elicitation-request',
          arguments: {},
        });
        expect(received.elicitation).toBe(round + 1);
        expect(JSON.stringify(result)).toContain('Ada 2025');
      }
      const listed = await client.listTools();
      expect(listed.tools.map((tool) => tool.name)).toContain('everything__echo');
      const shard = transport.sessionId?.split('.')[0];
      expect(objectsOf(served)).toEqual(new Set([`hub-${shard}`]));
    } finally {
      await client.close();
    }
  }, 120_000);

  it('answers tasks/get on any object for a task another object runs (records in the store)', async () => {
    type Params = Record<string, unknown>;
    const answers: Array<{ object: string | null; message: Params }> = [];
    const transport = new StreamableHTTPClientTransport(mcpUrl, {
      fetch: async (input, init) => {
        const answer = await fetch(input, init);
        if (init?.method !== 'POST') return answer;
        const text = await answer.clone().text();
        for (const line of text.split('\n')) {
          const json = (line.startsWith('data:') ? line.slice(5) : line).trim();
          if (json.startsWith('{'))
            answers.push({ object: answer.headers.get('x-hub-object'), message: JSON.parse(json) });
        }
        return answer;
      },
    });
    const client = new Client(
      { name: 'sharded-tasks', version: '1.0.0' },
      {
        capabilities: { extensions: { 'io.modelcontextprotocol/tasks': {} } } as never,
        versionNegotiation: { mode: { pin: '2026-07-28' } },
      },
    );
    // The SDK does not decode `resultType: "task"`: read the wire answers.
    const wire = async (method: string, params: Params) => {
      await client.request({ method, params } as never, ResultSchema).catch(() => undefined);
      const last = answers.at(-1)!;
      return { object: last.object, result: (last.message.result ?? last.message.error) as Params };
    };
    await client.connect(transport);
    try {
      const created = await wire('tools/call', {
        name: 'everything__trigger-long-running-operation',
        arguments: { duration: 1, steps: 2 },
      });
      expect(created.result).toMatchObject({ resultType: 'task', status: 'working' });
      const taskId = String(created.result.taskId);
      const readers = new Set<string | null>();
      const read = async () => {
        const answer = await wire('tasks/get', { taskId });
        expect(answer.result, JSON.stringify(answer.result)).toMatchObject({ taskId });
        readers.add(answer.object);
        return answer.result;
      };
      for (let reads = 0; reads < 8; reads += 1) await read();
      const done = await eventually(async () => {
        const task = await read();
        return task.status === 'working' ? undefined : task;
      }, 60_000);
      expect(done?.status).toBe('completed');
      expect([...readers].some((object) => object !== created.object)).toBe(true);
    } finally {
      await client.close();
    }
  }, 120_000);

  it('answers 404 "Session not found" to a session id naming no object of the hub', async () => {
    const ping = JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'ping' });
    for (const forged of ['7.abc', 'abc', 'x.abc', '1.no-such-session']) {
      const answer = await fetch(mcpUrl, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          accept: 'application/json, text/event-stream',
          'mcp-protocol-version': '2025-11-25',
          'mcp-session-id': forged,
        },
        body: ping,
      });
      expect(answer.status, forged).toBe(404);
      expect(await answer.text()).toContain('Session not found');
    }
  }, 60_000);
});
