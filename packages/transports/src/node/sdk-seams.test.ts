import { createServer as createHttpServer, request as httpRequest } from 'node:http';
import { NodeStreamableHTTPServerTransport } from '@modelcontextprotocol/node';
import {
  type JSONRPCMessage,
  LATEST_PROTOCOL_VERSION,
  Server,
  type Transport,
  WebStandardStreamableHTTPServerTransport,
} from '@modelcontextprotocol/server';
import { serveStdio } from '@modelcontextprotocol/server/stdio';
import { describe, expect, it } from 'vitest';
import {
  afterEntryStart,
  chainOnClose,
  dropUnusedRequestListener,
  observeListensOn,
  webStandardTransportOf,
  writeStreamsAtOnce,
} from './sdk-seams.js';

// These tests pin what the Node seams assume about @modelcontextprotocol/server 2.4.0's
// `serveStdio` entry. When one fails after an SDK upgrade, revisit the seam (see sdk-seams.ts).

/** A transport that records what it is sent and what handlers it had when it was started. */
class RecordingTransport implements Transport {
  onmessage?: Transport['onmessage'];
  onclose?: Transport['onclose'];
  onerror?: Transport['onerror'];
  readonly sent: JSONRPCMessage[] = [];
  starts = 0;
  handlersAtStart: { onmessage: boolean; onclose: boolean } | undefined;

  async start(): Promise<void> {
    this.starts++;
    this.handlersAtStart = {
      onmessage: typeof this.onmessage === 'function',
      onclose: typeof this.onclose === 'function',
    };
  }

  async send(message: JSONRPCMessage): Promise<void> {
    this.sent.push(message);
  }

  async close(): Promise<void> {
    this.onclose?.();
  }
}

function createServer() {
  return new Server({ name: 'seam-test', version: '1.0.0' }, { capabilities: { tools: {} } });
}

const initialize: JSONRPCMessage = {
  jsonrpc: '2.0',
  id: 1,
  method: 'initialize',
  params: {
    protocolVersion: LATEST_PROTOCOL_VERSION,
    capabilities: {},
    clientInfo: { name: 'seam-test-client', version: '1.0.0' },
  },
};

/** Waits (one macrotask at least, so a started transport's hooks are in place) for `condition`. */
async function until(condition: () => boolean): Promise<void> {
  let attempt = 0;
  do {
    await new Promise((resolve) => setTimeout(resolve, 5));
  } while (!condition() && ++attempt < 200);
}

describe('seam: hooks on a serveStdio transport (afterEntryStart)', () => {
  it('serveStdio still installs onmessage and onclose, then starts the transport once', async () => {
    const transport = new RecordingTransport();
    let installed: { onmessage: boolean; onclose: boolean } | undefined;
    afterEntryStart(transport, () => {
      installed = {
        onmessage: typeof transport.onmessage === 'function',
        onclose: typeof transport.onclose === 'function',
      };
    });
    const handle = serveStdio(createServer, { transport, legacy: 'serve' });
    await until(() => installed !== undefined);
    expect(transport.starts).toBe(1);
    expect(transport.handlersAtStart).toEqual({ onmessage: true, onclose: true });
    expect(installed).toEqual({ onmessage: true, onclose: true });
    await handle.close();
  });

  it('a message passed on by a wrapped onmessage still reaches the served server', async () => {
    const transport = new RecordingTransport();
    const seen: string[] = [];
    observeListensOn(
      transport,
      () => {},
      { transport: 'stdio' },
      (error) => {
        throw error;
      },
    );
    afterEntryStart(transport, () => {
      const deliver = transport.onmessage;
      transport.onmessage = (message, extra) => {
        seen.push((message as { method?: string }).method ?? '');
        deliver?.(message, extra);
      };
    });
    const handle = serveStdio(createServer, { transport, legacy: 'serve' });
    await until(() => transport.starts === 1);
    transport.onmessage?.(initialize);
    await until(() => transport.sent.length > 0);
    expect(seen).toEqual(['initialize']);
    expect(transport.sent[0]).toMatchObject({ jsonrpc: '2.0', id: 1, result: {} });
    await handle.close();
  });

  it('chainOnClose runs after the entry’s own onclose', async () => {
    const transport = new RecordingTransport();
    let closed = 0;
    chainOnClose(transport, () => closed++);
    const handle = serveStdio(createServer, { transport, legacy: 'serve' });
    await until(() => transport.starts === 1);
    await transport.close();
    expect(closed).toBe(1);
    await handle.close();
  });
});

describe('seam: webStandardTransportOf', () => {
  it('finds the web-standard transport inside the Node Streamable HTTP transport', () => {
    const transport = new NodeStreamableHTTPServerTransport({ sessionIdGenerator: () => 'id' });
    expect(webStandardTransportOf(transport)).toBeInstanceOf(
      WebStandardStreamableHTTPServerTransport,
    );
  });
});

/** POSTs an initialize to a Node Streamable HTTP transport; the answer's headers and body. */
async function initializeThrough(transport: NodeStreamableHTTPServerTransport) {
  const server = new Server({ name: 'seam', version: '1.0.0' }, { capabilities: {} });
  await server.connect(transport);
  const http = createHttpServer(
    (request, response) => void transport.handleRequest(request, response),
  );
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  const { port } = http.address() as { port: number };
  try {
    return await new Promise<{ headers: Record<string, unknown>; body: string }>(
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
            },
          },
          (response) => {
            let body = '';
            response.setEncoding('utf8');
            response.on('data', (chunk: string) => {
              body += chunk;
            });
            response.on('end', () => resolve({ headers: response.headers, body }));
          },
        );
        request.on('error', reject);
        request.end(
          JSON.stringify({
            jsonrpc: '2.0',
            id: 1,
            method: 'initialize',
            params: {
              protocolVersion: LATEST_PROTOCOL_VERSION,
              capabilities: {},
              clientInfo: { name: 'seam-test', version: '1.0.0' },
            },
          }),
        );
      },
    );
  } finally {
    await server.close();
    http.closeAllConnections();
    await new Promise((resolve) => http.close(resolve));
  }
}

describe('seam: writeStreamsAtOnce', () => {
  it('marks SSE answers chunked (the Node transport writes them without probing for their end)', async () => {
    // Without the seam, @hono/node-server probes a body that is not chunked for its end (a
    // setTimeout) to send a length; the seam's header is what lets it write at once.
    const transport = new NodeStreamableHTTPServerTransport({ sessionIdGenerator: () => 'seam' });
    writeStreamsAtOnce(transport);
    const marked = await initializeThrough(transport);
    expect(marked.headers['content-type']).toMatch(/^text\/event-stream/);
    expect(marked.headers['transfer-encoding']).toBe('chunked');
    expect(marked.headers['content-length']).toBeUndefined();
    expect(marked.body).toContain('"protocolVersion"');
  });
});

describe('seam: dropUnusedRequestListener', () => {
  it('drops the Node transport’s unused request listener and WeakMap; the transport still serves', async () => {
    const transport = new NodeStreamableHTTPServerTransport({ sessionIdGenerator: () => 'seam' });
    const fields = transport as unknown as {
      _requestListener?: unknown;
      _requestContext?: unknown;
    };
    // The SDK version this seam was written for builds both per instance.
    expect(typeof fields._requestListener).toBe('function');
    expect(fields._requestContext).toBeInstanceOf(WeakMap);
    dropUnusedRequestListener(transport);
    writeStreamsAtOnce(transport);
    expect(fields._requestListener).toBeUndefined();
    const answer = await initializeThrough(transport);
    expect(answer.body).toContain('"protocolVersion"');
  });
});
