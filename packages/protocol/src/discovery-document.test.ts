import { describe, expect, it } from 'vitest';
import {
  DISCOVERY_DOCUMENT_PATH,
  DiscoveryDocumentSchema,
  parseDiscoveryDocument,
} from './discovery-document.js';
import { FedmcpError } from './fedmcp-error.js';

const valid = {
  hubId: 'eu',
  name: 'EU hub',
  version: '0.1.0',
  endpoint: 'https://eu.example.com/mcp',
  transports: [
    { type: 'streamable-http', url: 'https://eu.example.com/mcp' },
    { type: 'sse', url: 'https://eu.example.com/sse' },
    { type: 'websocket', url: 'wss://eu.example.com/ws' },
  ],
  jwksUri: 'https://eu.example.com/.well-known/jwks.json',
  protocolVersions: ['2025-11-25', '2026-07-28'],
  maxHops: 4,
};

describe('discovery document', () => {
  it('accepts a valid document', () => {
    expect(DISCOVERY_DOCUMENT_PATH).toBe('/.well-known/mcp-federation');
    expect(parseDiscoveryDocument(valid)).toEqual(valid);
    expect(DiscoveryDocumentSchema.safeParse(valid).success).toBe(true);
  });

  it('rejects a bad document with a message naming the field', () => {
    const bad = {
      ...valid,
      jwksUri: 'ftp://eu.example.com/jwks',
      transports: [{ type: 'websocket', url: 'https://eu.example.com/ws' }],
    };
    let caught: unknown;
    try {
      parseDiscoveryDocument(bad, { source: 'https://eu.example.com/.well-known/mcp-federation' });
    } catch (error) {
      caught = error;
    }
    expect(FedmcpError.isInstance(caught)).toBe(true);
    const error = caught as FedmcpError;
    expect(error.code).toBe('INVALID_CONFIG');
    expect(error.message).toMatchInlineSnapshot(
      `"The federation discovery document from https://eu.example.com/.well-known/mcp-federation is invalid: transports.0.url: must be a ws:// or wss:// URL; jwksUri: must be an http:// or https:// URL (the JWK Set). Check that the URL points at a fedmcp hub and that the hub is configured correctly."`,
    );
  });

  it('names missing and malformed fields', () => {
    const { hubId: _hubId, ...withoutHubId } = valid;
    expect(() => parseDiscoveryDocument(withoutHubId)).toThrow(/hubId:/);
    expect(() => parseDiscoveryDocument({ ...valid, hubId: 'EU' })).toThrow(
      /hubId: must be 1 to 32/,
    );
    expect(() => parseDiscoveryDocument({ ...valid, maxHops: 0 })).toThrow(/maxHops:/);
    expect(() => parseDiscoveryDocument({ ...valid, protocolVersions: ['latest'] })).toThrow(
      /protocolVersions\.0: must be an MCP protocol version/,
    );
    expect(() => parseDiscoveryDocument({ ...valid, transports: [{ type: 'grpc' }] })).toThrow(
      /transports\.0\.type: must be "streamable-http", "sse" or "websocket"/,
    );
    expect(() => parseDiscoveryDocument({ ...valid, transports: [] })).toThrow(
      /transports: must list at least one transport/,
    );
    expect(() => parseDiscoveryDocument('nope')).toThrow(/\(document\)/);
  });
});
