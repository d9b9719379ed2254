/**
 * Upstream JSON-RPC errors reach the client as the upstream sent them: an SDK v1 `McpServer`
 * writes `MCP error -32602: …` into the wire message itself (its `McpError` prefixes the code), so
 * the hub must not take that prefix away; the SDK v2 client the hub talks upstream with adds none.
 */
import { Client } from '@modelcontextprotocol/client';
import { InMemoryTransport as V1InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { connectLegacyClient } from '../test/helpers.js';
import { createHub } from './create-hub.js';
import type { UpstreamConnector } from './upstream-options.js';

type WireError = { code: number; message: string };

/** A v1 `McpServer` with a prompt taking one string argument. */
function v1Server(): McpServer {
  const server = new McpServer({ name: 'v1-upstream', version: '1.0.0' });
  server.registerPrompt('greet', { argsSchema: { name: z.string().min(3) } }, ({ name }) => ({
    messages: [{ role: 'user', content: { type: 'text', text: `hi ${name}` } }],
  }));
  return server;
}

/** A v2 client on a v1 server over v1's in-memory pair, recording the errors the server sends. */
async function connectV1(
  options: { clientInfo: { name: string; version: string }; capabilities: object },
  configure: (client: Client) => void,
  errors: WireError[],
): Promise<Client> {
  const [clientSide, serverSide] = V1InMemoryTransport.createLinkedPair();
  const send = serverSide.send.bind(serverSide);
  serverSide.send = (message, sendOptions) => {
    if ('error' in message) errors.push(message.error as WireError);
    return send(message, sendOptions);
  };
  await v1Server().connect(serverSide);
  const client = new Client(options.clientInfo, { capabilities: options.capabilities });
  configure(client);
  await client.connect(clientSide as never);
  return client;
}

const badArguments = { name: 'greet', arguments: { name: 'x' } };

describe('upstream error messages', () => {
  it('the SDK v2 client adds no "MCP error <code>:" prefix to an upstream error message', async () => {
    const wire: WireError[] = [];
    const client = await connectV1(
      { clientInfo: { name: 'direct', version: '1.0.0' }, capabilities: {} },
      () => {},
      wire,
    );
    try {
      const error = (await client.getPrompt(badArguments).catch((caught) => caught)) as WireError;
      expect(wire).toHaveLength(1);
      expect(wire[0]?.message).toMatch(/^MCP error -32602: Invalid arguments for prompt greet/);
      expect(error.code).toBe(-32602);
      expect(error.message).toBe(wire[0]?.message);
    } finally {
      await client.close();
    }
  });

  it('reach the client unchanged through the hub (an SDK v1 upstream’s own prefix kept)', async () => {
    const wire: WireError[] = [];
    const connect: UpstreamConnector = (_spec, options) =>
      connectV1(options, options.configure, wire);
    await using hub = createHub({
      upstreams: { v1: { url: 'memory://v1' } },
      connect,
      healthIntervalMs: 0,
    });
    await hub.start();
    const client = await connectLegacyClient(hub);
    try {
      const error = (await client
        .getPrompt({ ...badArguments, name: 'v1__greet' })
        .catch((caught) => caught)) as WireError;
      expect(wire).toHaveLength(1);
      expect(error.code).toBe(wire[0]?.code);
      expect(error.message).toBe(wire[0]?.message);
    } finally {
      await client.close();
    }
  });
});
