/**
 * A real authorization server for the upstream OAuth tests: `oidc-provider` 9.13 on loopback with
 * Dynamic Client Registration, PKCE, resource indicators (RFC 8707) with RFC 9068 JWT access
 * tokens, refresh tokens and revocation, and its development login and consent pages, driven
 * here with plain HTTP (`loginAndConsent`) as a user's browser would submit them.
 */
import { generateKeyPairSync } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { AuthorizationResponse } from '@fedmcp/proxy-auth';

/** A running authorization server. */
export interface AuthorizationServer extends AsyncDisposable {
  /** Its issuer identifier, `http://127.0.0.1:<port>`. */
  issuer: string;
  /** The `grant_type` of every token request it answered, in order. */
  grants: string[];
}

interface KoaContext {
  path: string;
  method: string;
  request: { body?: Record<string, unknown> };
  req: { on(event: string, listener: (chunk: Buffer) => void): void };
}

/** Starts the authorization server; access tokens carry the scope `mcp:tools`. */
export async function startAuthorizationServer(): Promise<AuthorizationServer> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const signingKey = { ...privateKey.export({ format: 'jwk' }), kid: 'as', alg: 'RS256' };
  // oidc-provider ships no types; it is driven only through its configuration here.
  const { default: Provider } = (await import('oidc-provider' as string)) as {
    default: new (
      issuer: string,
      configuration: unknown,
    ) => {
      use(middleware: (context: KoaContext, next: () => Promise<void>) => Promise<void>): void;
      callback(): Parameters<typeof server.on>[1];
    };
  };
  const grants: string[] = [];
  const provider = new Provider(issuer, {
    jwks: { keys: [signingKey] },
    cookies: { keys: ['upstream-oauth-test-cookie-key-0123'] },
    scopes: ['openid', 'offline_access', 'mcp:tools'],
    pkce: { required: () => true },
    // Refresh tokens for every client allowed the grant (not only on `prompt=consent`).
    issueRefreshToken: (_context: unknown, client: { grantTypeAllowed(type: string): boolean }) =>
      client.grantTypeAllowed('refresh_token'),
    rotateRefreshToken: true,
    features: {
      devInteractions: { enabled: true },
      registration: { enabled: true },
      revocation: { enabled: true },
      resourceIndicators: {
        enabled: true,
        useGrantedResource: () => true,
        getResourceServerInfo: (_context: unknown, resource: string) => ({
          scope: 'mcp:tools',
          audience: resource,
          accessTokenFormat: 'jwt',
          jwt: { sign: { alg: 'RS256' } },
        }),
      },
    },
  });
  provider.use(async (context, next) => {
    if (context.path === '/token' && context.method === 'POST') {
      // Peek at the form without consuming it: oidc-provider parses the raw body itself.
      const chunks: Buffer[] = [];
      context.req.on('data', (chunk) => chunks.push(chunk));
      context.req.on('end', () => {
        const type = new URLSearchParams(Buffer.concat(chunks).toString()).get('grant_type');
        grants.push(type ?? '?');
      });
    }
    await next();
  });
  server.on('request', provider.callback());
  const close = async () => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  };
  return { issuer, grants, [Symbol.asyncDispose]: close };
}

/**
 * Plays `login`'s browser at an authorization URL of {@link startAuthorizationServer}: follows the
 * redirects with its cookies, signs in, consents, and returns the query of the redirect back.
 */
export async function loginAndConsent(
  authorizationUrl: URL,
  login: string,
  redirectUrl: string,
): Promise<AuthorizationResponse> {
  const cookies = new Map<string, string>();
  let url = authorizationUrl.href;
  let form: string | undefined;
  for (let step = 0; step < 16; step += 1) {
    const response = await fetch(url, {
      method: form ? 'POST' : 'GET',
      redirect: 'manual',
      headers: {
        cookie: [...cookies].map(([name, value]) => `${name}=${value}`).join('; '),
        ...(form && { 'content-type': 'application/x-www-form-urlencoded' }),
      },
      ...(form && { body: form }),
    });
    for (const cookie of response.headers.getSetCookie()) {
      const [pair = ''] = cookie.split(';');
      const equals = pair.indexOf('=');
      cookies.set(pair.slice(0, equals), pair.slice(equals + 1));
    }
    const page = await response.text();
    const location = response.headers.get('location');
    form = undefined;
    if (location) {
      url = new URL(location, url).href;
      if (!url.startsWith(redirectUrl)) continue;
      const query = new URL(url).searchParams;
      const code = query.get('code');
      if (!code) throw new Error(`The authorization failed: ${query.get('error_description')}`);
      const state = query.get('state');
      const iss = query.get('iss');
      return { code, ...(state !== null && { state }), ...(iss !== null && { iss }) };
    }
    if (page.includes('name="prompt" value="login"')) {
      form = new URLSearchParams({ prompt: 'login', login, password: 'any' }).toString();
    } else if (page.includes('name="prompt" value="consent"')) {
      form = 'prompt=consent';
    } else {
      throw new Error(`Unexpected page from the authorization server (${response.status})`);
    }
  }
  throw new Error('Too many steps at the authorization server');
}
