import { FedmcpError } from '@fedmcp/protocol';
import { describe, expect, it } from 'vitest';
import {
  isStdioUpstreamSpec,
  parseUpstreamSpec,
  requestedRemoteTransport,
  upstreamCacheKey,
} from './upstream-spec.js';

function failure(input: unknown): FedmcpError {
  try {
    parseUpstreamSpec(input, 'mcpServers.github');
  } catch (error) {
    if (FedmcpError.isInstance(error)) return error;
    throw error;
  }
  throw new Error('expected parseUpstreamSpec to throw');
}

describe('parseUpstreamSpec', () => {
  it('accepts a Claude Desktop stdio entry unchanged, dropping unknown keys', () => {
    const spec = parseUpstreamSpec({
      command: 'npx',
      args: ['-y', '@modelcontextprotocol/server-github'],
      env: { GITHUB_TOKEN: 'secret' },
      disabled: false,
    });
    expect(spec).toEqual({
      command: 'npx',
      args: ['-y', '@modelcontextprotocol/server-github'],
      env: { GITHUB_TOKEN: 'secret' },
    });
    expect(isStdioUpstreamSpec(spec)).toBe(true);
  });

  it('accepts remote entries with a type and headers', () => {
    const spec = parseUpstreamSpec({
      url: 'https://mcp.example.com/sse',
      type: 'sse',
      headers: { Authorization: 'Bearer x' },
    });
    expect(spec).toEqual({
      url: 'https://mcp.example.com/sse',
      type: 'sse',
      headers: { Authorization: 'Bearer x' },
    });
    expect(isStdioUpstreamSpec(spec)).toBe(false);
  });

  it('points at the bad key', () => {
    const error = failure({ command: 'npx', args: 'not-an-array' });
    expect(error.code).toBe('INVALID_CONFIG');
    expect(error.message).toMatch(/^mcpServers\.github\.args: /);
    expect(failure({ url: 'ftp://example.com' }).message).toBe(
      'mcpServers.github.url: url must be an absolute http://, https://, ws:// or wss:// URL.',
    );
    expect(failure({ url: 'https://example.com', type: 'grpc' }).message).toMatch(
      /^mcpServers\.github\.type: /,
    );
  });

  it('refuses an entry with both or neither of command and url', () => {
    expect(failure({ command: 'x', url: 'https://example.com' }).message).toContain('not both');
    expect(failure({ args: [] }).message).toContain('needs "command"');
    expect(failure('npx').code).toBe('INVALID_CONFIG');
    expect(failure({ command: '' }).message).toContain('command must not be empty');
  });
});

describe('requestedRemoteTransport', () => {
  it('reads the transport from the type and the URL scheme', () => {
    expect(requestedRemoteTransport({ url: 'https://a.example/mcp' })).toBe('auto');
    expect(requestedRemoteTransport({ url: 'https://a.example/mcp', type: 'http' })).toBe(
      'streamable-http',
    );
    expect(requestedRemoteTransport({ url: 'https://a.example/sse', type: 'sse' })).toBe('sse');
    expect(requestedRemoteTransport({ url: 'wss://a.example/ws' })).toBe('websocket');
    expect(requestedRemoteTransport({ url: 'https://a.example/ws', type: 'ws' })).toBe('websocket');
  });
});

describe('upstreamCacheKey', () => {
  it('keys remote upstreams by URL and local ones by command line and cwd', () => {
    expect(upstreamCacheKey({ url: 'https://a.example/mcp', headers: { a: 'b' } })).toBe(
      'remote:https://a.example/mcp',
    );
    expect(upstreamCacheKey({ command: 'node', args: ['server.js'], cwd: '/srv' })).toBe(
      'stdio:["node","server.js"]@/srv',
    );
    expect(upstreamCacheKey({ command: 'node', args: ['a b'] })).not.toBe(
      upstreamCacheKey({ command: 'node', args: ['a', 'b'] }),
    );
  });
});
