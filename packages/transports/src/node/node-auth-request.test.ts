import type { IncomingMessage } from 'node:http';
import { describe, expect, it } from 'vitest';
import { toBodylessRequest } from './host-http-responses.js';
import { requestUrlOf, toAuthRequest } from './node-auth-request.js';
import { peerCertificateOf } from './peer-certificate.js';

/** A Node request as `node:http` hands it over: method, target, lower-case header record. */
function nodeRequest(
  target: string | undefined,
  headers: Record<string, string | string[]>,
  options: { encrypted?: boolean; method?: string; socket?: object } = {},
): IncomingMessage {
  return {
    url: target,
    method: options.method,
    headers,
    socket: options.socket ?? { encrypted: options.encrypted ?? false },
  } as unknown as IncomingMessage;
}

/** The target resolved against `scheme://host`, `localhost` when that host does not parse. */
function resolved(target: string, host: string | undefined, scheme: string): string {
  try {
    return new URL(target, `${scheme}://${host ?? 'localhost'}`).href;
  } catch {
    return new URL(target, `${scheme}://localhost`).href;
  }
}

describe('toAuthRequest', () => {
  it('has the URL a web Request made from the same Node request has, for odd hosts and absolute-form targets', () => {
    const hosts = [
      '127.0.0.1:4000',
      'hub.example.com',
      'HUB.Example.com:8443',
      'h:80',
      '[::1]:4000',
      '[::1',
      'bad host',
      'evil.com/x',
      'a?b',
      'a#b',
      'user@h',
      'h:99999',
      '',
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
      'http://other.example:81/mcp?q',
      'https://[::1]/x',
      'HTTP://UPPER.example/p',
      'mcp',
      'http://u:p@x/mcp',
      undefined,
    ];
    for (const host of hosts) {
      for (const target of targets) {
        for (const encrypted of [false, true]) {
          const headers: Record<string, string> = host === undefined ? {} : { host };
          const source = nodeRequest(target, headers, { encrypted });
          // A web Request refuses a URL with credentials (Host `user@h`, target `http://u@x/`);
          // the view gives the URL resolved the same way instead of throwing.
          let expected: string;
          try {
            expected = toBodylessRequest(source).url;
          } catch {
            expected = resolved(target ?? '/', host, encrypted ? 'https' : 'http');
            expect(expected, `${host} ${target}`).toMatch(/^https?:\/\/[^/]*@/);
          }
          expect(toAuthRequest(source).url, `${host} ${target} ${encrypted}`).toBe(expected);
          expect(requestUrlOf(source)).toBe(expected);
        }
      }
    }
  });

  it('carries the method (GET when Node has none) as a web Request does', () => {
    for (const method of ['POST', 'GET', 'DELETE', 'OPTIONS', undefined]) {
      const source = nodeRequest('/mcp', { host: 'h' }, { method });
      expect(toAuthRequest(source).method).toBe(toBodylessRequest(source).method);
    }
  });

  it('reads headers as web Headers do: any case, repeated set-cookie joined, absent is null', () => {
    const raw = {
      host: '127.0.0.1:1',
      authorization: 'Bearer t',
      'x-api-key': 'k',
      'set-cookie': ['a=1', 'b=2'],
    };
    const view = toAuthRequest(nodeRequest('/mcp', raw, { method: 'POST' }));
    const request = toBodylessRequest(nodeRequest('/mcp', raw, { method: 'POST' }));
    for (const name of [
      'authorization',
      'Authorization',
      'X-API-KEY',
      'set-cookie',
      'host',
      'missing',
      'constructor',
      'toString',
      '__proto__',
    ]) {
      expect(view.headers.get(name), name).toBe(request.headers.get(name));
      expect(view.headers.has(name), name).toBe(request.headers.has(name));
    }
    expect([...view.headers]).toEqual([...request.headers]);
    expect([...view.headers.keys()]).toEqual([...request.headers.keys()]);
    expect(view.headers.getSetCookie()).toEqual(request.headers.getSetCookie());
    const seen: string[] = [];
    view.headers.forEach((value, key, parent) => {
      seen.push(`${key}=${value}`);
      expect(parent).toBe(view.headers);
    });
    expect(seen).toEqual([...request.headers].map(([key, value]) => `${key}=${value}`));
  });

  it('writes to its own copy of the headers, never to the Node request', () => {
    const raw: Record<string, string> = { host: 'h', authorization: 'Bearer t' };
    const view = toAuthRequest(nodeRequest('/mcp', raw));
    view.headers.set('authorization', 'Bearer other');
    view.headers.append('x-extra', '1');
    view.headers.delete('host');
    expect(view.headers.get('authorization')).toBe('Bearer other');
    expect(view.headers.get('x-extra')).toBe('1');
    expect(view.headers.has('host')).toBe(false);
    expect(raw).toEqual({ host: 'h', authorization: 'Bearer t' });
  });

  it('hands the TLS client certificate to peerCertificateOf, as for a Request the host made', () => {
    const certificate = { subject: { CN: 'client' }, fingerprint256: 'AB' };
    const socket = {
      encrypted: true,
      authorized: true,
      getPeerCertificate: () => certificate,
    };
    const view = toAuthRequest(nodeRequest('/mcp', { host: 'h' }, { socket }));
    expect(view.url).toBe('https://h/mcp');
    expect(peerCertificateOf(view)).toEqual({
      peerCertificate: certificate,
      peerCertificateAuthorized: true,
    });
    expect(peerCertificateOf(toAuthRequest(nodeRequest('/mcp', { host: 'h' })))).toBeUndefined();
  });
});
