import { HOP_TRAIL_META_KEY, ON_BEHALF_OF_META_KEY } from '@fedmcp/protocol';
import type { Tool } from '@modelcontextprotocol/server';
import { describe, expect, it } from 'vitest';
import type { CatalogRoute } from '../catalog.js';
import type { SessionScope } from './session-scope.js';
import { prepareToolCall } from './tool-handlers.js';

// The parts of a session scope and a catalog route prepareToolCall reads (no view: no catalog views).
const scope = {
  services: {},
  session: { view: undefined },
  federation: {
    hubId: 'hub-a',
    maxHops: 8,
    principal: { subject: 'alice', authMethod: 'api-key' },
  },
} as unknown as SessionScope;
const route = {
  upstream: { id: 'github' },
  name: 'search',
  item: {
    name: 'search',
    title: 'Search',
    description: 'Searches',
    inputSchema: { type: 'object' },
  },
} as unknown as CatalogRoute<Tool>;

describe('prepareToolCall', () => {
  it('sends the upstream its own tool name and the hub _meta, and describes the call to the gate', () => {
    const { params, access } = prepareToolCall(
      scope,
      {
        name: 'github__search',
        arguments: { q: 'x' },
        task: { ttl: 1000 },
        _meta: { progressToken: 7, custom: 1, [HOP_TRAIL_META_KEY]: ['forged'] },
      },
      route,
    );
    // Same keys in the same order as the client sent them, the name replaced, `_meta` last.
    expect(Object.keys(params)).toEqual(['arguments', 'task', 'name', '_meta']);
    expect(params).toMatchObject({ arguments: { q: 'x' }, task: { ttl: 1000 }, name: 'search' });
    const meta = params._meta as Record<string, unknown>;
    expect(meta.custom).toBe(1);
    expect(meta.progressToken).toBeUndefined();
    expect(meta[HOP_TRAIL_META_KEY]).toEqual(['hub-a']);
    expect(meta[ON_BEHALF_OF_META_KEY]).toEqual({ subject: 'alice' });
    expect(access).toEqual({
      action: 'tools/call',
      target: 'github__search',
      upstream: 'github',
      upstreamTarget: 'search',
      arguments: { q: 'x' },
      title: 'Search',
      description: 'Searches',
      meta,
      droppedClaims: [HOP_TRAIL_META_KEY],
    });
  });

  it('adds only what a call has', () => {
    const { params, access } = prepareToolCall(
      { ...scope, federation: { ...scope.federation, hubId: undefined } },
      { name: 'github__search' },
      { ...route, item: { name: 'search', inputSchema: { type: 'object' } } } as typeof route,
    );
    expect(params).toEqual({ name: 'search' });
    expect(access).toEqual({
      action: 'tools/call',
      target: 'github__search',
      upstream: 'github',
      upstreamTarget: 'search',
    });
  });
});
