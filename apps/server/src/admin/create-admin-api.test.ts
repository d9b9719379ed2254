// The Node host's adapter of the web-standard admin API: bodies are streamed into the web request
// and refused past the limit (413, the connection closed after the answer, so no later request
// waits behind the unread rest), a method no web Request can carry is answered (405), and the hub
// keeps serving after both.
import { request as httpRequest } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AdminFixture, startAdminFixture } from './admin-test-fixture.js';
import { MAX_BODY_BYTES } from './http-io.js';

let fixture: AdminFixture;

beforeAll(async () => {
  fixture = await startAdminFixture();
}, 60_000);

afterAll(async () => {
  await fixture?.[Symbol.asyncDispose]();
});

/** A raw request with node:http, for what fetch will not send. */
function raw(
  method: string,
  path: string,
): Promise<{ status: number; type: string; body: string }> {
  return new Promise((resolve, reject) => {
    const sent = httpRequest(`${fixture.baseUrl}${path}`, { method }, (response) => {
      let body = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => {
        body += chunk;
      });
      response.on('end', () =>
        resolve({
          status: response.statusCode ?? 0,
          type: response.headers['content-type'] ?? '',
          body,
        }),
      );
    });
    sent.on('error', reject);
    sent.end();
  });
}

describe('the admin API on the Node host (adapter)', () => {
  it('refuses a body over the limit with 413, then serves the next request', async () => {
    const big = JSON.stringify({ subject: 'x'.repeat(MAX_BODY_BYTES), target: 'docs__echo' });
    const refused = await fixture.request('POST', '/admin/v1/consent', {
      key: fixture.adminKey,
      body: JSON.parse(big),
    });
    expect(refused.status).toBe(413);
    expect(refused.headers.get('content-type')).toBe('application/problem+json');
    expect(((await refused.json()) as { detail: string }).detail).toContain(String(MAX_BODY_BYTES));
    // The rest of the refused body is never read: later requests (on any connection) are served.
    for (const path of ['/upstreams', '/consent', '/tools']) {
      expect(
        (await fixture.request('GET', `/admin/v1${path}`, { key: fixture.adminKey })).status,
      ).toBe(200);
    }
    const { grants } = await fixture.admin<{ grants: unknown[] }>('GET', '/consent');
    expect(Array.isArray(grants)).toBe(true);
  });

  it('answers a method no web request can carry (TRACE) with a 405 problem', async () => {
    const answer = await raw('TRACE', '/admin/v1/upstreams');
    expect(answer.status).toBe(405);
    expect(answer.type).toBe('application/problem+json');
    expect(JSON.parse(answer.body)).toMatchObject({ status: 405 });
    const upstreams = await fixture.admin<{ upstreams: unknown[] }>('GET', '/upstreams');
    expect(upstreams.upstreams.length).toBeGreaterThan(0);
  });
});
