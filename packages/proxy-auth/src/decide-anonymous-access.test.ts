import { describe, expect, it } from 'vitest';
import { decideAnonymousAccess, isLoopbackHost } from './decide-anonymous-access.js';
import { stripClientCredentials } from './strip-client-credentials.js';

describe('decideAnonymousAccess', () => {
  it('tells loopback from reachable addresses', () => {
    for (const host of [
      '127.0.0.1',
      '127.1.2.3',
      'localhost',
      '::1',
      '[::1]',
      '::ffff:127.0.0.1',
    ]) {
      expect(isLoopbackHost(host)).toBe(true);
    }
    for (const host of ['0.0.0.0', '::', '192.168.1.2', 'hub.example.com', '128.0.0.1']) {
      expect(isLoopbackHost(host)).toBe(false);
    }
  });

  it('allows anonymous callers by default on loopback only, with a warning', () => {
    expect(decideAnonymousAccess({ host: '127.0.0.1', authConfigured: false })).toEqual({
      allowAnonymous: true,
      warning:
        'No authentication is configured: accepting anonymous requests because the hub listens on loopback (127.0.0.1) only. Configure auth (oauth, apiKeys or mtls) before listening on another address.',
    });
    expect(() => decideAnonymousAccess({ host: '0.0.0.0', authConfigured: false })).toThrow(
      /listen on 0\.0\.0\.0, which other machines can reach, with no authentication configured/,
    );
  });

  it('follows configured auth and the explicit setting', () => {
    expect(decideAnonymousAccess({ host: '0.0.0.0', authConfigured: true })).toEqual({
      allowAnonymous: false,
    });
    expect(decideAnonymousAccess({ host: '127.0.0.1', authConfigured: true })).toEqual({
      allowAnonymous: false,
    });
    expect(
      decideAnonymousAccess({ host: '0.0.0.0', authConfigured: false, allowAnonymous: true }),
    ).toMatchObject({
      allowAnonymous: true,
      warning: expect.stringContaining('Anonymous access is enabled'),
    });
    expect(() =>
      decideAnonymousAccess({ host: '127.0.0.1', authConfigured: false, allowAnonymous: false }),
    ).toThrow(/no caller could be accepted/);
  });
});

describe('stripClientCredentials', () => {
  it('drops the client credentials, whatever their case, and keeps the rest', () => {
    expect(
      stripClientCredentials({
        Authorization: 'Bearer x',
        'X-API-Key': 'fmk_x',
        Cookie: 'a=b',
        'Proxy-Authorization': 'y',
        accept: 'json',
      }),
    ).toEqual({ accept: 'json' });
    expect(
      stripClientCredentials(
        new Headers({ authorization: 'Bearer x', 'mcp-protocol-version': '2025-11-25' }),
      ),
    ).toEqual({
      'mcp-protocol-version': '2025-11-25',
    });
  });
});
