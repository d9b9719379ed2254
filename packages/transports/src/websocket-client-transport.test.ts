import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { FedmcpError } from '@fedmcp/protocol';
import { Client } from '@modelcontextprotocol/client';
import { describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { startWebSocketTestServer } from '../test/upstream/fixtures/ws-test-server.js';
import {
  createWebSocketClientTransport,
  type WebSocketConstructor,
} from './websocket-client-transport.js';

const NodeWebSocket = WebSocket as unknown as WebSocketConstructor;
const textOf = (result: unknown) =>
  ((result as { content: Array<{ text: string }> }).content[0] ?? { text: '' }).text;

describe('createWebSocketClientTransport', () => {
  it('carries MCP over subprotocol mcp with one message per text frame, headers included', async () => {
    await using server = await startWebSocketTestServer();
    const transport = createWebSocketClientTransport({
      url: server.url,
      WebSocket: NodeWebSocket,
      headers: { authorization: 'Bearer token-1' },
    });
    const client = new Client({ name: 'test', version: '1.0.0' });
    await client.connect(transport);
    expect(transport.protocol).toBe('mcp');
    expect(server.handshakes[0]?.headers.authorization).toBe('Bearer token-1');
    expect(server.handshakes[0]?.headers['sec-websocket-protocol']).toBe('mcp');
    const { tools } = await client.listTools();
    expect(tools.map((tool) => tool.name)).toContain('echo');
    const progress: number[] = [];
    const result = await client.callTool(
      { name: 'slow_with_progress', arguments: { steps: 3, stepMs: 5 } },
      { onprogress: ({ progress: value }) => progress.push(value) },
    );
    expect(textOf(result)).toBe('done');
    // The last notification may race the response (the SDK drops progress after the result).
    expect(progress.slice(0, 2)).toEqual([1, 2]);
    await client.close();
  });

  it('reports a garbage or binary frame through onerror and keeps the connection', async () => {
    await using server = await startWebSocketTestServer();
    const transport = createWebSocketClientTransport({ url: server.url, WebSocket: NodeWebSocket });
    const client = new Client({ name: 'test', version: '1.0.0' });
    const errors: Error[] = [];
    await client.connect(transport);
    client.onerror = (error) => errors.push(error);
    const [socket] = server.sockets;
    socket?.send('this is not json');
    socket?.send(JSON.stringify({ hello: 'world' }));
    socket?.send(Buffer.from('{}'), { binary: true });
    const result = await client.callTool({ name: 'echo', arguments: { text: 'still up' } });
    expect(textOf(result)).toBe('still up');
    expect(errors.map((error) => error.message)).toEqual([
      expect.stringContaining('not a JSON-RPC message'),
      expect.stringContaining('not a JSON-RPC message'),
      expect.stringContaining('binary WebSocket frame'),
    ]);
    await client.close();
  });

  it('fails in-flight calls when the server goes away, and reports onclose once', async () => {
    const server = await startWebSocketTestServer();
    const transport = createWebSocketClientTransport({ url: server.url, WebSocket: NodeWebSocket });
    const client = new Client({ name: 'test', version: '1.0.0' });
    let closes = 0;
    await client.connect(transport);
    client.onclose = () => closes++;
    const pending = client.callTool({ name: 'silent_sleep', arguments: { ms: 10_000 } });
    await server.close();
    await expect(pending).rejects.toThrow(/closed/i);
    await client.close();
    expect(closes).toBe(1);
  });

  it('rejects start() with UPSTREAM_UNAVAILABLE when nothing listens', async () => {
    const probe = createServer();
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
    const { port } = probe.address() as AddressInfo;
    await new Promise<void>((resolve) => probe.close(() => resolve()));
    const transport = createWebSocketClientTransport({
      url: `ws://127.0.0.1:${port}/`,
      WebSocket: NodeWebSocket,
    });
    const error = await transport.start().catch((failure: unknown) => failure);
    expect(FedmcpError.isInstance(error)).toBe(true);
    expect(error).toMatchObject({ code: 'UPSTREAM_UNAVAILABLE' });
    expect((error as Error).message).toContain(`ws://127.0.0.1:${port}/`);
  });

  it('refuses a server that does not speak subprotocol mcp', async () => {
    const { WebSocketServer } = await import('ws');
    const server = new WebSocketServer({
      host: '127.0.0.1',
      port: 0,
      handleProtocols: () => false,
    });
    await new Promise<void>((resolve) => server.once('listening', () => resolve()));
    const { port } = server.address() as AddressInfo;
    try {
      const transport = createWebSocketClientTransport({
        url: `ws://127.0.0.1:${port}/`,
        WebSocket: NodeWebSocket,
      });
      await expect(transport.start()).rejects.toMatchObject({
        code: 'UPSTREAM_UNAVAILABLE',
        message: expect.stringContaining('subprotocol "mcp"'),
      });
    } finally {
      for (const client of server.clients) client.terminate();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });

  it('says what to do when the runtime has no WebSocket', async () => {
    const original = (globalThis as { WebSocket?: unknown }).WebSocket;
    (globalThis as { WebSocket?: unknown }).WebSocket = undefined;
    try {
      const transport = createWebSocketClientTransport({ url: 'ws://127.0.0.1:1/' });
      await expect(transport.start()).rejects.toThrow(/no global WebSocket/);
    } finally {
      (globalThis as { WebSocket?: unknown }).WebSocket = original;
    }
  });
});
