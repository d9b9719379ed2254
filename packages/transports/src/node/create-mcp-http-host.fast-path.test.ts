import { request as httpRequest } from 'node:http';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { type JSONRPCResponse, Server } from '@modelcontextprotocol/server';
import { afterEach, describe, expect, it } from 'vitest';
import type { McpFastRequestExtra, McpFastRequestHandler } from '../mcp-session-context.js';
import { createMcpHttpHost } from './create-mcp-http-host.js';
import type { McpHttpHost } from './mcp-http-host-options.js';

interface Seen {
  id: unknown;
  extra: McpFastRequestExtra;
}

/** A server answering every `tools/call` itself (the SDK path). */
function createServer() {
  const server = new Server(
    { name: 'fast-path-test', version: '1.0.0' },
    { capabilities: { tools: {} } },
  );
  server.setRequestHandler('tools/call', (request) => ({
    content: [{ type: 'text' as const, text: `sdk:${request.params.name}` }],
  }));
  return server;
}

/** The host's fast path: takes `tools/call` of `fast*` names. */
function createFastRequest(
  seen: Seen[],
  fast: (id: unknown, extra: McpFastRequestExtra) => unknown,
): McpFastRequestHandler {
  return (request, extra) => {
    const name = (request.params as { name?: unknown } | undefined)?.name;
    if (request.method !== 'tools/call' || typeof name !== 'string' || !name.startsWith('fast')) {
      return undefined;
    }
    seen.push({ id: request.id, extra });
    return Promise.resolve(fast(request.id, extra)) as Promise<JSONRPCResponse>;
  };
}

const hosts: McpHttpHost[] = [];
const clients: Client[] = [];

afterEach(async () => {
  await Promise.allSettled(clients.splice(0).map((client) => client.close()));
  await Promise.allSettled(hosts.splice(0).map((host) => host.close()));
});

async function start(
  fast: (id: unknown, extra: McpFastRequestExtra) => unknown,
  contentTypes?: string[],
) {
  const seen: Seen[] = [];
  const host = createMcpHttpHost({
    createServer: () => createServer(),
    fastRequest: createFastRequest(seen, fast),
    authenticate: () => ({ subject: 'alice' }),
  });
  hosts.push(host);
  const { url, port } = await host.listen();
  const transport = new StreamableHTTPClientTransport(new URL(`${url}/mcp`), {
    fetch: async (input, init) => {
      const response = await fetch(input, init);
      const body = typeof init?.body === 'string' ? init.body : '';
      if (body.includes('"tools/call"')) contentTypes?.push(response.headers.get('content-type')!);
      return response;
    },
  });
  const client = new Client(
    { name: 'fast-path-client', version: '1.0.0' },
    { capabilities: { sampling: {} } },
  );
  client.setRequestHandler('sampling/createMessage', async (request) => ({
    model: 'test-model',
    role: 'assistant' as const,
    content: {
      type: 'text' as const,
      text: `sampled:${(request.params.messages[0]?.content as { text?: string } | undefined)?.text}`,
    },
  }));
  clients.push(client);
  await client.connect(transport);
  return { seen, client, port, sessionId: transport.sessionId as string };
}

function post(port: number, sessionId: string, body: unknown) {
  return new Promise<{ status: number; type: string | undefined; body: string }>(
    (resolve, reject) => {
      const request = httpRequest(
        {
          host: '127.0.0.1',
          port,
          method: 'POST',
          path: '/mcp',
          headers: {
            'content-type': 'application/json',
            accept: 'application/json, text/event-stream',
            'mcp-session-id': sessionId,
            'mcp-protocol-version': '2025-11-25',
          },
        },
        (response) => {
          let text = '';
          response.setEncoding('utf8');
          response.on('data', (chunk: string) => {
            text += chunk;
          });
          response.on('end', () =>
            resolve({
              status: response.statusCode ?? 0,
              type: response.headers['content-type'],
              body: text,
            }),
          );
        },
      );
      request.on('error', reject);
      request.end(JSON.stringify(body));
    },
  );
}

const text = (result: { content?: unknown }) =>
  (result.content as Array<{ text?: string }> | undefined)?.[0]?.text;

describe('createMcpHttpHost — fast path', () => {
  it('answers the requests the fast-path handler takes, and leaves the rest to the SDK server', async () => {
    const { seen, client, port, sessionId } = await start((id) => ({
      jsonrpc: '2.0',
      id,
      result: { content: [{ type: 'text', text: 'fast answer' }] },
    }));
    expect(text(await client.callTool({ name: 'fast-tool', arguments: {} }))).toBe('fast answer');
    expect(text(await client.callTool({ name: 'sdk-tool', arguments: {} }))).toBe('sdk:sdk-tool');
    expect(seen).toHaveLength(1);
    expect(seen[0]?.extra).toMatchObject({ sessionId, principal: { subject: 'alice' } });

    const answer = await post(port, sessionId, {
      jsonrpc: '2.0',
      id: 'raw-1',
      method: 'tools/call',
      params: { name: 'fast-tool' },
    });
    expect(answer.status).toBe(200);
    expect(answer.type).toBe('application/json');
    expect(JSON.parse(answer.body)).toEqual({
      jsonrpc: '2.0',
      id: 'raw-1',
      result: { content: [{ type: 'text', text: 'fast answer' }] },
    });
  });

  it('hands the request to the SDK server when the handler resolves with undefined', async () => {
    const { client, seen } = await start(async () => {
      await new Promise((resolve) => setTimeout(resolve, 10));
      return undefined;
    });
    expect(text(await client.callTool({ name: 'fast-but-declined', arguments: {} }))).toBe(
      'sdk:fast-but-declined',
    );
    expect(seen).toHaveLength(1);
  });

  it('answers -32603 when the handler rejects, and keeps serving the session', async () => {
    const { client } = await start(() => Promise.reject(new Error('boom')));
    await expect(client.callTool({ name: 'fast-tool', arguments: {} })).rejects.toMatchObject({
      code: -32603,
    });
    expect(text(await client.callTool({ name: 'sdk-tool', arguments: {} }))).toBe('sdk:sdk-tool');
  });

  it('aborts a fast request when the client sends notifications/cancelled for its id', async () => {
    let started: () => void = () => {};
    const running = new Promise<void>((resolve) => {
      started = resolve;
    });
    const { port, sessionId, seen } = await start(
      (id, extra) =>
        new Promise((resolve) => {
          started();
          extra.signal.addEventListener('abort', () =>
            resolve({ jsonrpc: '2.0', id, error: { code: -32800, message: 'cancelled' } }),
          );
        }),
    );
    const answer = post(port, sessionId, {
      jsonrpc: '2.0',
      id: 7,
      method: 'tools/call',
      params: { name: 'fast-slow' },
    });
    await running;
    const cancelled = await post(port, sessionId, {
      jsonrpc: '2.0',
      method: 'notifications/cancelled',
      params: { requestId: 7, reason: 'no longer needed' },
    });
    expect(cancelled.status).toBe(202);
    expect(seen[0]?.extra.signal.aborted).toBe(true);
    expect(JSON.parse((await answer).body)).toMatchObject({ id: 7, error: { code: -32800 } });
  });

  it('tells the cancellation of a fast request to its watchers, without its signal', async () => {
    let started: () => void = () => {};
    const running = new Promise<void>((resolve) => {
      started = resolve;
    });
    const reasons: unknown[] = [];
    const { port, sessionId, seen } = await start(
      (id, extra) =>
        new Promise((resolve) => {
          const stopped = { cancelled: () => reasons.push('unwatched, never told') };
          extra.cancellation?.watch(stopped);
          extra.cancellation?.unwatch(stopped);
          extra.cancellation?.watch({
            cancelled(reason) {
              reasons.push(reason);
              resolve({ jsonrpc: '2.0', id, error: { code: -32800, message: 'cancelled' } });
            },
          });
          started();
        }),
    );
    const answer = post(port, sessionId, {
      jsonrpc: '2.0',
      id: 8,
      method: 'tools/call',
      params: { name: 'fast-watched' },
    });
    await running;
    const cancelled = await post(port, sessionId, {
      jsonrpc: '2.0',
      method: 'notifications/cancelled',
      params: { requestId: 8, reason: 'no longer needed' },
    });
    expect(cancelled.status).toBe(202);
    expect(JSON.parse((await answer).body)).toMatchObject({ id: 8, error: { code: -32800 } });
    expect(reasons).toHaveLength(1);
    expect((reasons[0] as Error).name).toBe('AbortError');
    const cancellation = seen[0]?.extra.cancellation;
    expect(cancellation?.aborted).toBe(true);
    // A watcher added once it is aborted is told at once; the signal read late starts aborted.
    const late: unknown[] = [];
    cancellation?.watch({ cancelled: (reason) => late.push(reason) });
    expect(late).toEqual([cancellation?.reason]);
    expect(seen[0]?.extra.signal.aborted).toBe(true);
  });

  it('does not cancel a watched fast request once it is answered, when its response closes', async () => {
    const told: unknown[] = [];
    const { port, sessionId, seen } = await start((id, extra) => {
      extra.cancellation?.watch({ cancelled: (reason) => told.push(reason) });
      return { jsonrpc: '2.0', id, result: { content: [] } };
    });
    for (const id of [10, 11, 12]) {
      const answer = await post(port, sessionId, {
        jsonrpc: '2.0',
        id,
        method: 'tools/call',
        params: { name: 'fast-quick' },
      });
      expect(JSON.parse(answer.body)).toMatchObject({ id, result: { content: [] } });
    }
    await new Promise((resolve) => setImmediate(resolve)); // every response has closed by now
    expect(told).toEqual([]);
    expect(seen.map((entry) => entry.extra.cancellation?.aborted)).toEqual([false, false, false]);
  });

  it('cancels a watched fast request when its client goes away', async () => {
    let started: () => void = () => {};
    const running = new Promise<void>((resolve) => {
      started = resolve;
    });
    let told: () => void = () => {};
    const cancelled = new Promise<void>((resolve) => {
      told = resolve;
    });
    const { port, sessionId, seen } = await start(
      (id, extra) =>
        new Promise((resolve) => {
          extra.cancellation?.watch({
            cancelled() {
              told();
              resolve({ jsonrpc: '2.0', id, result: { content: [] } });
            },
          });
          started();
        }),
    );
    const request = httpRequest({
      host: '127.0.0.1',
      port,
      method: 'POST',
      path: '/mcp',
      headers: {
        'content-type': 'application/json',
        accept: 'application/json, text/event-stream',
        'mcp-session-id': sessionId,
      },
    });
    request.on('error', () => {});
    request.end(
      JSON.stringify({
        jsonrpc: '2.0',
        id: 9,
        method: 'tools/call',
        params: { name: 'fast-gone' },
      }),
    );
    await running;
    request.destroy();
    await cancelled;
    expect(seen[0]?.extra.cancellation?.aborted).toBe(true);
  });

  it('leaves a request with an unsupported protocol version header to the SDK (400)', async () => {
    const { port, sessionId, seen } = await start((id) => ({ jsonrpc: '2.0', id, result: {} }));
    const answer = await new Promise<number>((resolve, reject) => {
      const request = httpRequest(
        {
          host: '127.0.0.1',
          port,
          method: 'POST',
          path: '/mcp',
          headers: {
            'content-type': 'application/json',
            accept: 'application/json, text/event-stream',
            'mcp-session-id': sessionId,
            'mcp-protocol-version': '1999-01-01',
          },
        },
        (response) => {
          response.resume();
          resolve(response.statusCode ?? 0);
        },
      );
      request.on('error', reject);
      request.end(
        JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'fast' } }),
      );
    });
    expect(answer).toBe(400);
    expect(seen).toHaveLength(0);
  });

  it('answers as JSON until the handler sends a related message, then as an SSE stream', async () => {
    const contentTypes: string[] = [];
    const logs: unknown[] = [];
    let calls = 0;
    const { client } = await start(async (id, extra) => {
      const stream = extra.stream!;
      calls += 1;
      if (calls === 1) {
        return { jsonrpc: '2.0', id, result: { content: [{ type: 'text', text: 'plain' }] } };
      }
      stream.notify({ method: 'notifications/message', params: { level: 'info', data: 'hi' } });
      const reply = await stream.request('sampling/createMessage', {
        messages: [{ role: 'user', content: { type: 'text', text: 'question' } }],
        maxTokens: 10,
      });
      const sampled = (reply.result?.content as { text?: string } | undefined)?.text;
      return { jsonrpc: '2.0', id, result: { content: [{ type: 'text', text: sampled }] } };
    }, contentTypes);
    client.setNotificationHandler('notifications/message', (notification) => {
      logs.push(notification.params.data);
    });
    expect(text(await client.callTool({ name: 'fast-plain', arguments: {} }))).toBe('plain');
    expect(text(await client.callTool({ name: 'fast-asks', arguments: {} }))).toBe(
      'sampled:question',
    );
    expect(logs).toEqual(['hi']);
    expect(contentTypes).toEqual([
      expect.stringMatching(/^application\/json/),
      expect.stringMatching(/^text\/event-stream/),
    ]);
  });

  it('cancels an upgraded request: the handler is aborted and its answer is not sent', async () => {
    let upgraded: () => void = () => {};
    const sent = new Promise<void>((resolve) => {
      upgraded = resolve;
    });
    let aborted: (reason: unknown) => void = () => {};
    const abortSeen = new Promise((resolve) => {
      aborted = resolve;
    });
    const { client } = await start(
      (id, extra) =>
        new Promise((resolve) => {
          extra.stream!.notify({
            method: 'notifications/message',
            params: { level: 'info', data: 'started' },
          });
          upgraded();
          extra.signal.addEventListener('abort', () => {
            aborted(extra.signal.reason);
            resolve({ jsonrpc: '2.0', id, error: { code: -32800, message: 'cancelled' } });
          });
        }),
    );
    const controller = new AbortController();
    const call = client.callTool(
      { name: 'fast-slow', arguments: {} },
      { signal: controller.signal },
    );
    await sent;
    controller.abort('stop');
    await expect(call).rejects.toThrow();
    await abortSeen;
  });
});
