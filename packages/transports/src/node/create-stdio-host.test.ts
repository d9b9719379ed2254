import { PassThrough } from 'node:stream';
import { Server } from '@modelcontextprotocol/server';
import { describe, expect, it } from 'vitest';
import type { McpSessionContext } from '../mcp-session-context.js';
import { createStdioHost } from './create-stdio-host.js';

function lines(stream: PassThrough): () => Promise<Record<string, unknown>> {
  let buffer = '';
  const queue: Record<string, unknown>[] = [];
  const waiters: ((message: Record<string, unknown>) => void)[] = [];
  stream.on('data', (chunk: Buffer) => {
    buffer += chunk.toString('utf8');
    for (let newline = buffer.indexOf('\n'); newline >= 0; newline = buffer.indexOf('\n')) {
      const message = JSON.parse(buffer.slice(0, newline)) as Record<string, unknown>;
      buffer = buffer.slice(newline + 1);
      const waiter = waiters.shift();
      if (waiter) waiter(message);
      else queue.push(message);
    }
  });
  return () => {
    const queued = queue.shift();
    return queued ? Promise.resolve(queued) : new Promise((resolve) => waiters.push(resolve));
  };
}

describe('createStdioHost', () => {
  it('serves a 2025-era client on the given streams and resolves closed when stdin ends', async () => {
    const stdin = new PassThrough();
    const stdout = new PassThrough();
    const next = lines(stdout);
    const contexts: McpSessionContext[] = [];
    const host = createStdioHost({
      stdin,
      stdout,
      createServer: (context) => {
        contexts.push(context);
        return new Server({ name: 'stdio-host-test', version: '1.0.0' }, { capabilities: {} });
      },
    });
    stdin.write(
      `${JSON.stringify({
        jsonrpc: '2.0',
        id: 1,
        method: 'initialize',
        params: {
          protocolVersion: '2025-06-18',
          capabilities: {},
          clientInfo: { name: 't', version: '1' },
        },
      })}\n`,
    );
    expect(await next()).toMatchObject({
      id: 1,
      result: { serverInfo: { name: 'stdio-host-test' } },
    });
    expect(contexts).toEqual([{ transport: 'stdio', era: 'legacy' }]);
    stdin.end();
    await host.closed;
    await host.close();
  });

  it('answers a line over maxMessageBytes or nested too deep with a JSON-RPC error, reports it, and keeps serving', async () => {
    const stdin = new PassThrough();
    const stdout = new PassThrough();
    const next = lines(stdout);
    const errors: Error[] = [];
    const host = createStdioHost({
      stdin,
      stdout,
      maxMessageBytes: 1024,
      onError: (error) => errors.push(error),
      createServer: () =>
        new Server({ name: 'stdio-host-test', version: '1.0.0' }, { capabilities: {} }),
    });
    // Over the limit, in several chunks: dropped up to its newline, the connection stays open.
    stdin.write(`{"jsonrpc":"2.0","id":1,"method":"ping","params":{"pad":"${'x'.repeat(800)}`);
    stdin.write(`${'y'.repeat(800)}"}}\n`);
    expect(await next()).toMatchObject({ id: null, error: { code: -32600 } });
    const deep = (depth: number) => `${'['.repeat(depth)}${']'.repeat(depth)}`;
    stdin.write(`{"jsonrpc":"2.0","id":2,"method":"ping","params":{"a":${deep(300)}}}\n`);
    expect(await next()).toMatchObject({ id: 2, error: { code: -32602 } });
    stdin.write(`{"jsonrpc":"2.0","id":${deep(300)},"method":"ping"}\n`);
    expect(await next()).toMatchObject({ id: null, error: { code: -32600 } });
    stdin.write(
      `${JSON.stringify({
        jsonrpc: '2.0',
        id: 3,
        method: 'initialize',
        params: {
          protocolVersion: '2025-06-18',
          capabilities: {},
          clientInfo: { name: 't', version: '1' },
        },
      })}\n`,
    );
    expect(await next()).toMatchObject({
      id: 3,
      result: { serverInfo: { name: 'stdio-host-test' } },
    });
    expect(errors.map((error) => error.message)).toEqual([
      expect.stringContaining('exceeds the limit of 1024 bytes'),
      expect.stringContaining('nested deeper than 64 levels'),
      expect.stringContaining('nested deeper than 64 levels'),
    ]);
    stdin.end();
    await host.closed;
    await host.close();
  });
});
