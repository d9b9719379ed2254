import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { createNodePeerFetch, isWholeAnswer, WHOLE_ANSWER } from './node-peer-fetch.js';

const servers: Server[] = [];
afterEach(async () => {
  for (const server of servers.splice(0)) {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
});

async function serve(handler: (request: IncomingMessage, response: ServerResponse) => void) {
  const server = createServer(handler);
  servers.push(server);
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return new URL(`http://127.0.0.1:${(server.address() as AddressInfo).port}/mcp`);
}

async function readBody(request: IncomingMessage): Promise<string> {
  let body = '';
  for await (const chunk of request) body += chunk;
  return body;
}

const peerFetch = createNodePeerFetch() as typeof fetch;

describe('createNodePeerFetch', () => {
  it('answers a whole answer as bytes when asked (WHOLE_ANSWER), and a streamed one as a Response still', async () => {
    const url = await serve(async (request, response) => {
      const body = await readBody(request);
      if (body.includes('stream')) {
        response.writeHead(200, { 'content-type': 'text/event-stream' });
        response.end('data: {"jsonrpc":"2.0","id":2,"result":{}}\n\n');
        return;
      }
      response.writeHead(400, [
        ['Content-Type', 'application/json'],
        ['content-type', 'charset=utf-8'],
      ]);
      response.end('{"jsonrpc":"2.0","id":1,"error":{"code":-32602,"message":"é"}}');
    });
    const init = { method: 'POST', redirect: 'error', [WHOLE_ANSWER]: true } as RequestInit;
    const whole = await peerFetch(url, { ...init, body: '{"method":"x"}' });
    expect(isWholeAnswer(whole)).toBe(true);
    expect(whole).toMatchObject({
      status: 400,
      statusText: 'Bad Request',
      contentType: 'application/json, charset=utf-8',
    });
    expect(new TextDecoder().decode((whole as unknown as { body: Uint8Array }).body)).toBe(
      '{"jsonrpc":"2.0","id":1,"error":{"code":-32602,"message":"é"}}',
    );
    const streamed = await peerFetch(url, { ...init, body: '{"method":"stream"}' });
    expect(isWholeAnswer(streamed)).toBe(false);
    expect(streamed).toBeInstanceOf(Response);
    expect(await streamed.text()).toContain('"id":2');
    // Without the key: a Response, as before.
    const plain = await peerFetch(url, { method: 'POST', redirect: 'error', body: '{}' });
    expect(isWholeAnswer(plain)).toBe(false);
    expect(plain.headers.get('content-type')).toBe('application/json, charset=utf-8');
  });

  it('POSTs a JSON-RPC request with its headers and answers with the JSON response', async () => {
    const seen: Array<{
      headers: IncomingMessage['headers'];
      body: string;
      method?: string;
      url?: string;
    }> = [];
    const url = await serve(async (request, response) => {
      seen.push({
        headers: request.headers,
        body: await readBody(request),
        method: request.method,
        url: request.url,
      });
      response.writeHead(200, { 'content-type': 'application/json', 'mcp-session-id': 's1' });
      response.end('{"jsonrpc":"2.0","id":1,"result":{"ok":"é"}}');
    });
    let connections = 0;
    servers.at(-1)?.on('connection', () => {
      connections += 1;
    });
    url.search = '?tenant=a';
    const headers = new Headers({ authorization: 'Bearer t', 'content-type': 'application/json' });
    const body = '{"jsonrpc":"2.0","id":1,"method":"ping","params":{"text":"é"}}';
    for (let round = 0; round < 2; round += 1) {
      const response = await peerFetch(url, { method: 'POST', headers, body, redirect: 'error' });
      expect(response.status).toBe(200);
      expect(response.headers.get('mcp-session-id')).toBe('s1');
      expect(await response.json()).toEqual({ jsonrpc: '2.0', id: 1, result: { ok: 'é' } });
    }
    expect(seen).toHaveLength(2);
    // Both over one kept-alive connection (the agent's pool).
    expect(connections).toBe(1);
    expect(seen[0]?.method).toBe('POST');
    expect(seen[0]?.url).toBe('/mcp?tenant=a');
    expect(seen[0]?.body).toBe(body);
    expect(seen[0]?.headers.authorization).toBe('Bearer t');
    expect(seen[0]?.headers['content-length']).toBe(String(new TextEncoder().encode(body).length));
  });

  it('reads a whole answer once, by any body method, its stream, or a clone', async () => {
    const url = await serve((_request, response) => {
      response.writeHead(200, { 'content-type': 'application/json' });
      response.end('\uFEFF{"a":1}');
    });
    const get = () => peerFetch(url, { redirect: 'error' });
    const json = await get();
    expect(json.bodyUsed).toBe(false);
    expect(await json.json()).toEqual({ a: 1 });
    expect(json.bodyUsed).toBe(true);
    await expect(json.text()).rejects.toThrow(TypeError);
    expect(() => json.clone()).toThrow(TypeError);
    const cloned = await get();
    const copy = cloned.clone();
    expect(await cloned.text()).toBe('{"a":1}');
    expect(new TextDecoder().decode(await copy.arrayBuffer())).toBe('{"a":1}');
    const streamed = await get();
    const other = streamed.clone();
    expect(await new Response(streamed.body).json()).toEqual({ a: 1 });
    expect(streamed.bodyUsed).toBe(true);
    expect((await other.blob()).type).toBe('application/json');
    const viaStream = await get();
    expect(viaStream.body).not.toBeNull();
    expect(await viaStream.json()).toEqual({ a: 1 });
  });

  it('streams an SSE answer as it comes, and ends it with the response', async () => {
    let finish: (() => void) | undefined;
    const url = await serve((_request, response) => {
      response.writeHead(200, { 'content-type': 'text/event-stream' });
      response.write('data: one\n\n');
      finish = () => response.end('data: two\n\n');
    });
    const response = await peerFetch(url, { method: 'GET', redirect: 'error' });
    const reader = (response.body as ReadableStream<Uint8Array>).getReader();
    const decoder = new TextDecoder();
    const first = await reader.read();
    expect(decoder.decode(first.value)).toBe('data: one\n\n');
    finish?.();
    let rest = '';
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      rest += decoder.decode(value);
    }
    expect(rest).toBe('data: two\n\n');
  });

  it('rejects with the abort reason while waiting, and errors a stream aborted midway', async () => {
    const url = await serve((request, response) => {
      if (request.method === 'GET') {
        response.writeHead(200, { 'content-type': 'text/event-stream' });
        response.write('data: one\n\n');
      }
      // A POST is never answered.
    });
    const waiting = new AbortController();
    const pending = peerFetch(url, {
      method: 'POST',
      body: '{}',
      redirect: 'error',
      signal: waiting.signal,
    });
    waiting.abort(new Error('caller went away'));
    await expect(pending).rejects.toThrow('caller went away');

    const streaming = new AbortController();
    const response = await peerFetch(url, { redirect: 'error', signal: streaming.signal });
    const reader = (response.body as ReadableStream<Uint8Array>).getReader();
    await reader.read();
    streaming.abort(new Error('closed'));
    await expect(reader.read()).rejects.toThrow('closed');
    const aborted = new AbortController();
    aborted.abort(new Error('already'));
    await expect(peerFetch(url, { redirect: 'error', signal: aborted.signal })).rejects.toThrow(
      'already',
    );
  });

  it('refuses a redirect with redirect: error, passes it with manual, and answers 204 empty', async () => {
    const url = await serve((request, response) => {
      if (request.method === 'DELETE') response.writeHead(204).end();
      else response.writeHead(307, { location: 'http://127.0.0.1:1/elsewhere' }).end();
    });
    const refused = await peerFetch(url, { redirect: 'error' }).catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(TypeError);
    expect(((refused as TypeError).cause as Error).message).toMatch(/redirect/);
    const manual = await peerFetch(url, { redirect: 'manual' });
    expect(manual.status).toBe(307);
    expect(manual.headers.get('location')).toBe('http://127.0.0.1:1/elsewhere');
    const empty = await peerFetch(url, { method: 'DELETE', redirect: 'error' });
    expect(empty.status).toBe(204);
    expect(empty.body).toBeNull();
  });

  it('fails as fetch does when the peer cannot be reached', async () => {
    const url = await serve(() => {});
    const server = servers.pop() as Server;
    await new Promise((resolve) => server.close(resolve));
    const failed = await peerFetch(url, { redirect: 'error' }).catch((error: unknown) => error);
    expect(failed).toBeInstanceOf(TypeError);
    expect((failed as TypeError).message).toBe('fetch failed');
    expect(((failed as TypeError).cause as { code?: string }).code).toBe('ECONNREFUSED');
  });

  it('leaves https, followed redirects and Request objects to the fallback fetch', async () => {
    const passed: unknown[] = [];
    const fallback: typeof fetch = async (input) => {
      passed.push(input instanceof Request ? 'request' : String(input));
      return new Response('fallback');
    };
    const withFallback = createNodePeerFetch(fallback) as typeof fetch;
    await withFallback('https://peer.example/mcp', { redirect: 'error' });
    await withFallback('http://127.0.0.1:1/mcp', {});
    await withFallback(new Request('http://127.0.0.1:1/mcp'), { redirect: 'error' });
    expect(passed).toEqual(['https://peer.example/mcp', 'http://127.0.0.1:1/mcp', 'request']);
  });
});
