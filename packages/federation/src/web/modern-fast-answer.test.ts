/**
 * The web-standard hub's 2026-07-28 fast path: a plain tools/call through `createHubHandler` is
 * answered without building a server for the request, with the bytes the SDK path sends; a call
 * with progress still takes the SDK path; a tools/list is answered from the cached page, as the
 * SDK path's bytes. Requests go to the handler through an injected fetch.
 */
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { describe, expect, it } from 'vitest';
import { createTestUpstream } from '../../test/fixtures/test-upstream.js';
import { memoryConnector, textOf } from '../../test/helpers.js';
import { createHub } from '../create-hub.js';
import type { HubSessionContext } from '../hub-session.js';
import { createHubHandler } from './create-hub-handler.js';

async function startHandler(fastPath: boolean) {
  const hub = createHub({
    connect: memoryConnector({ up: () => createTestUpstream({ name: 'up' }).server }),
    upstreams: { up: { url: 'memory://up' } },
    healthIntervalMs: 0,
    fastPath,
  });
  await hub.start();
  const built: HubSessionContext[] = [];
  const createServer = hub.createServer.bind(hub);
  Object.assign(hub, {
    createServer: (context?: HubSessionContext) => {
      if (context?.era === 'modern') built.push(context);
      return createServer(context);
    },
  });
  const handler = await createHubHandler(hub, { hubId: 'edge' });
  const bodies: string[] = [];
  const lists: string[] = [];
  const client = new Client(
    { name: 'user', version: '1.0.0' },
    { versionNegotiation: { mode: { pin: '2026-07-28' } } },
  );
  await client.connect(
    new StreamableHTTPClientTransport(new URL('http://edge.test/mcp'), {
      fetch: async (input, init) => {
        const response = await handler(new Request(input, init));
        const sent = typeof init?.body === 'string' ? init.body : '';
        const type = response.headers.get('content-type') ?? '';
        const method = /"method":"(tools\/call|tools\/list)"/.exec(sent)?.[1];
        if (!method || !type.startsWith('application/json')) return response;
        const text = await response.text();
        (method === 'tools/call' ? bodies : lists).push(text.replace(/"id":\d+/, '"id":0'));
        return new Response(text, { status: response.status, headers: response.headers });
      },
    }),
  );
  built.length = 0; // the server of the client's server/discover
  return {
    client,
    built,
    bodies,
    lists,
    async [Symbol.asyncDispose]() {
      await client.close();
      await handler.close();
    },
  };
}

describe('the web-standard hub on the 2026-07-28 fast path', () => {
  it('answers a plain tools/call with the SDK path bytes, without a server per request', async () => {
    await using fast = await startHandler(true);
    await using sdk = await startHandler(false);
    for (const { client } of [fast, sdk]) {
      expect(textOf(await client.callTool({ name: 'up__echo', arguments: { text: 'e' } }))).toBe(
        'up:e',
      );
      await expect(client.callTool({ name: 'up__fail', arguments: {} })).rejects.toMatchObject({
        code: -32050,
      });
    }
    expect(fast.built).toEqual([]);
    expect(sdk.built.length).toBe(2);
    expect(fast.bodies[0]).toBe(sdk.bodies[0]);

    const progress: number[] = [];
    await fast.client.callTool(
      { name: 'up__progress', arguments: { steps: 2 } },
      { onprogress: (update) => void progress.push(update.progress) },
    );
    expect(progress).toEqual([1, 2]);
    expect(fast.built).toHaveLength(1);
  });

  it('answers a tools/list with the SDK path bytes, without a server per request', async () => {
    await using fast = await startHandler(true);
    await using sdk = await startHandler(false);
    for (const { client } of [fast, sdk]) {
      for (let round = 0; round < 2; round += 1) {
        const { tools } = await client.listTools(undefined, { cacheMode: 'bypass' });
        expect(tools.map((tool) => tool.name)).toContain('up__echo');
      }
      await expect(client.listTools({ cursor: 'nope' })).rejects.toMatchObject({ code: -32602 });
    }
    expect(fast.built).toEqual([]);
    expect(sdk.built.length).toBeGreaterThan(0);
    expect(fast.lists).toHaveLength(3);
    expect(fast.lists).toEqual(sdk.lists);
  });
});
