import { describe, expect, it } from 'vitest';
import { isMcpTarget } from './mcp-target.js';

describe('isMcpTarget', () => {
  it('matches the MCP path and its views, with any query', () => {
    for (const target of ['/mcp', '/mcp?x=1', '/mcp/', '/mcp/readonly', '/mcp/read_only-2?a=/b']) {
      expect(isMcpTarget(target), target).toBe(true);
    }
  });

  it('leaves every other target to the onRequest routes', () => {
    for (const target of [
      undefined,
      '/',
      '/mcpx',
      '/mcp.json',
      '/mcp/../admin/v1/upstreams',
      '/mcp/%2e%2e/healthz',
      '/mcp/a/b',
      '/mcp\\..\\metrics',
      '/mcp#x',
      'http://hub.example/mcp',
      '//mcp',
      '/healthz',
      '/readyz',
      '/metrics',
      '/hooks/x',
      '/admin/v1/upstreams',
      '/api/v1/tools/x:call',
      '/ui',
      '/status',
      '/.well-known/oauth-protected-resource/mcp',
      '/.well-known/mcp-federation',
      '/.well-known/jwks.json',
      '/oauth/callback',
    ]) {
      expect(isMcpTarget(target), String(target)).toBe(false);
    }
  });
});
