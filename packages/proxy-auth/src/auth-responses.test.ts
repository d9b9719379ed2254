import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type LocalIssuer, startLocalIssuer } from '../test/local-issuer.js';
import {
  authenticationErrorResponse,
  protectedResourceMetadataResponse,
} from './auth-responses.js';
import { authenticateRequest } from './authenticate-request.js';
import { createJwtVerifier } from './create-jwt-verifier.js';
import {
  buildProtectedResourceMetadata,
  protectedResourceMetadataUrl,
} from './protected-resource-metadata.js';

// A minimal protected MCP endpoint on a real socket: the shape an HTTP host gives these helpers.
async function startProtectedServer(issuer: LocalIssuer) {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const resource = `${origin}/mcp`;
  const verifier = createJwtVerifier({
    issuer: issuer.issuer,
    audience: resource,
    jwksUri: issuer.jwksUri,
  });
  const metadata = buildProtectedResourceMetadata({
    resource,
    authorizationServers: [issuer.issuer],
    scopesSupported: ['tools.read'],
  });
  const resourceMetadataUrl = protectedResourceMetadataUrl(resource);

  async function handle(request: IncomingMessage): Promise<Response> {
    const url = new URL(request.url ?? '/', origin);
    const wellKnown = protectedResourceMetadataResponse(
      { method: request.method ?? 'GET', url: url.href },
      metadata,
    );
    if (wellKnown) return wellKnown;
    try {
      const principal = await authenticateRequest({ headers: request.headers }, [verifier], {
        resourceMetadataUrl,
        scope: ['tools.read'],
      });
      return Response.json({ servedFor: principal.subject });
    } catch (error) {
      const refusal = authenticationErrorResponse(error);
      if (refusal) return refusal;
      return new Response('internal error', { status: 500 });
    }
  }
  async function send(response: Response, target: ServerResponse): Promise<void> {
    target.writeHead(response.status, Object.fromEntries(response.headers));
    target.end(Buffer.from(await response.arrayBuffer()));
  }
  server.on(
    'request',
    (request, response) => void handle(request).then((answer) => send(answer, response)),
  );

  return {
    origin,
    resource,
    resourceMetadataUrl,
    async [Symbol.asyncDispose]() {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

let issuer: LocalIssuer;
beforeEach(async () => {
  issuer = await startLocalIssuer();
});
afterEach(async () => {
  await issuer.close();
});

describe('authentication over HTTP', () => {
  it('serves the metadata document at both well-known paths', async () => {
    await using hub = await startProtectedServer(issuer);
    for (const path of [
      '/.well-known/oauth-protected-resource/mcp',
      '/.well-known/oauth-protected-resource',
    ]) {
      const response = await fetch(`${hub.origin}${path}`);
      expect(response.status).toBe(200);
      expect(response.headers.get('access-control-allow-origin')).toBe('*');
      expect(await response.json()).toEqual({
        resource: hub.resource,
        authorization_servers: [issuer.issuer],
        scopes_supported: ['tools.read'],
        bearer_methods_supported: ['header'],
      });
    }
    expect(
      (await fetch(`${hub.origin}/.well-known/oauth-protected-resource/mcp`, { method: 'POST' }))
        .status,
    ).toBe(405);
    expect(
      (await fetch(`${hub.origin}/.well-known/oauth-protected-resource/mcp`, { method: 'OPTIONS' }))
        .status,
    ).toBe(204);
  });

  it('serves a valid token and refuses a missing or expired one with the right challenge', async () => {
    await using hub = await startProtectedServer(issuer);
    const valid = await issuer.sign({ aud: hub.resource });
    const served = await fetch(`${hub.origin}/mcp`, {
      method: 'POST',
      headers: { authorization: `Bearer ${valid}` },
    });
    expect(served.status).toBe(200);
    expect(await served.json()).toEqual({ servedFor: 'alice' });

    const missing = await fetch(`${hub.origin}/mcp`, { method: 'POST' });
    expect(missing.status).toBe(401);
    expect(missing.headers.get('www-authenticate')).toBe(
      `Bearer resource_metadata="${hub.resourceMetadataUrl}", scope="tools.read"`,
    );
    expect(await missing.json()).toMatchObject({ error: 'unauthorized' });

    const now = Math.floor(Date.now() / 1000);
    const expired = await issuer.sign({ aud: hub.resource, iat: now - 7200, exp: now - 3600 });
    const refused = await fetch(`${hub.origin}/mcp`, {
      method: 'POST',
      headers: { authorization: `Bearer ${expired}` },
    });
    expect(refused.status).toBe(401);
    expect(refused.headers.get('www-authenticate')).toBe(
      `Bearer resource_metadata="${hub.resourceMetadataUrl}", error="invalid_token", error_description="the token has expired", scope="tools.read"`,
    );
    expect(await refused.json()).toMatchObject({ error: 'invalid_token' });

    const wrongAudience = await issuer.sign();
    expect(
      (
        await fetch(`${hub.origin}/mcp`, {
          method: 'POST',
          headers: { authorization: `Bearer ${wrongAudience}` },
        })
      ).status,
    ).toBe(401);
  });

  it('leaves other errors to the host', () => {
    expect(authenticationErrorResponse(new Error('boom'))).toBeUndefined();
  });
});
