/**
 * Pagination end to end: an upstream that pages its own lists (10 a page) behind a hub with a
 * small page size (`pageSize: 7`): every list is walked with the hub's cursors, over more than
 * three pages, and every item is seen exactly once.
 */
import type { Client } from '@modelcontextprotocol/client';
import { ResultSchema } from '@modelcontextprotocol/core';
import { Server } from '@modelcontextprotocol/server';
import { describe, expect, it } from 'vitest';
import { connectLegacyClient, memoryConnector } from '../test/helpers.js';
import { createHub } from './create-hub.js';

const COUNT = 25;
const UPSTREAM_PAGE = 10;
const names = Array.from({ length: COUNT }, (_, index) => `item-${String(index).padStart(2, '0')}`);

/** An upstream serving COUNT tools, prompts and resources in pages of its own. */
function pagingUpstream(): Server {
  const server = new Server(
    { name: 'paging', version: '1.0.0' },
    { capabilities: { tools: {}, prompts: {}, resources: {} } },
  );
  const page = <T>(items: T[], cursor: string | undefined) => {
    const start = cursor === undefined ? 0 : Number(cursor);
    const end = start + UPSTREAM_PAGE;
    return { items: items.slice(start, end), next: end < items.length ? String(end) : undefined };
  };
  const withCursor = (next: string | undefined) => (next ? { nextCursor: next } : {});
  server.setRequestHandler('tools/list', (request) => {
    const { items, next } = page(names, request.params?.cursor);
    return {
      tools: items.map((name) => ({ name, inputSchema: { type: 'object' as const } })),
      ...withCursor(next),
    };
  });
  server.setRequestHandler('prompts/list', (request) => {
    const { items, next } = page(names, request.params?.cursor);
    return { prompts: items.map((name) => ({ name })), ...withCursor(next) };
  });
  server.setRequestHandler('resources/list', (request) => {
    const { items, next } = page(names, request.params?.cursor);
    return {
      resources: items.map((name) => ({ name, uri: `test://paging/${name}` })),
      ...withCursor(next),
    };
  });
  return server;
}

/** One raw list request (the SDK client's `listTools()` & co. follow cursors themselves). */
async function listPage(
  client: Client,
  method: 'tools/list' | 'prompts/list' | 'resources/list',
  field: 'tools' | 'prompts' | 'resources',
  key: 'name' | 'uri',
  cursor: string | undefined,
): Promise<{ keys: string[]; nextCursor?: string }> {
  const result = await client.request(
    { method, params: cursor ? { cursor } : {} } as never,
    ResultSchema,
  );
  const items = result[field] as Array<Record<string, string>>;
  const nextCursor = result.nextCursor as string | undefined;
  return { keys: items.map((item) => item[key] as string), ...(nextCursor ? { nextCursor } : {}) };
}

/** Walks one list through its cursors: the keys of every item, and the number of pages. */
async function walk(
  list: (cursor: string | undefined) => Promise<{ keys: string[]; nextCursor?: string }>,
): Promise<{ keys: string[]; pages: number }> {
  const keys: string[] = [];
  let cursor: string | undefined;
  let pages = 0;
  do {
    const page = await list(cursor);
    keys.push(...page.keys);
    cursor = page.nextCursor;
    pages += 1;
  } while (cursor !== undefined);
  return { keys, pages };
}

describe('pagination through the hub', () => {
  it('walks tools, prompts and resources of a paging upstream over more than 3 hub pages, each item once', async () => {
    await using hub = createHub({
      connect: memoryConnector({ paging: pagingUpstream }),
      upstreams: { paging: { url: 'memory://paging' } },
      healthIntervalMs: 0,
      pageSize: 7,
    });
    await hub.start();
    const client: Client = await connectLegacyClient(hub);
    try {
      const tools = await walk((cursor) => listPage(client, 'tools/list', 'tools', 'name', cursor));
      const prompts = await walk((cursor) =>
        listPage(client, 'prompts/list', 'prompts', 'name', cursor),
      );
      const resources = await walk((cursor) =>
        listPage(client, 'resources/list', 'resources', 'uri', cursor),
      );
      const expectedPages = Math.ceil(COUNT / 7);
      expect(expectedPages).toBeGreaterThan(3);
      expect(tools).toEqual({ keys: names.map((name) => `paging__${name}`), pages: expectedPages });
      expect(prompts).toEqual({
        keys: names.map((name) => `paging__${name}`),
        pages: expectedPages,
      });
      expect(resources).toEqual({
        keys: names.map((name) => `fedmcp://paging/test://paging/${name}`),
        pages: expectedPages,
      });
    } finally {
      await client.close();
    }
  });
});
