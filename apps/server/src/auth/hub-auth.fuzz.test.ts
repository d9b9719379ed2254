/**
 * A running hub under random credentials (issue #6): a few hundred garbage tokens, truncated and
 * tampered JWTs, bad schemes, duplicated and huge headers, sent to `/mcp` over real HTTP. Every
 * one is refused (401, 400, or 431 for headers over the server's limit), none is served, and the
 * hub keeps serving a valid token afterwards. The 10,000-case property of `authenticateRequest`
 * itself is in @fedmcp/proxy-auth (authenticate-request.fuzz.test.ts).
 */
import { request as httpRequest } from 'node:http';
import { generateApiKey, hashApiKey } from '@fedmcp/proxy-auth';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../config/load-config.js';
import { createFedmcpServer } from '../create-fedmcp-server.js';
import { startTestIssuer } from './test-fixtures.js';

const initialize = JSON.stringify({
  jsonrpc: '2.0',
  id: 1,
  method: 'initialize',
  params: {
    protocolVersion: '2025-11-25',
    capabilities: {},
    clientInfo: { name: 'fuzz', version: '1.0.0' },
  },
});

type RawHeaders = Record<string, string | string[]>;

/** POSTs an initialize with raw headers (node:http sends what fetch would normalise or refuse). */
function post(url: string, headers: RawHeaders): Promise<number> {
  return new Promise((resolve, reject) => {
    const request = httpRequest(`${url}/mcp`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        accept: 'application/json, text/event-stream',
        ...headers,
      },
    });
    request.on('response', (response) => {
      response.resume();
      response.on('end', () => resolve(response.statusCode ?? 0));
    });
    request.on('error', reject);
    request.end(initialize);
  });
}

// What node:http may put in a header value: tab, visible ASCII and obs-text (RFC 9110 §5.5).
const headerSafe = (value: string) => value.replace(/[^\t\x20-\x7e\x80-\xff]/g, '');

function credentials(validToken: string) {
  const signed = validToken.slice(0, validToken.lastIndexOf('.'));
  return fc.oneof(
    fc.string({ maxLength: 200 }).map(headerSafe),
    fc.string({ unit: 'binary', maxLength: 200 }).map(headerSafe),
    fc
      .array(fc.base64String({ maxLength: 64 }), { minLength: 2, maxLength: 5 })
      .map((parts) => parts.join('.')),
    // A valid token truncated anywhere.
    fc.nat().map((cut) => validToken.slice(0, cut % validToken.length)),
    // A valid token with one character of its signed part changed (the signature stays).
    fc.tuple(fc.nat(), fc.constantFrom('A', 'b', '-', '_', '.')).map(([position, character]) => {
      const index = position % signed.length;
      const changed = `${signed.slice(0, index)}${character}${signed.slice(index + 1)}`;
      return changed === signed ? `x${validToken}` : `${changed}${validToken.slice(signed.length)}`;
    }),
    // Huge values: above and below node's 16 KiB header limit.
    fc.integer({ min: 8_000, max: 70_000 }).map((length) => 'A'.repeat(length)),
    fc.constantFrom('fmk_', `fmk_${'A'.repeat(43)}`, 'fmk_../../etc/passwd', 'none', 'null'),
  );
}

function headerSets(validToken: string): fc.Arbitrary<RawHeaders> {
  const credential = credentials(validToken);
  return fc.oneof(
    credential.map((value) => ({ authorization: `Bearer ${value}` })),
    fc
      .tuple(
        fc.constantFrom('Bearer', 'bearer', 'Basic', 'Token', 'BEARER\t', 'Digest'),
        credential,
      )
      .map(([scheme, value]) => ({ authorization: `${scheme} ${value}` })),
    credential.map((value) => ({ 'x-api-key': value })),
    fc
      .tuple(credential, credential)
      .map(([first, second]) => ({ authorization: [`Bearer ${first}`, `Bearer ${second}`] })),
    fc.tuple(credential, credential).map(([first, second]) => ({
      authorization: `Bearer ${first}`,
      'x-api-key': second,
    })),
    fc.constant({}),
  );
}

describe('a running hub under random credentials', () => {
  it('refuses 400 random tokens and headers on /mcp (401, 400 or 431, never served) and keeps serving', async () => {
    await using issuer = await startTestIssuer();
    const apiKey = generateApiKey();
    await using server = await createFedmcpServer({
      config: parseConfig(
        {
          hub: { host: '127.0.0.1', port: 0 },
          store: 'memory:',
          auth: {
            oauth: { issuer: issuer.issuer, jwksUri: issuer.jwksUri },
            apiKeys: [{ hash: await hashApiKey(apiKey), subject: 'ci' }],
          },
        },
        'test.json',
        { env: {} },
      ),
    });
    const { url } = await server.listen();
    const resource = server.authentication?.resource ?? '';
    const validToken = await issuer.sign({ sub: 'alice', aud: resource });
    const samples = fc.sample(headerSets(validToken), { numRuns: 400, seed: 6 });
    const statuses = new Map<number, number>();
    // Eight at a time: concurrent refusals must not disturb one another either.
    for (let start = 0; start < samples.length; start += 8) {
      const batch = samples.slice(start, start + 8);
      const answers = await Promise.all(batch.map((headers) => post(url, headers)));
      answers.forEach((status, index) => {
        statuses.set(status, (statuses.get(status) ?? 0) + 1);
        expect([400, 401, 431], JSON.stringify(batch[index]).slice(0, 300)).toContain(status);
      });
    }
    expect(statuses.get(401)).toBeGreaterThan(200);
    expect(statuses.has(431)).toBe(true);
    // Still up, still serving the real credentials.
    expect(await post(url, { authorization: `Bearer ${validToken}` })).toBe(200);
    expect(await post(url, { 'x-api-key': apiKey })).toBe(200);
  }, 120_000);
});
