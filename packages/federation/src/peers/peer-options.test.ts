import { describe, expect, it } from 'vitest';
import { hubIdFromUrl } from './hub-id-from-url.js';
import {
  assertSecurePeerUrl,
  peerBaseUrl,
  peerMcpEndpoint,
  peerUpstreams,
  toTrustedPeers,
} from './peer-options.js';

describe('peer options', () => {
  it('finds the MCP endpoint and the base URL from either', () => {
    expect(peerMcpEndpoint('https://eu.example.com')).toBe('https://eu.example.com/mcp');
    expect(peerMcpEndpoint('https://eu.example.com/hub/mcp')).toBe(
      'https://eu.example.com/hub/mcp',
    );
    expect(peerBaseUrl('https://eu.example.com/hub/mcp?x=1')).toBe('https://eu.example.com/hub/');
  });

  it('imports every peer without import: false, prefixed with its id', () => {
    expect(
      peerUpstreams({
        eu: { url: 'https://eu.example.com', timeoutMs: 5000 },
        caller: { url: 'https://caller.example.com', import: false },
      }),
    ).toEqual({
      eu: {
        url: 'https://eu.example.com/mcp',
        type: 'streamable-http',
        prefix: 'eu',
        timeoutMs: 5000,
      },
    });
  });

  it('trusts every peer, imported or not, at its base URL', () => {
    expect(
      toTrustedPeers({ caller: { url: 'https://caller.example.com/mcp', import: false } }),
    ).toEqual({ caller: { url: 'https://caller.example.com/' } });
  });

  it('refuses plain http:// to another machine unless allowed', () => {
    expect(() => assertSecurePeerUrl('eu', { url: 'http://eu.example.com' })).toThrow(
      expect.objectContaining({ code: 'INVALID_CONFIG' }),
    );
    expect(() => assertSecurePeerUrl('eu', { url: 'http://127.0.0.1:4000' })).not.toThrow();
    expect(() =>
      assertSecurePeerUrl('eu', { url: 'http://eu.example.com', allowInsecure: true }),
    ).not.toThrow();
  });

  it('derives a hub id from a URL', () => {
    expect(hubIdFromUrl('https://hub.example.com/mcp')).toBe('hub-example-com');
    expect(hubIdFromUrl('http://127.0.0.1:4000')).toBe('127-0-0-1-4000');
  });
});
