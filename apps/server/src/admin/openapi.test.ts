/**
 * The OpenAPI 3.1 document served at `/admin/v1/openapi.json`: valid by `@readme/openapi-parser`,
 * and in step with the code — every route defined in `routes/*.ts` is in it, and every operation
 * in it is served by the hub (not answered "no route").
 */
import { readdir, readFile } from 'node:fs/promises';
import { validate } from '@readme/openapi-parser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AdminFixture, startAdminFixture } from './admin-test-fixture.js';

type Document = {
  openapi: string;
  paths: Record<
    string,
    Record<string, { operationId: string; parameters?: Array<{ name: string; in: string }> }>
  >;
};

let fixture: AdminFixture;
let document: Document;

beforeAll(async () => {
  fixture = await startAdminFixture();
  const response = await fixture.request('GET', '/admin/v1/openapi.json');
  expect(response.status).toBe(200);
  document = (await response.json()) as Document;
}, 60_000);

afterAll(async () => {
  await fixture?.[Symbol.asyncDispose]();
}, 60_000);

/** `METHOD path` of every `defineRoute` in the route files, read from the source. */
/** Routes only a hub at the edge serves. */
const EDGE_ONLY = [
  'GET /admin/v1/upstreams/{id}/oauth-login',
  'POST /admin/v1/upstreams/{id}/oauth-login',
];

async function routesInSource(): Promise<string[]> {
  const folder = new URL('./routes/', import.meta.url);
  const found: string[] = [];
  for (const file of await readdir(folder)) {
    if (!file.endsWith('.ts') || file.endsWith('.test.ts')) continue;
    const source = await readFile(new URL(file, folder), 'utf8');
    const base = file === 'tool-call-route.ts' ? '/api/v1' : '/admin/v1';
    for (const match of source.matchAll(/defineRoute\(\{\s*method: '(\w+)',\s*path: '([^']+)'/g)) {
      found.push(`${match[1]} ${base}${match[2]}`);
    }
  }
  return found.sort();
}

function operations(doc: Document): string[] {
  return Object.entries(doc.paths)
    .flatMap(([path, item]) => Object.keys(item).map((method) => `${method.toUpperCase()} ${path}`))
    .sort();
}

describe('the OpenAPI document', () => {
  it('is a valid OpenAPI 3.1 document', async () => {
    expect(document.openapi).toBe('3.1.0');
    const result = await validate(structuredClone(document) as never);
    expect(result.valid ? [] : result.errors).toEqual([]);
    expect(result.valid).toBe(true);
  });

  it('lists exactly the routes defined in the code', async () => {
    const defined = await routesInSource();
    expect(defined.length).toBeGreaterThan(25);
    // The hub's own OAuth login over the admin API is served by the edge hub only (on Node,
    // `fedmcp auth login` listens on a loopback redirect itself): deploy-hub-login.test.ts.
    expect(defined).toEqual(expect.arrayContaining(EDGE_ONLY));
    expect(operations(document)).toEqual(defined.filter((route) => !EDGE_ONLY.includes(route)));
  });

  it('has every operation served by the hub: a request is answered by its route, not "no route"', async () => {
    for (const operation of operations(document)) {
      const [method, template] = operation.split(' ') as [string, string];
      const path = template.replace(/\{(\w+)\}/g, 'x');
      // The user key: admin routes stop at the scope check (403), the facade gets past it.
      const response = await fixture.request(method, path, { key: fixture.userKey });
      const expected = path.startsWith('/admin/v1') ? 403 : 400;
      expect({ operation, status: response.status }).toEqual({ operation, status: expected });
    }
  });

  it('documents each path parameter and the problem responses', () => {
    for (const [path, item] of Object.entries(document.paths)) {
      const names = [...path.matchAll(/\{(\w+)\}/g)].map((match) => match[1]);
      for (const operation of Object.values(item)) {
        const inPath = (operation.parameters ?? [])
          .filter((p) => p.in === 'path')
          .map((p) => p.name);
        expect(inPath.sort()).toEqual(names.sort());
      }
    }
    expect(JSON.stringify(document)).toContain('application/problem+json');
  });
});
