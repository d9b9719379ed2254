import { FedmcpError } from '@fedmcp/protocol';
import { Client, type FetchLike } from '@modelcontextprotocol/client';
import { describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { startLegacySseServer } from '../test/upstream/fixtures/legacy-sse-server.js';
import { startV2HttpServer } from '../test/upstream/fixtures/v2-test-server.js';
import { startWebSocketTestServer } from '../test/upstream/fixtures/ws-test-server.js';
import {
  connectUpstream,
  createUpstreamClient,
  createUpstreamTransport,
  type UpstreamVerdict,
} from './connect-upstream.js';
import type { WebSocketConstructor } from './websocket-client-transport.js';

const textOf = (result: unknown) =>
  ((result as { content: Array<{ text: string }> }).content[0] ?? { text: '' }).text;
const discoverPosts = (seen: Array<{ headers: Record<string, unknown> }>) =>
  seen.filter((request) => request.headers['mcp-method'] === 'server/discover').length;

describe('connectUpstream (URL)', () => {
  it('reaches a v2 server on the 2026-07-28 era with auto, and caches the verdict', async () => {
    await using server = await startV2HttpServer();
    const verdictCache = new Map<string, UpstreamVerdict>();
    const first = await connectUpstream({ url: server.url }, { verdictCache });
    expect(first).toBeInstanceOf(Client);
    expect(first.transportKind).toBe('streamable-http');
    expect(first.getProtocolEra()).toBe('modern');
    expect(first.getNegotiatedProtocolVersion()).toBe('2026-07-28');
    expect(textOf(await first.callTool({ name: 'echo', arguments: { text: 'modern' } }))).toBe(
      'modern',
    );
    await first.close();
    expect(verdictCache.get(`remote:${server.url}`)).toMatchObject({
      transport: 'streamable-http',
      prior: { kind: 'modern' },
    });
    expect(discoverPosts(server.seen)).toBe(1);

    // The second connect adopts the cached discover result: no probe at all.
    const second = await connectUpstream({ url: server.url }, { verdictCache });
    expect(second.getProtocolEra()).toBe('modern');
    expect(textOf(await second.callTool({ name: 'echo', arguments: { text: 'again' } }))).toBe(
      'again',
    );
    await second.close();
    expect(discoverPosts(server.seen)).toBe(1);
  });

  it('reaches the same v2 server on the 2025 era with era legacy', async () => {
    await using server = await startV2HttpServer();
    const client = await connectUpstream({ url: server.url, type: 'http' }, { era: 'legacy' });
    expect(client.getProtocolEra()).toBe('legacy');
    expect(textOf(await client.callTool({ name: 'echo', arguments: { text: 'old' } }))).toBe('old');
    await client.close();
    expect(discoverPosts(server.seen)).toBe(0);
  });

  it('serves thousands of calls over HTTP without a MaxListenersExceededWarning', async () => {
    await using server = await startV2HttpServer();
    const client = await connectUpstream({ url: server.url, type: 'http' }, { era: 'legacy' });
    const warnings: string[] = [];
    const onWarning = (warning: Error) => void warnings.push(`${warning.name}: ${warning.message}`);
    process.on('warning', onWarning);
    try {
      let next = 0;
      await Promise.all(
        Array.from({ length: 64 }, async () => {
          while (next < 4000) {
            const text = `call ${next++}`;
            expect(textOf(await client.callTool({ name: 'echo', arguments: { text } }))).toBe(text);
          }
        }),
      );
      await new Promise((resolve) => setImmediate(resolve)); // warnings are emitted on next tick
    } finally {
      process.off('warning', onWarning);
      await client.close();
    }
    expect(warnings.filter((warning) => warning.includes('MaxListeners'))).toEqual([]);
  }, 120_000); // 4,000 calls: about 5 s alone, far longer on a loaded machine

  it('hands each request a signal of its own that follows the transport’s (#18)', async () => {
    await using server = await startV2HttpServer();
    const signals: AbortSignal[] = [];
    const fetch: FetchLike = (url, init) => {
      if (init?.signal) signals.push(init.signal);
      return globalThis.fetch(url, init);
    };
    const client = await connectUpstream(
      { url: server.url, type: 'http' },
      { era: 'legacy', fetch },
    );
    for (const text of ['one', 'two', 'three']) {
      expect(textOf(await client.callTool({ name: 'echo', arguments: { text } }))).toBe(text);
    }
    // No long-lived signal reaches fetch, so none collects a listener per request.
    expect(signals.length).toBeGreaterThanOrEqual(3);
    expect(new Set(signals).size).toBe(signals.length);
    expect(signals.some((signal) => signal.aborted)).toBe(false);
    await client.close();
    // Closing the transport still aborts every request it started.
    expect(signals.every((signal) => signal.aborted)).toBe(true);
  });

  it('does not let a legacy-only connect decide the era for later auto connects', async () => {
    await using server = await startV2HttpServer();
    const verdictCache = new Map<string, UpstreamVerdict>();
    const legacy = await connectUpstream({ url: server.url }, { era: 'legacy', verdictCache });
    await legacy.close();
    expect(verdictCache.get(`remote:${server.url}`)).toEqual({ transport: 'streamable-http' });
    const auto = await connectUpstream({ url: server.url }, { verdictCache });
    expect(auto.getProtocolEra()).toBe('modern');
    await auto.close();
  });

  it('drops a verdict that no longer works, so the next connect probes again', async () => {
    await using server = await startV2HttpServer();
    const verdictCache = new Map<string, UpstreamVerdict>([
      [`remote:${server.url}`, { transport: 'sse', prior: { kind: 'legacy' } }],
    ]);
    await expect(connectUpstream({ url: server.url }, { verdictCache })).rejects.toMatchObject({
      code: 'UPSTREAM_UNAVAILABLE',
    });
    expect(verdictCache.size).toBe(0);
    const client = await connectUpstream({ url: server.url }, { verdictCache });
    expect(client.transportKind).toBe('streamable-http');
    await client.close();
  });

  it('falls back to SSE when the server answers the POST like an SSE-only server', async () => {
    await using server = await startLegacySseServer();
    const verdictCache = new Map<string, UpstreamVerdict>();
    const client = await connectUpstream({ url: server.url }, { verdictCache });
    expect(client.transportKind).toBe('sse');
    expect(client.getProtocolEra()).toBe('legacy');
    expect(textOf(await client.callTool({ name: 'echo', arguments: { text: 'x' } }))).toBe('sse:x');
    await client.close();
    expect(server.seen.filter((request) => request.path === '/sse')[0]?.method).toBe('POST');
    expect(verdictCache.get(`remote:${server.url}`)).toEqual({
      transport: 'sse',
      prior: { kind: 'legacy' },
    });

    // Cached: the next connect goes straight to SSE, no POST to /sse first.
    const postsBefore = server.seen.filter(
      (request) => request.method === 'POST' && request.path === '/sse',
    ).length;
    const again = await connectUpstream({ url: server.url }, { verdictCache });
    expect(again.transportKind).toBe('sse');
    await again.close();
    expect(
      server.seen.filter((request) => request.method === 'POST' && request.path === '/sse').length,
    ).toBe(postsBefore);
  });

  it('goes straight to SSE for type sse', async () => {
    await using server = await startLegacySseServer();
    const client = await connectUpstream({ url: server.url, type: 'sse' });
    expect(client.transportKind).toBe('sse');
    await client.close();
    expect(
      server.seen.every((request) => !(request.method === 'POST' && request.path === '/sse')),
    ).toBe(true);
  });

  it('does not fall back to SSE on other failures, and says what failed', async () => {
    const requests: string[] = [];
    const fetch: FetchLike = async (_url, init) => {
      requests.push(init?.method ?? 'GET');
      return new Response('boom', { status: 500 });
    };
    const url = 'http://upstream.invalid/mcp';
    const error = await connectUpstream({ url }, { fetch }).catch((failure: unknown) => failure);
    expect(FedmcpError.isInstance(error)).toBe(true);
    expect(error).toMatchObject({ code: 'UPSTREAM_UNAVAILABLE', data: { url, status: 500 } });
    expect((error as Error).message).toContain(url);
    expect(requests.every((method) => method === 'POST')).toBe(true);
  });

  it('injects headers and uses the injected fetch for HTTP and SSE', async () => {
    await using http = await startV2HttpServer();
    await using sse = await startLegacySseServer();
    const fetched: string[] = [];
    const fetch: FetchLike = (url, init) => {
      fetched.push(`${init?.method ?? 'GET'} ${new URL(String(url)).pathname}`);
      return globalThis.fetch(url, init);
    };
    const headers = { authorization: 'Bearer abc' };
    const overHttp = await connectUpstream(
      { url: http.url, headers },
      { fetch, headers: { 'x-extra': '1' } },
    );
    await overHttp.listTools();
    await overHttp.close();
    const overSse = await connectUpstream({ url: sse.url, type: 'sse', headers }, { fetch });
    await overSse.listTools();
    await overSse.close();
    expect(http.seen.length).toBeGreaterThan(0);
    for (const request of http.seen) {
      expect(request.headers.authorization).toBe('Bearer abc');
      expect(request.headers['x-extra']).toBe('1');
    }
    expect(sse.seen.length).toBeGreaterThan(1);
    for (const request of sse.seen) expect(request.headers.authorization).toBe('Bearer abc');
    expect(fetched).toContain('POST /mcp');
    expect(fetched).toContain('GET /sse');
    expect(fetched).toContain('POST /messages');
  });

  it('serves a v2 server through an injected fetch, without a socket', async () => {
    const { createMcpHandler } = await import('@modelcontextprotocol/server');
    const { createTestMcpServer } = await import('../test/upstream/fixtures/v2-test-server.js');
    const handler = createMcpHandler(() => createTestMcpServer());
    const fetch: FetchLike = (url, init) => handler.fetch(new Request(url, init));
    const client = await connectUpstream({ url: 'http://in-process.invalid/mcp' }, { fetch });
    expect(client.getProtocolEra()).toBe('modern');
    expect(textOf(await client.callTool({ name: 'echo', arguments: { text: 'no socket' } }))).toBe(
      'no socket',
    );
    await client.close();
    await handler.close();
  });

  it('connects ws:// URLs over WebSocket with the headers', async () => {
    await using server = await startWebSocketTestServer();
    const client = await connectUpstream(
      { url: server.url, headers: { authorization: 'Bearer ws' } },
      { WebSocket: WebSocket as unknown as WebSocketConstructor },
    );
    expect(client.transportKind).toBe('websocket');
    expect(client.getProtocolEra()).toBe('legacy');
    expect(server.handshakes[0]?.headers.authorization).toBe('Bearer ws');
    expect(textOf(await client.callTool({ name: 'echo', arguments: { text: 'ws' } }))).toBe('ws');
    await client.close();
  });

  it('stops connecting when the signal aborts', async () => {
    // A server that accepts requests and never answers.
    const fetch: FetchLike = (_url, init) =>
      new Promise((_resolve, reject) => {
        init?.signal?.addEventListener('abort', () => reject(init.signal?.reason));
      });
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 50);
    const error = await connectUpstream(
      { url: 'http://silent.invalid/mcp' },
      { fetch, signal: controller.signal, era: 'legacy' },
    ).catch((failure: unknown) => failure);
    expect(FedmcpError.isInstance(error)).toBe(true);
    expect(error).toMatchObject({ code: 'CANCELED' });
  });

  it('refuses stdio specs at the web-standard root', async () => {
    await expect(connectUpstream({ command: 'node' })).rejects.toMatchObject({
      code: 'INVALID_CONFIG',
      message: expect.stringContaining('@fedmcp/transports/node'),
    });
  });

  it('lets callers drive connect themselves with createUpstreamTransport', async () => {
    await using server = await startV2HttpServer();
    const client = await createUpstreamClient();
    await client.connect(createUpstreamTransport({ url: server.url }));
    expect(textOf(await client.callTool({ name: 'echo', arguments: { text: 'raw' } }))).toBe('raw');
    await client.close();
  });
});
