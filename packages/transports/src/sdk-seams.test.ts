import { Client, type JSONRPCMessage, type RequestOptions } from '@modelcontextprotocol/client';
import { describe, expect, it } from 'vitest';
import { createTestMcpServer } from '../test/upstream/fixtures/v2-test-server.js';
import { createInMemoryTransportPair } from './in-memory-transport.js';
import {
  applyRequestDefaults,
  calledFromFailedHandshake,
  SDK_LEGACY_HANDSHAKE,
  SDK_REQUEST_FUNNEL,
} from './sdk-seams.js';

// These tests pin what the seams assume about @modelcontextprotocol/client 2.4.0. When one fails
// after an SDK upgrade, the seam it names must be revisited (see sdk-seams.ts).

type Funnel = (
  codec: unknown,
  request: { method: string },
  resultSchema: unknown,
  options: RequestOptions | undefined,
) => Promise<unknown>;

/** The private members the seams use, as the SDK declares them (private, so not in its types). */
function internals(client: Client): Record<string, Funnel | undefined> {
  return client as unknown as Record<string, Funnel | undefined>;
}

async function connectedToTestServer(client: Client) {
  const [clientTransport, serverTransport] = createInMemoryTransportPair();
  await createTestMcpServer().connect(serverTransport);
  await client.connect(clientTransport);
}

describe('seam: the SDK request funnel (applyRequestDefaults)', () => {
  it('still exists on the SDK Client with its four parameters', () => {
    const funnel = (Client.prototype as unknown as Record<string, unknown>)[SDK_REQUEST_FUNNEL];
    expect(typeof funnel).toBe('function');
    expect((funnel as Funnel).length).toBe(4);
  });

  it('still carries every request, the handshake included, with the call options last', async () => {
    const client = new Client({ name: 'seam-test', version: '1.0.0' });
    const seen: Array<{ method: string; options: RequestOptions | undefined }> = [];
    const funnel = internals(client)[SDK_REQUEST_FUNNEL] as Funnel;
    internals(client)[SDK_REQUEST_FUNNEL] = (codec, request, resultSchema, options) => {
      seen.push({ method: request.method, options });
      return funnel.call(client, codec, request, resultSchema, options);
    };
    await connectedToTestServer(client);
    await client.listTools();
    await client.callTool({ name: 'echo', arguments: { text: 'hi' } }, { timeout: 4321 });
    await client.request({ method: 'ping' });
    expect(seen.map((call) => call.method)).toEqual([
      'initialize',
      'tools/list',
      'tools/call',
      'ping',
    ]);
    expect(seen[2]?.options?.timeout).toBe(4321);
    await client.close();
  });

  it('applies the defaults to every request; a call’s own options win', async () => {
    const client = new Client({ name: 'seam-test', version: '1.0.0' });
    const seen: Array<RequestOptions | undefined> = [];
    const funnel = internals(client)[SDK_REQUEST_FUNNEL] as Funnel;
    internals(client)[SDK_REQUEST_FUNNEL] = (codec, request, resultSchema, options) => {
      seen.push(options);
      return funnel.call(client, codec, request, resultSchema, options);
    };
    applyRequestDefaults(client, { timeout: 1111, resetTimeoutOnProgress: true });
    await connectedToTestServer(client);
    await client.callTool({ name: 'echo', arguments: { text: 'hi' } }, { timeout: 2222 });
    expect(seen[0]).toMatchObject({ timeout: 1111, resetTimeoutOnProgress: true });
    expect(seen[1]).toMatchObject({ timeout: 2222, resetTimeoutOnProgress: true });
    await client.close();
  });

  it('refuses a client without the funnel (an SDK that renamed it)', () => {
    const client = new Client({ name: 'seam-test', version: '1.0.0' });
    internals(client)[SDK_REQUEST_FUNNEL] = undefined;
    expect(() => applyRequestDefaults(client, {})).toThrow(
      'UpstreamClient: unsupported @modelcontextprotocol/client version.',
    );
  });
});

describe('seam: the close of a failed handshake (calledFromFailedHandshake)', () => {
  /** A server side that refuses `initialize` (and does not know 2026-07-28 discovery). */
  function refusingServer() {
    const [clientTransport, serverTransport] = createInMemoryTransportPair();
    serverTransport.onmessage = (message: JSONRPCMessage) => {
      if (!('id' in message) || !('method' in message)) return;
      void serverTransport.send({
        jsonrpc: '2.0',
        id: message.id,
        error:
          message.method === 'initialize'
            ? { code: -32603, message: 'initialize refused' }
            : { code: -32601, message: 'Method not found' },
      });
    };
    return { clientTransport, serverTransport };
  }

  class RecordingClient extends Client {
    closes: boolean[] = [];
    override async close(): Promise<void> {
      this.closes.push(calledFromFailedHandshake());
      await super.close();
    }
  }

  it('the SDK Client still has the private handshake method', () => {
    const handshake = (Client.prototype as unknown as Record<string, unknown>)[
      SDK_LEGACY_HANDSHAKE
    ];
    expect(typeof handshake).toBe('function');
  });

  it('is true for the close the SDK makes when initialize fails, false for a caller’s', async () => {
    const { clientTransport, serverTransport } = refusingServer();
    await serverTransport.start();
    const client = new RecordingClient({ name: 'seam-test', version: '1.0.0' });
    await expect(client.connect(clientTransport)).rejects.toThrow(/initialize refused/);
    expect(client.closes).toEqual([true]);
    await client.close();
    expect(client.closes).toEqual([true, false]);
  });
});
