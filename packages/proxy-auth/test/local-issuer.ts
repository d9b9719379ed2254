/**
 * A real, minimal OAuth issuer for tests: a JWKS endpoint on 127.0.0.1 (ephemeral port) that
 * counts its requests, keys made with jose, and a signer for tokens. Dispose it to stop the
 * server.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  type CryptoKey,
  exportJWK,
  generateKeyPair,
  type JWK,
  type JWTPayload,
  SignJWT,
} from 'jose';

export interface IssuerKey {
  kid: string;
  alg: string;
  privateKey: CryptoKey;
  publicKey: CryptoKey;
  publicJwk: JWK;
}

export interface LocalIssuer extends AsyncDisposable {
  readonly issuer: string;
  readonly jwksUri: string;
  /** How many times the JWKS endpoint was fetched. */
  readonly jwksRequests: number;
  /** How many times the OpenID configuration was fetched. */
  readonly discoveryRequests: number;
  /** How many requests of any kind reached the issuer. */
  readonly totalRequests: number;
  readonly keys: IssuerKey[];
  /** Creates a key; `publish` (default true) puts it in the served JWKS. */
  addKey(alg: string, kid: string, publish?: boolean): Promise<IssuerKey>;
  /** Signs a token with a key (default the first), with sensible claims. */
  sign(
    claims?: JWTPayload,
    options?: { key?: IssuerKey; header?: Record<string, unknown> },
  ): Promise<string>;
  close(): Promise<void>;
}

export const AUDIENCE = 'https://hub.example.com/mcp';

export async function startLocalIssuer(): Promise<LocalIssuer> {
  const keys: IssuerKey[] = [];
  const published = new Set<string>();
  let jwksRequests = 0;
  let discoveryRequests = 0;
  let totalRequests = 0;
  const server = createServer((request, response) => {
    totalRequests += 1;
    if (request.url === '/.well-known/openid-configuration') {
      discoveryRequests += 1;
      response.writeHead(200, { 'content-type': 'application/json' });
      response.end(JSON.stringify({ issuer: `${origin}/`, jwks_uri: `${origin}/jwks.json` }));
      return;
    }
    if (request.url === '/jwks.json') {
      jwksRequests += 1;
      response.writeHead(200, { 'content-type': 'application/json' });
      response.end(
        JSON.stringify({
          keys: keys.filter((key) => published.has(key.kid)).map((key) => key.publicJwk),
        }),
      );
      return;
    }
    response.writeHead(404).end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const origin = `http://127.0.0.1:${port}`;

  async function addKey(alg: string, kid: string, publish = true): Promise<IssuerKey> {
    const pair = await generateKeyPair(alg, { extractable: true });
    const publicJwk = { ...(await exportJWK(pair.publicKey)), kid, alg, use: 'sig' };
    const key = { kid, alg, privateKey: pair.privateKey, publicKey: pair.publicKey, publicJwk };
    keys.push(key);
    if (publish) published.add(kid);
    return key;
  }

  await addKey('RS256', 'rsa-1');

  const close = () =>
    new Promise<void>((resolve, reject) => {
      server.closeAllConnections();
      server.close((error) => (error ? reject(error) : resolve()));
    });

  return {
    issuer: `${origin}/`,
    jwksUri: `${origin}/jwks.json`,
    get jwksRequests() {
      return jwksRequests;
    },
    get discoveryRequests() {
      return discoveryRequests;
    },
    get totalRequests() {
      return totalRequests;
    },
    keys,
    addKey,
    async sign(claims = {}, options = {}) {
      const key = options.key ?? keys[0]!;
      const now = Math.floor(Date.now() / 1000);
      return new SignJWT({ scope: 'tools.read tools.call', groups: ['dev'], ...claims })
        .setProtectedHeader({ alg: key.alg, kid: key.kid, typ: 'at+jwt', ...options.header })
        .setIssuer(typeof claims.iss === 'string' ? claims.iss : `${origin}/`)
        .setAudience(claims.aud ?? AUDIENCE)
        .setSubject(claims.sub ?? 'alice')
        .setIssuedAt(claims.iat ?? now)
        .setExpirationTime(claims.exp ?? now + 300)
        .sign(key.privateKey);
    },
    close,
    [Symbol.asyncDispose]: close,
  };
}
