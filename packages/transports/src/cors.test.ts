import { FedmcpError } from '@fedmcp/protocol';
import { describe, expect, it } from 'vitest';
import { createCorsPolicy, normalizeOrigin } from './cors.js';

const client = 'https://client.example.com';

describe('normalizeOrigin', () => {
  it('accepts full origins and serializes them as browsers send them', () => {
    expect(normalizeOrigin('https://Client.Example.com:443/')).toBe(client);
    expect(normalizeOrigin('http://localhost:5173')).toBe('http://localhost:5173');
  });

  it('refuses a bare hostname, saying to write the full origin', () => {
    const error = (() => {
      try {
        normalizeOrigin('client.example.com');
      } catch (caught) {
        return caught;
      }
    })();
    expect(FedmcpError.isInstance(error) && error.code).toBe('INVALID_CONFIG');
    expect((error as Error).message).toContain(
      'write the full origin, e.g. "https://client.example.com"',
    );
    expect(() => normalizeOrigin('localhost:3000')).toThrow(/full origin/);
  });

  it('refuses an origin with a path, query or credentials', () => {
    expect(() => normalizeOrigin('https://client.example.com/app')).toThrow(
      /leave out the path.*\(https:\/\/client\.example\.com\)/,
    );
    expect(() => normalizeOrigin('https://user:pw@client.example.com')).toThrow(/credentials/);
  });
});

describe('createCorsPolicy', () => {
  const policy = createCorsPolicy({ origins: [client] });

  it('lets a configured origin read MCP answers, exposing the challenge and the session', () => {
    expect(policy.allows(client)).toBe(true);
    expect(policy.headers({ origin: client, method: 'POST', kind: 'mcp' })).toEqual({
      'access-control-allow-origin': client,
      vary: 'Origin',
      'access-control-expose-headers':
        'WWW-Authenticate, Mcp-Session-Id, Mcp-Protocol-Version, Retry-After',
    });
  });

  it('answers a preflight with the MCP methods and request headers, credentials off', () => {
    const headers = policy.headers({
      origin: client,
      method: 'OPTIONS',
      requestHeaders: 'Authorization, Content-Type, Mcp-Method, Mcp-Param-Name, X-Tracking',
      kind: 'mcp',
    });
    expect(headers?.['access-control-allow-methods']).toBe('GET, POST, DELETE, OPTIONS');
    const allowed = headers?.['access-control-allow-headers']?.split(', ') ?? [];
    expect(allowed).toEqual(
      expect.arrayContaining(['authorization', 'last-event-id', 'mcp-method', 'mcp-param-name']),
    );
    expect(allowed).not.toContain('x-tracking');
    expect(headers?.['access-control-max-age']).toBe('600');
    expect(headers?.['access-control-allow-credentials']).toBeUndefined();
  });

  it('gives no headers to another origin, or to a request without Origin', () => {
    expect(policy.allows('https://evil.example')).toBe(false);
    expect(policy.headers({ origin: 'https://evil.example', method: 'POST', kind: 'mcp' })).toBe(
      undefined,
    );
    expect(policy.headers({ origin: undefined, method: 'POST', kind: 'mcp' })).toBe(undefined);
  });

  it('lets any origin read public documents, without credentials', () => {
    const credentialed = createCorsPolicy({ origins: [client], allowCredentials: true });
    expect(
      credentialed.headers({ origin: 'https://other.example', method: 'GET', kind: 'public' }),
    ).toEqual({ 'access-control-allow-origin': '*' });
    expect(credentialed.headers({ origin: client, method: 'GET', kind: 'mcp' })).toMatchObject({
      'access-control-allow-credentials': 'true',
    });
  });

  it("never allows credentials with '*'", () => {
    const any = createCorsPolicy({ origins: '*', allowCredentials: true, maxAgeSeconds: 60 });
    expect(any.headers({ origin: 'https://x.example', method: 'OPTIONS', kind: 'mcp' })).toEqual(
      expect.objectContaining({
        'access-control-allow-origin': '*',
        'access-control-max-age': '60',
      }),
    );
    expect(
      any.headers({ origin: 'https://x.example', method: 'OPTIONS', kind: 'mcp' })?.[
        'access-control-allow-credentials'
      ],
    ).toBeUndefined();
  });

  it('refuses a configured entry that is not a full origin', () => {
    expect(() => createCorsPolicy({ origins: ['client.example.com'] })).toThrow(/full origin/);
  });
});
