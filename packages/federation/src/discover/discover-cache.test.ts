import type { DiscoverResult } from '@modelcontextprotocol/client';
import { describe, expect, it } from 'vitest';
import { contextCacheKey, DiscoverCache } from './discover-cache.js';

function discover(cacheScope: 'public' | 'private', ttlMs: number): DiscoverResult {
  return {
    supportedVersions: ['2026-07-28'],
    capabilities: { tools: {} },
    serverInfo: { name: 'x', version: '1' },
    cacheScope,
    ttlMs,
  } as unknown as DiscoverResult;
}

const URL_KEY = 'remote:https://mcp.example/mcp';
const alice = contextCacheKey(URL_KEY, 'alice');
const bob = contextCacheKey(URL_KEY, 'bob');

describe('DiscoverCache', () => {
  it('keeps a private result for its own authorization context until its ttl ends', () => {
    let now = 0;
    const cache = new DiscoverCache({ now: () => now });
    const result = discover('private', 1_000);
    cache.set(alice, { transport: 'streamable-http', prior: { kind: 'modern', discover: result } });
    expect(cache.get(alice)).toEqual({
      transport: 'streamable-http',
      prior: { kind: 'modern', discover: result },
    });
    // Another caller, or the hub's own connections, get the transport and no result: they ask.
    expect(cache.get(bob)).toEqual({ transport: 'streamable-http' });
    expect(cache.get(URL_KEY)).toEqual({ transport: 'streamable-http' });
    now = 999;
    // Adopting it again does not extend its life.
    cache.set(alice, { transport: 'streamable-http', prior: { kind: 'modern', discover: result } });
    now = 1_000;
    expect(cache.get(alice)).toEqual({ transport: 'streamable-http' });
  });

  it('shares a public result across authorization contexts', () => {
    const cache = new DiscoverCache({ now: () => 0 });
    const result = discover('public', 1_000);
    cache.set(URL_KEY, {
      transport: 'streamable-http',
      prior: { kind: 'modern', discover: result },
    });
    expect(cache.get(bob)?.prior).toEqual({ kind: 'modern', discover: result });
  });

  it('keeps no result with ttlMs 0 (immediately stale) and caps long ones', () => {
    let now = 0;
    const cache = new DiscoverCache({ now: () => now, maxTtlMs: 10 });
    cache.set(alice, {
      transport: 'streamable-http',
      prior: { kind: 'modern', discover: discover('private', 0) },
    });
    expect(cache.get(alice)).toEqual({ transport: 'streamable-http' });
    cache.set(alice, {
      transport: 'streamable-http',
      prior: { kind: 'modern', discover: discover('private', 1_000_000) },
    });
    now = 10;
    expect(cache.get(alice)?.prior).toBeUndefined();
  });

  it('drops every context’s results of an upstream on invalidate, keeping its transport', () => {
    const cache = new DiscoverCache({ now: () => 0 });
    cache.set(alice, {
      transport: 'sse',
      prior: { kind: 'modern', discover: discover('private', 1_000) },
    });
    cache.set(URL_KEY, {
      transport: 'sse',
      prior: { kind: 'modern', discover: discover('public', 1_000) },
    });
    cache.invalidate(URL_KEY);
    expect(cache.get(alice)).toEqual({ transport: 'sse' });
    expect(cache.get(URL_KEY)).toEqual({ transport: 'sse' });
  });

  it('remembers a legacy verdict, and forgets all on delete (a failed connect)', () => {
    const cache = new DiscoverCache();
    cache.set(URL_KEY, { transport: 'sse', prior: { kind: 'legacy' } });
    expect(cache.get(alice)).toEqual({ transport: 'sse', prior: { kind: 'legacy' } });
    expect(cache.delete(alice)).toBe(true);
    expect(cache.get(URL_KEY)).toBeUndefined();
    expect(cache.has(URL_KEY)).toBe(false);
  });
});
