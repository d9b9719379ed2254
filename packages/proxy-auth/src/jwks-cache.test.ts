import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { startLocalIssuer } from '../test/local-issuer.js';
import { createJwksCache } from './jwks-cache.js';

// A key set endpoint whose answer the test chooses.
async function startKeySetServer(answer: (response: ServerResponse) => void) {
  let requests = 0;
  const server = createServer((_request, response) => {
    requests += 1;
    answer(response);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/jwks.json`,
    get requests() {
      return requests;
    },
    async [Symbol.asyncDispose]() {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

describe('createJwksCache', () => {
  it('keeps serving cached keys when a refresh fails, and refreshes when the issuer is back', async () => {
    await using issuer = await startLocalIssuer();
    let clock = Date.now();
    let up = true;
    const cache = createJwksCache({
      uri: issuer.jwksUri,
      maxAgeMs: 60_000,
      cooldownMs: 1_000,
      now: () => clock,
      fetch: (input, init) =>
        up ? fetch(input, init) : Promise.reject(new TypeError('fetch failed')),
    });
    const header = { alg: 'RS256', kid: 'rsa-1' };
    await expect(cache(header)).resolves.toBeDefined();
    up = false;
    clock += 120_000; // stale, and the issuer is down
    await expect(cache(header)).resolves.toBeDefined();
    expect(issuer.jwksRequests).toBe(1);
    up = true;
    clock += 2_000;
    await expect(cache(header)).resolves.toBeDefined();
    expect(issuer.jwksRequests).toBe(2);
    expect(cache.keys()?.keys).toHaveLength(1);
  });

  it('refuses documents that are not key sets, too large, or redirects', async () => {
    await using notJson = await startKeySetServer((response) => response.end('<html>'));
    await expect(createJwksCache({ uri: notJson.url })()).rejects.toThrow(
      /is not a valid JSON Web Key Set/,
    );

    await using noKeys = await startKeySetServer((response) => response.end('{"kids":[]}'));
    await expect(createJwksCache({ uri: noKeys.url })()).rejects.toThrow(
      /is not a valid JSON Web Key Set/,
    );

    await using huge = await startKeySetServer((response) => {
      response.write(`{"keys":[{"kty":"oct","k":"${'A'.repeat(300_000)}`);
      response.end('"}]}');
    });
    await expect(
      createJwksCache({ uri: huge.url, maxDocumentLength: 100_000 })(),
    ).rejects.toMatchObject({
      code: 'UPSTREAM_UNAVAILABLE',
      cause: { message: 'the document is longer than 100000 characters' },
    });

    await using redirect = await startKeySetServer((response) => {
      response.writeHead(302, { location: 'http://169.254.169.254/latest/meta-data' }).end();
    });
    await expect(createJwksCache({ uri: redirect.url })()).rejects.toThrow(/answered HTTP 302/);
    expect(redirect.requests).toBe(1);
  });

  it('rate-limits fetches after a failure', async () => {
    await using failing = await startKeySetServer((response) => response.writeHead(500).end());
    let clock = 0;
    const cache = createJwksCache({ uri: failing.url, cooldownMs: 30_000, now: () => clock });
    await expect(cache({ alg: 'RS256' })).rejects.toThrow(/answered HTTP 500/);
    await expect(cache({ alg: 'RS256' })).rejects.toThrow(/could not be fetched recently/);
    expect(failing.requests).toBe(1);
    clock += 30_000;
    await expect(cache({ alg: 'RS256' })).rejects.toThrow(/answered HTTP 500/);
    expect(failing.requests).toBe(2);
  });

  it('retries an unreachable issuer after 1 s, 2 s, 4 s … up to the cooldown, and the full cooldown once it answered', async () => {
    await using issuer = await startLocalIssuer();
    let clock = 0;
    let up = false;
    let attempts = 0;
    const cache = createJwksCache({
      // Discovery first, as a peer's key set is found: its fetch fails while the peer is down.
      uri: async () => {
        attempts += 1;
        if (!up) throw new TypeError('fetch failed');
        return issuer.jwksUri;
      },
      cooldownMs: 5_000,
      now: () => clock,
    });
    const header = { alg: 'RS256', kid: 'rsa-1' };
    await expect(cache(header)).rejects.toMatchObject({
      code: 'UPSTREAM_UNAVAILABLE',
      data: { unreachable: true },
    });
    for (const delay of [1_000, 2_000, 4_000, 5_000, 5_000]) {
      clock += delay - 1;
      await expect(cache(header)).rejects.toMatchObject({
        message: expect.stringMatching(/could not be fetched recently; retrying in 1 s/),
        data: { retryAfterMs: 1 },
      });
      clock += 1;
      await expect(cache(header)).rejects.toMatchObject({ data: { unreachable: true } });
    }
    expect(attempts).toBe(6);
    up = true;
    clock += 5_000;
    await expect(cache(header)).resolves.toBeDefined();
    expect(attempts).toBe(7);
  });

  it('waits the full cooldown after the issuer answered with an error', async () => {
    await using failing = await startKeySetServer((response) => response.writeHead(404).end());
    let clock = 0;
    const cache = createJwksCache({ uri: failing.url, cooldownMs: 30_000, now: () => clock });
    await expect(cache({ alg: 'RS256' })).rejects.toThrow(/answered HTTP 404/);
    clock += 29_999;
    await expect(cache({ alg: 'RS256' })).rejects.toMatchObject({
      data: { retryAfterMs: 1 },
    });
    expect(failing.requests).toBe(1);
  });
});
