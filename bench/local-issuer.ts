/**
 * A local OAuth issuer for the auth benchmarks: signing keys made with Web Crypto (no jose import
 * outside the package) and their JWKS served on a real loopback socket, counting fetches.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

const encoder = new TextEncoder();
const base64url = (bytes: Uint8Array) => Buffer.from(bytes).toString('base64url');

/** A signing key of the issuer: its public JWK and a `sign(claims)` for access tokens. */
export async function issuerKey(alg: 'RS256' | 'ES256', kid: string) {
  const algorithm =
    alg === 'RS256'
      ? {
          name: 'RSASSA-PKCS1-v1_5',
          modulusLength: 2048,
          publicExponent: new Uint8Array([1, 0, 1]),
          hash: 'SHA-256',
        }
      : { name: 'ECDSA', namedCurve: 'P-256' };
  const pair = (await crypto.subtle.generateKey(algorithm, true, [
    'sign',
    'verify',
  ])) as CryptoKeyPair;
  const jwk = { ...(await crypto.subtle.exportKey('jwk', pair.publicKey)), kid, alg, use: 'sig' };
  async function sign(claims: Record<string, unknown>): Promise<string> {
    const header = base64url(encoder.encode(JSON.stringify({ alg, kid, typ: 'at+jwt' })));
    const payload = base64url(encoder.encode(JSON.stringify(claims)));
    const signature = await crypto.subtle.sign(
      alg === 'RS256' ? 'RSASSA-PKCS1-v1_5' : { name: 'ECDSA', hash: 'SHA-256' },
      pair.privateKey,
      encoder.encode(`${header}.${payload}`),
    );
    return `${header}.${payload}.${base64url(new Uint8Array(signature))}`;
  }
  return { jwk, sign };
}

/** Serves `keys` as a JWKS on 127.0.0.1 (any path); `issuer` is its base URL with a trailing `/`. */
export async function serveJwks(keys: readonly object[]) {
  let requests = 0;
  const server = createServer((_request, response) => {
    requests += 1;
    response.writeHead(200, { 'content-type': 'application/json' });
    response.end(JSON.stringify({ keys }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  return {
    issuer,
    /** How many times the key set was fetched. */
    requests: () => requests,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
