import type { IncomingMessage } from 'node:http';
import { describe, expect, it } from 'vitest';
import { toBodylessRequest } from './host-http-responses.js';

/** A Node request as `node:http` hands it over: method, target, lower-case header record. */
function nodeRequest(
  target: string | undefined,
  headers: Record<string, string | string[]>,
  encrypted = false,
): IncomingMessage {
  return {
    url: target,
    method: 'POST',
    headers,
    socket: { encrypted },
  } as unknown as IncomingMessage;
}

/** The URL the general path makes: the target resolved against `scheme://host`. */
function resolved(target: string, host: string | undefined, scheme = 'http'): string {
  try {
    return new URL(target, `${scheme}://${host ?? 'localhost'}`).href;
  } catch {
    return new URL(target, `${scheme}://localhost`).href;
  }
}

describe('toBodylessRequest', () => {
  it('makes the same URL as resolving the target against the Host header, for any target and host', () => {
    const hosts = [
      '127.0.0.1:4000',
      'hub.example.com',
      'HUB.Example.com:8443',
      '[::1]:4000',
      'bad host',
      'evil.com/x',
      'a?b',
      'a#b',
      'h:99999',
      undefined,
    ];
    const targets = [
      '/mcp',
      '/mcp?x=1&y=%20',
      '/mcp#frag',
      '//evil.com/mcp',
      '/\\evil.com',
      '/a/../b',
      '*',
    ];
    for (const host of hosts) {
      for (const target of targets) {
        const headers: Record<string, string> = host === undefined ? {} : { host };
        expect(toBodylessRequest(nodeRequest(target, headers)).url, `${host} ${target}`).toBe(
          resolved(target, host),
        );
      }
    }
    expect(toBodylessRequest(nodeRequest('/mcp', { host: 'h:1' }, true)).url).toBe(
      'https://h:1/mcp',
    );
    expect(toBodylessRequest(nodeRequest(undefined, { host: 'h' })).url).toBe('http://h/');
  });

  it('carries the method and headers, repeated set-cookie headers joined', () => {
    const request = toBodylessRequest(
      nodeRequest('/mcp', {
        host: '127.0.0.1:1',
        authorization: 'Bearer t',
        'set-cookie': ['a=1', 'b=2'],
      }),
    );
    expect(request.method).toBe('POST');
    expect(request.headers.get('authorization')).toBe('Bearer t');
    expect(request.headers.get('set-cookie')).toBe('a=1, b=2');
  });
});
