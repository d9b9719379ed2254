/**
 * The host's 2026-07-28 fast path (`modernFastRequest`): what it is offered (a valid 2026-07-28
 * tools/call, after authentication, with the principal), what it answers (one JSON response), what
 * happens when it declines or fails, and that a client going away aborts its signal.
 */

import type { ServerResponse } from 'node:http';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { type JSONRPCRequest, Server } from '@modelcontextprotocol/server';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type {
  McpModernFastRequestExtra,
  McpModernFastRequestHandler,
} from '../mcp-modern-fast-request.js';
import { createMcpHttpHost } from './create-mcp-http-host.js';
import type { McpHttpHost } from './mcp-http-host-options.js';

/** A server answering every `tools/call` itself (the SDK path). */
function createServer() {
  const server = new Server(
    { name: 'modern-fast', version: '1.0.0' },
    { capabilities: { tools: {} } },
  );
  server.setRequestHandler('tools/call', (request) => ({
    content: [{ type: 'text' as const, text: `sdk:${request.params.name}` }],
  }));
  return server;
}

interface Offered {
  request: JSONRPCRequest;
  extra: McpModernFastRequestExtra;
}

const hosts: McpHttpHost[] = [];
const clients: Client[] = [];
afterEach(async () => {
  await Promise.allSettled(clients.splice(0).map((client) => client.close()));
  await Promise.allSettled(hosts.splice(0).map((host) => host.close()));
});

/** A host whose fast path answers tools named `fast*`, fails `boom`, and holds `hold` open. */
async function start() {
  const offered: Offered[] = [];
  const responses: ServerResponse[] = [];
  let built = 0;
  const modernFastRequest: McpModernFastRequestHandler = (request, extra) => {
    offered.push({ request, extra });
    const name = (request.params as { name: string }).name;
    if (name === 'boom') return Promise.reject(new Error('boom'));
    // Answers its response's `close` listener count before and while its cancellation is watched.
    if (name === 'close-listeners') {
      const response = responses.at(-1);
      const before = response?.listenerCount('close');
      const watcher = { cancelled: () => {} };
      extra.cancellation?.watch(watcher);
      const during = response?.listenerCount('close');
      extra.cancellation?.unwatch(watcher);
      return Promise.resolve({
        result: {
          content: [{ type: 'text', text: `${before}:${during}` }],
          resultType: 'complete',
        },
        jsonrpc: '2.0',
        id: request.id,
      });
    }
    if (name === 'hold') {
      return new Promise((resolve) =>
        extra.signal.addEventListener('abort', () => resolve(undefined)),
      );
    }
    // Held without reading the signal: the test reads it only once the client has gone.
    if (name === 'late') return new Promise(() => {});
    // Held, watching the cancellation only (no signal read).
    if (name === 'watch') {
      return new Promise((resolve) =>
        extra.cancellation?.watch({ cancelled: () => resolve(undefined) }),
      );
    }
    if (!name.startsWith('fast')) return undefined;
    return Promise.resolve({
      result: { content: [{ type: 'text', text: `fast:${name}` }], resultType: 'complete' },
      jsonrpc: '2.0',
      id: request.id,
    });
  };
  const host = createMcpHttpHost({
    createServer: (context) => {
      if (context.era === 'modern') built += 1;
      return createServer();
    },
    modernFastRequest,
    authenticate: () => ({ subject: 'alice' }),
  });
  hosts.push(host);
  const { url } = await host.listen();
  // Before the host's own listener: the handler may run within it.
  host.server.prependListener('request', (_request, response) => responses.push(response));
  const client = new Client(
    { name: 'modern', version: '1.0.0' },
    { versionNegotiation: { mode: { pin: '2026-07-28' } } },
  );
  clients.push(client);
  await client.connect(new StreamableHTTPClientTransport(new URL(`${url}/mcp`)));
  const builtBefore = built;
  return { url, client, offered, host, built: () => built - builtBefore };
}

const textOf = (result: unknown) =>
  ((result as { content?: Array<{ text?: string }> }).content ?? [])[0]?.text;

/** A raw 2026-07-28 POST of `tools/call` for `fast-x` (its headers, then `headers` over them). */
function postToolsCall(url: string, body: unknown, headers: Record<string, string> = {}) {
  return fetch(`${url}/mcp`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      accept: 'application/json, text/event-stream',
      'mcp-protocol-version': '2026-07-28',
      'mcp-method': 'tools/call',
      'mcp-name': 'fast-x',
      ...headers,
    },
    body: JSON.stringify(body),
  });
}

describe('createMcpHttpHost modernFastRequest', () => {
  it('answers what the handler answers, with the principal, and leaves the rest to the SDK', async () => {
    const { client, offered, built } = await start();
    expect(textOf(await client.callTool({ name: 'fast-one', arguments: {} }))).toBe(
      'fast:fast-one',
    );
    expect(offered[0]?.extra.principal).toEqual({ subject: 'alice' });
    expect(offered[0]?.request).toMatchObject({
      method: 'tools/call',
      params: { name: 'fast-one' },
    });
    expect(built()).toBe(0);
    // Declined: the SDK's entry serves it with a server of its own.
    expect(textOf(await client.callTool({ name: 'other', arguments: {} }))).toBe('sdk:other');
    expect(built()).toBe(1);
  });

  it('answers a failing handler with a JSON-RPC internal error', async () => {
    const { client } = await start();
    await expect(client.callTool({ name: 'boom', arguments: {} })).rejects.toMatchObject({
      code: -32603,
    });
  });

  it('offers nothing that is not a valid 2026-07-28 tools/call', async () => {
    const { url, offered } = await start();
    const post = (headers: Record<string, string>, body: unknown) =>
      postToolsCall(url, body, headers);
    const call = { jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'fast-x' } };
    // No envelope: the SDK's entry refuses it (-32602), the handler never sees it.
    const noEnvelope = await post({}, call);
    expect(noEnvelope.status).toBe(400);
    // The Mcp-Name header and the body disagree: the SDK's answer.
    const envelope = {
      'io.modelcontextprotocol/protocolVersion': '2026-07-28',
      'io.modelcontextprotocol/clientInfo': { name: 'raw', version: '1' },
      'io.modelcontextprotocol/clientCapabilities': {},
    };
    const mismatch = await post(
      { 'mcp-name': 'other' },
      { ...call, params: { name: 'fast-x', _meta: envelope } },
    );
    expect(mismatch.status).toBe(400);
    // A batch under 2026-07-28 headers is not a 2026-07-28 request: refused with a reason.
    const batch = await post({}, [call]);
    expect(batch.status).toBe(400);
    expect(JSON.stringify(await batch.json())).toMatch(/2026-07-28/);
    expect(offered).toEqual([]);
    // The same request with its envelope is offered and answered as JSON.
    const valid = await post({}, { ...call, params: { name: 'fast-x', _meta: envelope } });
    expect(valid.status).toBe(200);
    expect(valid.headers.get('content-type')).toMatch(/^application\/json/);
    expect(await valid.json()).toMatchObject({ id: 1, result: { resultType: 'complete' } });
    expect(offered).toHaveLength(1);
  });

  it('classifies a request by an envelope it saw before only when the rest is a plain valid request', async () => {
    const { url, offered } = await start();
    const post = (body: unknown, headers: Record<string, string> = {}) =>
      postToolsCall(url, body, headers);
    const envelope = {
      'io.modelcontextprotocol/protocolVersion': '2026-07-28',
      'io.modelcontextprotocol/clientInfo': { name: 'raw', version: '1' },
      'io.modelcontextprotocol/clientCapabilities': {},
    };
    const call = (id: unknown, meta: Record<string, unknown> = envelope) => ({
      jsonrpc: '2.0',
      id,
      method: 'tools/call',
      params: { name: 'fast-x', _meta: meta },
    });
    // Valid, then the same envelope again (remembered): both offered, each with its own id.
    for (const id of [1, 'two']) {
      const valid = await post(call(id));
      expect(valid.status).toBe(200);
      expect(await valid.json()).toMatchObject({ id, result: { resultType: 'complete' } });
    }
    expect(offered.map((each) => each.request.id)).toEqual([1, 'two']);
    // An envelope too large to remember is classified each time, and served each time.
    const large = {
      ...envelope,
      'io.modelcontextprotocol/clientCapabilities': {
        experimental: { big: { x: 'y'.repeat(5000) } },
      },
    };
    for (const id of [10, 11]) {
      const answer = await post(call(id, large));
      expect(answer.status).toBe(200);
      expect(await answer.json()).toMatchObject({ id, result: { resultType: 'complete' } });
    }
    offered.splice(2);
    // The envelope seen before, but not a valid JSON-RPC request: the SDK's ladder refuses each.
    const refused = [
      { ...call(3), extra: true }, // the request schema is strict
      call(1.5), // an id that is not an integer
      call(null),
      { ...call(4), jsonrpc: '1.0' },
      { ...call(5), params: { name: 'fast-x', _meta: { ...envelope, progressToken: 1.5 } } },
    ];
    for (const body of refused) expect((await post(body)).status).toBe(400);
    // Another envelope, invalid (a null client info, capabilities not an object), twice: refused
    // both times (an invalid envelope is not remembered).
    for (const meta of [
      { ...envelope, 'io.modelcontextprotocol/clientInfo': null },
      { ...envelope, 'io.modelcontextprotocol/clientCapabilities': 'all' },
    ]) {
      for (const id of [6, 7]) {
        const answer = await post(call(id, meta));
        expect(answer.status).toBe(400);
        expect(JSON.stringify(await answer.json())).toMatch(/envelope/i);
      }
    }
    // The body names another method than its header: the SDK's answer, not the fast path's.
    expect((await post(call(8), { 'mcp-method': 'tools/list' })).status).toBe(400);
    expect(offered.map((each) => each.request.id)).toEqual([1, 'two']);
  });

  it('takes an envelope for the one it last found valid only when it is the same JSON', async () => {
    const { url, offered } = await start();
    const post = (meta: Record<string, unknown>, id: number) =>
      postToolsCall(url, {
        jsonrpc: '2.0',
        id,
        method: 'tools/call',
        params: { name: 'fast-x', _meta: meta },
      });
    const version = { 'io.modelcontextprotocol/protocolVersion': '2026-07-28' };
    const valid = {
      ...version,
      'io.modelcontextprotocol/clientInfo': { name: 'raw', version: '1' },
      'io.modelcontextprotocol/clientCapabilities': { roots: {} },
    };
    expect((await post(valid, 1)).status).toBe(200);
    // The same JSON, its members in another order: the same envelope.
    const reordered = {
      'io.modelcontextprotocol/clientCapabilities': { roots: {} },
      'io.modelcontextprotocol/clientInfo': { version: '1', name: 'raw' },
      ...version,
    };
    expect((await post(reordered, 2)).status).toBe(200);
    // Each differs from the last valid one (a member less, a member more, another value): the
    // SDK's ladder classifies each, and refuses it.
    for (const [index, meta] of [
      { ...valid, 'io.modelcontextprotocol/clientInfo': { name: 'raw' } },
      { ...valid, 'io.modelcontextprotocol/clientCapabilities': { roots: {}, sampling: 'no' } },
      { ...valid, 'io.modelcontextprotocol/clientCapabilities': { roots: 'all' } },
      { ...valid, 'io.modelcontextprotocol/clientInfo': ['raw', '1'] },
    ].entries()) {
      const answer = await post(meta, 10 + index);
      expect(answer.status).toBe(400);
      await answer.body?.cancel();
    }
    expect(offered.map((each) => each.request.id)).toEqual([1, 2]);
  });

  it('watches a request cancellation through the host close listener, adding none per request', async () => {
    const { client } = await start();
    const counts = textOf(await client.callTool({ name: 'close-listeners', arguments: {} }));
    const [before, during] = (counts ?? '').split(':').map(Number);
    expect(before).toBeGreaterThan(0);
    expect(during).toBe(before);
  });

  it('aborts the signal when the client goes away (2026-07-28 cancellation)', async () => {
    const { client, offered } = await start();
    const controller = new AbortController();
    const held = client.callTool(
      { name: 'hold', arguments: {} },
      { signal: controller.signal, timeout: 30_000 },
    );
    await vi.waitFor(() => expect(offered).toHaveLength(1), { timeout: 10_000 });
    controller.abort('stop');
    await expect(held).rejects.toThrow();
    await vi.waitFor(() => expect(offered[0]?.extra.signal.aborted).toBe(true), {
      timeout: 10_000,
    });
  });

  it('tells cancellation watchers when the client goes away, and not after an answer', async () => {
    const { client, offered } = await start();
    // Answered: its cancellation stays quiet, even watched after the answer was written.
    expect(textOf(await client.callTool({ name: 'fast-done', arguments: {} }))).toBe(
      'fast:fast-done',
    );
    const answered = offered[0]?.extra.cancellation;
    const late: unknown[] = [];
    answered?.watch({ cancelled: (reason) => late.push(reason) });
    expect(answered?.aborted).toBe(false);
    const controller = new AbortController();
    const held = client.callTool(
      { name: 'watch', arguments: {} },
      { signal: controller.signal, timeout: 30_000 },
    );
    await vi.waitFor(() => expect(offered).toHaveLength(2), { timeout: 10_000 });
    controller.abort('stop');
    await expect(held).rejects.toThrow();
    const cancellation = offered[1]?.extra.cancellation;
    await vi.waitFor(() => expect(cancellation?.aborted).toBe(true), { timeout: 10_000 });
    // A watcher arriving after the abort is told at once; the signal, read late, is aborted.
    const after: unknown[] = [];
    cancellation?.watch({ cancelled: (reason) => after.push(reason) });
    expect(after).toHaveLength(1);
    expect(offered[1]?.extra.signal.aborted).toBe(true);
    expect(late).toEqual([]);
  });

  it('gives an aborted signal when first read after the client went away', async () => {
    const { client, offered, host } = await start();
    const closed = new Promise<void>((resolve) =>
      host.server.on('connection', (socket) => socket.once('close', () => resolve())),
    );
    const controller = new AbortController();
    const held = client.callTool(
      { name: 'late', arguments: {} },
      { signal: controller.signal, timeout: 30_000 },
    );
    await vi.waitFor(() => expect(offered).toHaveLength(1), { timeout: 10_000 });
    controller.abort('stop');
    await expect(held).rejects.toThrow();
    await closed;
    // One turn of the event loop: the response's own `close` follows its socket's.
    await new Promise((resolve) => setImmediate(resolve));
    expect(offered[0]?.extra.signal.aborted).toBe(true);
  });
});
