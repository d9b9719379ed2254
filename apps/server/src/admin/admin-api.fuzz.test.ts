/**
 * The admin API and the REST facade under random input: for every operation of the OpenAPI
 * document, random path segments, query strings and JSON bodies from an operator. Each answer is
 * a success or a problem (`application/problem+json`, 4xx) — never a 5xx — and the hub answers a
 * plain request afterwards. Adding and changing upstreams is left out (a random body could start a
 * random command); their validation is in admin-api.test.ts.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AdminFixture, startAdminFixture } from './admin-test-fixture.js';

let fixture: AdminFixture;
let operations: Array<{ method: string; path: string }>;

beforeAll(async () => {
  fixture = await startAdminFixture();
  const document = (await (await fixture.request('GET', '/admin/v1/openapi.json')).json()) as {
    paths: Record<string, Record<string, unknown>>;
  };
  operations = Object.entries(document.paths)
    .flatMap(([path, item]) =>
      Object.keys(item).map((method) => ({ method: method.toUpperCase(), path })),
    )
    .filter(
      ({ method, path }) =>
        !(path === '/admin/v1/upstreams/{id}' && method !== 'GET' && method !== 'DELETE'),
    )
    .filter(({ path }) => !path.endsWith('/stream') && !path.endsWith('/restart'));
}, 60_000);

afterAll(async () => {
  await fixture?.[Symbol.asyncDispose]();
}, 60_000);

const segment = fc.oneof(
  fc.string({ minLength: 1, maxLength: 40 }),
  fc.constantFrom('docs', 'echo', '*', '..', '%', '%ZZ'),
);
const query = fc.dictionary(
  fc.constantFrom('kind', 'limit', 'after', 'type', 'subject', 'depth', 'newest', 'x'),
  fc.string({ maxLength: 20 }),
);

describe('admin API under random input', () => {
  it('answers every operation with a success or a 4xx problem, never a 5xx', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.nat(),
        segment,
        segment,
        query,
        fc.option(fc.jsonValue({ maxDepth: 3 }), { nil: undefined }),
        async (pick, first, second, parameters, body) => {
          const operation = operations[pick % operations.length]!;
          const values = [first, second];
          const path = operation.path.replace(/\{\w+\}/g, () =>
            encodeURIComponent(values.shift() ?? 'x'),
          );
          const search = new URLSearchParams(parameters).toString();
          const response = await fixture.request(
            operation.method,
            `${path}${search ? `?${search}` : ''}`,
            {
              key: path.startsWith('/api/') ? fixture.userKey : fixture.adminKey,
              ...(body === undefined || operation.method === 'GET' ? {} : { body }),
            },
          );
          const text = await response.text();
          expect({ operation, status: response.status, text }).toMatchObject({
            status: expect.toSatisfy((status: number) => status < 500),
          });
          // Dot segments ("..") may resolve to a path outside the API: the host answers that one.
          const served = new URL(response.url).pathname;
          const ours = served.startsWith('/admin/v1/') || served.startsWith('/api/v1/');
          if (response.status >= 400 && ours) {
            expect(response.headers.get('content-type')).toBe('application/problem+json');
          }
        },
      ),
      { numRuns: 400 },
    );
    expect(
      (await fixture.request('GET', '/admin/v1/upstreams', { key: fixture.adminKey })).status,
    ).toBe(200);
  }, 300_000);
});
