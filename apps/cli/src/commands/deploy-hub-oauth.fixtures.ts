/**
 * Real parts for the edge upstream OAuth tests, on 127.0.0.1 ephemeral ports:
 *
 * - an OAuth 2.1 authorization server: metadata (RFC 8414), Dynamic Client Registration, the
 *   authorization endpoint (PKCE S256 required; it signs in the user named by the `login` query
 *   parameter the test adds, as a browser would after a login form), the token endpoint
 *   (`authorization_code`, `refresh_token`, and `client_credentials` and RFC 8693 token exchange
 *   for its confidential client), and revocation (RFC 7009). Access tokens are opaque and bound to their audience;
 * - a protected MCP server (Streamable HTTP, stateless JSON answers) that lists its catalog to
 *   anyone and answers `whoami` only with an access token issued for it (else `401` with the RFC
 *   9728 challenge), recording every token it was sent.
 */
import { createHash, randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

interface Grant {
  subject: string;
  audience: string;
}

/** A running authorization server. */
export interface AuthorizationServer extends AsyncDisposable {
  issuer: string;
  /** Whose token `token` is and for which audience, while it is valid. */
  tokenInfo(token: string): Grant | undefined;
  /** `grant_type:status` of each token request, in order. */
  grants: string[];
  /** The subject tokens token exchange requests carried, in order. */
  subjectTokens: string[];
}

const TOKEN_EXCHANGE = 'urn:ietf:params:oauth:grant-type:token-exchange';

/** The confidential client of token exchange (the hub). */
export const EXCHANGE_CLIENT = { id: 'edge-hub', secret: 'exchange-secret-0123456789' };

async function readText(request: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString();
}

async function listen(
  handle: (request: IncomingMessage, response: ServerResponse, origin: string) => Promise<void>,
) {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  server.on('request', (request, response) => {
    handle(request, response, origin).catch((error: unknown) => {
      if (!response.headersSent) response.writeHead(500);
      response.end(String(error));
    });
  });
  return {
    origin,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

const json = (response: ServerResponse, status: number, body: unknown) => {
  response.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' });
  response.end(JSON.stringify(body));
};

/** The payload of a JWT, unverified (the subject token of an exchange). */
const subjectOf = (jwt: string): string | undefined => {
  try {
    const payload = JSON.parse(Buffer.from(jwt.split('.')[1] ?? '', 'base64url').toString());
    return typeof payload.sub === 'string' ? payload.sub : undefined;
  } catch {
    return undefined;
  }
};

/**
 * Starts the authorization server. Its access tokens live `accessTokenTtlSeconds` (under the
 * hub's 30 s refresh-ahead, every later use refreshes first).
 */
export async function startAuthorizationServer({
  accessTokenTtlSeconds = 3600,
} = {}): Promise<AuthorizationServer> {
  const clients = new Map<string, { redirectUris: string[] }>();
  const codes = new Map<
    string,
    { clientId: string; redirectUri: string; challenge: string; grant: Grant }
  >();
  const tokens = new Map<string, Grant>();
  const refreshTokens = new Map<string, Grant>();
  const grants: string[] = [];
  const subjectTokens: string[] = [];
  const issue = (grant: Grant) => {
    const accessToken = `at-${randomBytes(16).toString('hex')}`;
    const refreshToken = `rt-${randomBytes(16).toString('hex')}`;
    tokens.set(accessToken, grant);
    refreshTokens.set(refreshToken, grant);
    return {
      access_token: accessToken,
      token_type: 'Bearer',
      expires_in: accessTokenTtlSeconds,
      refresh_token: refreshToken,
      scope: 'mcp:tools',
    };
  };
  const server = await listen(async (request, response, issuer) => {
    const url = new URL(request.url ?? '/', issuer);
    if (url.pathname === '/.well-known/oauth-authorization-server') {
      return json(response, 200, {
        issuer,
        authorization_endpoint: `${issuer}/authorize`,
        token_endpoint: `${issuer}/token`,
        registration_endpoint: `${issuer}/register`,
        revocation_endpoint: `${issuer}/revoke`,
        response_types_supported: ['code'],
        grant_types_supported: [
          'authorization_code',
          'refresh_token',
          'client_credentials',
          TOKEN_EXCHANGE,
        ],
        code_challenge_methods_supported: ['S256'],
        token_endpoint_auth_methods_supported: ['none', 'client_secret_basic'],
        scopes_supported: ['mcp:tools'],
      });
    }
    if (url.pathname === '/register' && request.method === 'POST') {
      const metadata = JSON.parse(await readText(request)) as { redirect_uris?: string[] };
      const clientId = `client-${randomBytes(8).toString('hex')}`;
      clients.set(clientId, { redirectUris: metadata.redirect_uris ?? [] });
      return json(response, 201, {
        ...metadata,
        client_id: clientId,
        token_endpoint_auth_method: 'none',
      });
    }
    if (url.pathname === '/authorize') {
      const query = url.searchParams;
      const client = clients.get(query.get('client_id') ?? '');
      const redirectUri = query.get('redirect_uri') ?? '';
      const login = query.get('login');
      if (!client?.redirectUris.includes(redirectUri)) {
        return json(response, 400, { error: 'invalid_request' });
      }
      if (query.get('code_challenge_method') !== 'S256' || !login) {
        return json(response, 400, { error: 'invalid_request' });
      }
      const code = `code-${randomBytes(16).toString('hex')}`;
      codes.set(code, {
        clientId: query.get('client_id') ?? '',
        redirectUri,
        challenge: query.get('code_challenge') ?? '',
        grant: { subject: login, audience: query.get('resource') ?? '' },
      });
      const back = new URL(redirectUri);
      back.searchParams.set('code', code);
      back.searchParams.set('state', query.get('state') ?? '');
      back.searchParams.set('iss', issuer);
      response.writeHead(302, { location: back.href }).end();
      return;
    }
    if (url.pathname === '/revoke' && request.method === 'POST') {
      const form = new URLSearchParams(await readText(request));
      const token = form.get('token') ?? '';
      tokens.delete(token);
      refreshTokens.delete(token);
      response.writeHead(200).end();
      return;
    }
    if (url.pathname === '/token' && request.method === 'POST') {
      const form = new URLSearchParams(await readText(request));
      const type = form.get('grant_type') ?? '?';
      const answer = (status: number, body: unknown) => {
        grants.push(`${type}:${status}`);
        json(response, status, body);
      };
      if (type === 'authorization_code') {
        const pending = codes.get(form.get('code') ?? '');
        codes.delete(form.get('code') ?? '');
        const verifier = form.get('code_verifier') ?? '';
        const challenge = createHash('sha256').update(verifier).digest('base64url');
        if (
          !pending ||
          pending.challenge !== challenge ||
          pending.redirectUri !== form.get('redirect_uri') ||
          pending.clientId !== form.get('client_id')
        ) {
          return answer(400, { error: 'invalid_grant' });
        }
        return answer(200, issue(pending.grant));
      }
      if (type === 'refresh_token') {
        const grant = refreshTokens.get(form.get('refresh_token') ?? '');
        if (!grant) return answer(400, { error: 'invalid_grant' });
        refreshTokens.delete(form.get('refresh_token') ?? '');
        return answer(200, issue(grant));
      }
      // The confidential client (the hub) authenticates with its secret, basic or in the form.
      const basic = `Basic ${Buffer.from(`${EXCHANGE_CLIENT.id}:${EXCHANGE_CLIENT.secret}`).toString('base64')}`;
      const confidential =
        request.headers.authorization === basic ||
        (form.get('client_id') === EXCHANGE_CLIENT.id &&
          form.get('client_secret') === EXCHANGE_CLIENT.secret);
      if (type === 'client_credentials') {
        if (!confidential) return answer(401, { error: 'invalid_client' });
        const { refresh_token: _none, ...issued } = issue({
          subject: EXCHANGE_CLIENT.id,
          audience: form.get('resource') ?? '',
        });
        return answer(200, issued);
      }
      if (type === TOKEN_EXCHANGE) {
        if (!confidential) return answer(401, { error: 'invalid_client' });
        const subjectToken = form.get('subject_token') ?? '';
        subjectTokens.push(subjectToken);
        const subject = subjectOf(subjectToken);
        if (!subject) return answer(400, { error: 'invalid_grant' });
        const { refresh_token: _none, ...issued } = issue({
          subject,
          audience: form.get('audience') ?? '',
        });
        return answer(200, {
          ...issued,
          issued_token_type: 'urn:ietf:params:oauth:token-type:access_token',
        });
      }
      return answer(400, { error: 'unsupported_grant_type' });
    }
    response.writeHead(404).end();
  });
  return {
    issuer: server.origin,
    tokenInfo: (token) => tokens.get(token),
    grants,
    subjectTokens,
    [Symbol.asyncDispose]: server.close,
  };
}

/** A running protected MCP server. */
export interface ProtectedUpstream extends AsyncDisposable {
  /** Its MCP endpoint, `http://127.0.0.1:<port>/mcp`. */
  url: string;
  /** Every bearer token it was sent, in order. */
  tokensSeen: string[];
  /** The subject of each `whoami` call, in order. */
  calls: string[];
}

const PUBLIC_METHODS = new Set([
  'initialize',
  'ping',
  'tools/list',
  'server/discover',
  'notifications/initialized',
]);

/**
 * Starts a protected MCP server that takes the tokens `authorizationServer` issued for
 * `audience` (default: its own URL).
 */
export async function startProtectedUpstream(
  authorizationServer: AuthorizationServer,
  options: { audience?: string } = {},
): Promise<ProtectedUpstream> {
  const tokensSeen: string[] = [];
  const calls: string[] = [];
  const server = await listen(async (request, response, origin) => {
    const url = `${origin}/mcp`;
    const metadataUrl = `${origin}/.well-known/oauth-protected-resource/mcp`;
    if (request.url === '/.well-known/oauth-protected-resource/mcp') {
      return json(response, 200, {
        resource: url,
        authorization_servers: [authorizationServer.issuer],
        scopes_supported: ['mcp:tools'],
      });
    }
    if (request.url !== '/mcp' || request.method !== 'POST') {
      response.writeHead(request.url === '/mcp' ? 405 : 404, { allow: 'POST' }).end();
      return;
    }
    const message = JSON.parse(await readText(request)) as {
      id?: number | string;
      method?: string;
      params?: { protocolVersion?: string; name?: string };
    };
    const token = /^Bearer (.+)$/.exec(request.headers.authorization ?? '')?.[1];
    if (token) tokensSeen.push(token);
    const grant = token ? authorizationServer.tokenInfo(token) : undefined;
    const subject = grant?.audience === (options.audience ?? url) ? grant.subject : undefined;
    if (
      subject === undefined &&
      (token !== undefined || !PUBLIC_METHODS.has(message.method ?? ''))
    ) {
      response.writeHead(401, {
        'www-authenticate': `Bearer resource_metadata="${metadataUrl}", scope="mcp:tools"`,
      });
      response.end();
      return;
    }
    if (message.id === undefined) {
      response.writeHead(202).end();
      return;
    }
    const result = (value: unknown) =>
      json(response, 200, { jsonrpc: '2.0', id: message.id, result: value });
    switch (message.method) {
      case 'initialize':
        return result({
          protocolVersion: message.params?.protocolVersion ?? '2025-11-25',
          capabilities: { tools: {} },
          serverInfo: { name: 'protected', version: '1.0.0' },
        });
      case 'ping':
        return result({});
      case 'tools/list':
        return result({
          tools: [{ name: 'whoami', description: 'The caller', inputSchema: { type: 'object' } }],
        });
      case 'tools/call':
        calls.push(subject ?? 'nobody');
        return result({ content: [{ type: 'text', text: `subject=${subject}` }] });
      default:
        return json(response, 200, {
          jsonrpc: '2.0',
          id: message.id,
          error: { code: -32601, message: `Method not found: ${message.method}` },
        });
    }
  });
  return {
    url: `${server.origin}/mcp`,
    tokensSeen,
    calls,
    [Symbol.asyncDispose]: server.close,
  };
}
