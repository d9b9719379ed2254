import { describe, expect, it } from 'vitest';
import {
  buildProtectedResourceMetadata,
  canonicalResourceUri,
  protectedResourceMetadataPaths,
  protectedResourceMetadataUrl,
} from './protected-resource-metadata.js';
import {
  buildBearerChallenge,
  buildInsufficientScopeChallenge,
  buildUnauthorizedChallenge,
} from './www-authenticate.js';

describe('buildProtectedResourceMetadata', () => {
  it('builds an RFC 9728 document with the fields MCP clients read', () => {
    const metadata = buildProtectedResourceMetadata({
      resource: 'https://Hub.Example.com/mcp',
      authorizationServers: [
        'https://YOUR_TENANT.auth0.com/',
        'https://kc.example.com/realms/REALM',
      ],
      scopesSupported: ['tools.read', 'tools.call'],
      resourceName: 'Example hub',
      resourceDocumentation: 'https://hub.example.com/docs',
    });
    expect(metadata).toEqual({
      resource: 'https://hub.example.com/mcp',
      authorization_servers: [
        'https://YOUR_TENANT.auth0.com/',
        'https://kc.example.com/realms/REALM',
      ],
      scopes_supported: ['tools.read', 'tools.call'],
      bearer_methods_supported: ['header'],
      resource_name: 'Example hub',
      resource_documentation: 'https://hub.example.com/docs',
    });
    // RFC 9728 §2: resource is required and is an https URL without a fragment; authorization_servers
    // is a JSON array of issuer identifiers; bearer_methods_supported lists only "header" here.
    const url = new URL(metadata.resource);
    expect(url.protocol).toBe('https:');
    expect(url.hash).toBe('');
    expect(metadata.authorization_servers.length).toBeGreaterThanOrEqual(1);
    for (const server of metadata.authorization_servers) expect(URL.canParse(server)).toBe(true);
    expect(metadata.bearer_methods_supported).not.toContain('query');
  });

  it('refuses a document without an authorization server or with a bad resource', () => {
    expect(() =>
      buildProtectedResourceMetadata({
        resource: 'https://hub.example.com/mcp',
        authorizationServers: [],
      }),
    ).toThrow(/at least one authorization server/);
    expect(() => canonicalResourceUri('https://hub.example.com/mcp#x')).toThrow(/fragment/);
    expect(() => canonicalResourceUri('http://hub.example.com/mcp')).toThrow(/https/);
    expect(() => canonicalResourceUri('mcp')).toThrow(/absolute/);
    expect(canonicalResourceUri('http://127.0.0.1:8080/mcp/')).toBe('http://127.0.0.1:8080/mcp');
    expect(canonicalResourceUri('https://HUB.example.com/')).toBe('https://hub.example.com');
  });

  it('names the well-known paths, the path-suffixed form first', () => {
    expect(protectedResourceMetadataPaths('https://hub.example.com/mcp')).toEqual([
      '/.well-known/oauth-protected-resource/mcp',
      '/.well-known/oauth-protected-resource',
    ]);
    expect(protectedResourceMetadataPaths('https://hub.example.com')).toEqual([
      '/.well-known/oauth-protected-resource',
    ]);
    expect(protectedResourceMetadataUrl('https://hub.example.com/mcp')).toBe(
      'https://hub.example.com/.well-known/oauth-protected-resource/mcp',
    );
  });
});

describe('WWW-Authenticate challenges', () => {
  const resourceMetadataUrl = 'https://hub.example.com/.well-known/oauth-protected-resource/mcp';

  it('builds 401 challenges with and without a presented token', () => {
    expect(buildUnauthorizedChallenge({ resourceMetadataUrl, scope: ['tools.read'] })).toBe(
      `Bearer resource_metadata="${resourceMetadataUrl}", scope="tools.read"`,
    );
    expect(
      buildUnauthorizedChallenge({
        resourceMetadataUrl,
        tokenPresented: true,
        errorDescription: 'the token has expired',
      }),
    ).toBe(
      `Bearer resource_metadata="${resourceMetadataUrl}", error="invalid_token", error_description="the token has expired"`,
    );
  });

  it('builds 403 insufficient_scope challenges', () => {
    expect(
      buildInsufficientScopeChallenge({ resourceMetadataUrl, scope: ['tools.call', 'admin'] }),
    ).toBe(
      `Bearer resource_metadata="${resourceMetadataUrl}", error="insufficient_scope", scope="tools.call admin"`,
    );
  });

  it('keeps quotes, backslashes and line breaks out of parameter values', () => {
    const challenge = buildBearerChallenge({
      realm: 'a"b\\c\r\nd',
      errorDescription: 'x"y\\z',
      error: 'invalid_token',
    });
    expect(challenge).toBe(
      'Bearer realm="a\\"b\\\\c  d", error="invalid_token", error_description="x y z"',
    );
    expect(buildBearerChallenge()).toBe('Bearer');
  });
});
