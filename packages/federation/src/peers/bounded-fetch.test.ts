import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { createBoundedFetch } from './bounded-fetch.js';

/** A real HTTP server on 127.0.0.1 that answers each request only when the test says so. */
async function heldServer() {
  const held: Array<{ path: string; response: ServerResponse }> = [];
  const waiters: Array<() => void> = [];
  const server = createServer((request, response) => {
    held.push({ path: request.url ?? '', response });
    for (const waiter of waiters.splice(0)) waiter();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    held,
    /** Resolves once `count` requests have arrived in all. */
    async arrived(count: number) {
      while (held.length < count) await new Promise<void>((resolve) => waiters.push(resolve));
    },
    async [Symbol.asyncDispose]() {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

describe('createBoundedFetch', () => {
  it('sends at most maxConcurrentRequests at once; the others go in order as answers come', async () => {
    await using server = await heldServer();
    const bounded = createBoundedFetch({ maxConcurrentRequests: 2 });
    const responses = ['/1', '/2', '/3', '/4'].map((path) => bounded(`${server.url}${path}`));
    await server.arrived(2);
    expect(bounded.inFlight).toBe(2);
    expect(bounded.waiting).toBe(2);
    expect(server.held.map((entry) => entry.path)).toEqual(['/1', '/2']);
    server.held[0]?.response.end('one');
    expect(await (await responses[0]!).text()).toBe('one');
    await server.arrived(3);
    expect(server.held.map((entry) => entry.path)).toEqual(['/1', '/2', '/3']);
    for (const entry of server.held.slice(1)) entry.response.end('ok');
    await server.arrived(4);
    server.held[3]?.response.end('four');
    expect(await (await responses[3]!).text()).toBe('four');
    await Promise.all(responses.slice(1, 3).map(async (response) => (await response).text()));
    expect(bounded.inFlight).toBe(0);
    expect(bounded.waiting).toBe(0);
  });

  it('lets a waiting request leave the queue when its signal aborts, without taking a slot', async () => {
    await using server = await heldServer();
    const bounded = createBoundedFetch({ maxConcurrentRequests: 1 });
    const first = bounded(`${server.url}/first`);
    await server.arrived(1);
    const controller = new AbortController();
    const aborted = bounded(`${server.url}/aborted`, { signal: controller.signal });
    const third = bounded(`${server.url}/third`);
    expect(bounded.waiting).toBe(2);
    controller.abort(new Error('the call timed out'));
    await expect(aborted).rejects.toThrow('the call timed out');
    expect(bounded.waiting).toBe(1);
    server.held[0]?.response.end('first');
    await (await first).text();
    await server.arrived(2);
    expect(server.held.map((entry) => entry.path)).toEqual(['/first', '/third']);
    server.held[1]?.response.end('third');
    expect(await (await third).text()).toBe('third');
  });

  it('frees the slot at the response headers: a long stream does not hold back the next call', async () => {
    await using server = await heldServer();
    const bounded = createBoundedFetch({ maxConcurrentRequests: 1 });
    const stream = bounded(`${server.url}/stream`);
    await server.arrived(1);
    server.held[0]?.response.writeHead(200, { 'content-type': 'text/event-stream' });
    server.held[0]?.response.write('event: message\ndata: {}\n\n');
    const streaming = await stream;
    const call = bounded(`${server.url}/call`);
    await server.arrived(2);
    server.held[1]?.response.end('answered');
    expect(await (await call).text()).toBe('answered');
    await streaming.body?.cancel();
  });

  it('does not bound with 0', async () => {
    await using server = await heldServer();
    const bounded = createBoundedFetch({ maxConcurrentRequests: 0 });
    const responses = [1, 2, 3].map((index) => bounded(`${server.url}/${index}`));
    await server.arrived(3);
    for (const entry of server.held) entry.response.end('ok');
    await Promise.all(responses.map(async (response) => (await response).text()));
  });
});
