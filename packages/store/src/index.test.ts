import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import * as root from './index.js';
import * as node from './node/index.js';
import * as postgres from './postgres/index.js';

describe('@fedmcp/store exports', () => {
  it('pins the runtime exports of the root, ./node and ./postgres', () => {
    expect(Object.keys(root).sort()).toMatchInlineSnapshot(`
      [
        "SEALED_PUBSUB_MAX_AGE_MS",
        "SEALED_PUBSUB_PURPOSE",
        "StoreError",
        "compareStreamIds",
        "createMemoryStore",
        "deriveClusterKey",
        "formatStreamId",
        "fromBase64Url",
        "openClusterText",
        "parseStreamId",
        "sealClusterText",
        "sealPubSub",
        "toBase64Url",
        "withSealedPubSub",
      ]
    `);
    expect(Object.keys(node).sort()).toMatchInlineSnapshot(`
      [
        "createPostgresStore",
        "createRedisStore",
        "createSqliteStore",
        "createStore",
        "defaultSqlitePath",
        "defaultStoreUrl",
      ]
    `);
    expect(Object.keys(postgres)).toEqual(['createPostgresStore']);
  });

  it('keeps the root web-standard: no node: or native imports outside src/node', () => {
    const directory = new URL('./', import.meta.url);
    const files = readdirSync(directory).filter(
      (file) => file.endsWith('.ts') && !file.endsWith('.test.ts'),
    );
    expect(files.length).toBeGreaterThan(5);
    for (const file of files) {
      const source = readFileSync(new URL(file, directory), 'utf8');
      expect(source, file).not.toMatch(/from '(node:|better-sqlite3|ioredis)/);
    }
  });

  it('keeps the postgres engine web-standard (Deno, Bun): no node: or native imports', () => {
    const directory = new URL('./postgres/', import.meta.url);
    const files = readdirSync(directory).filter((file) => file.endsWith('.ts'));
    expect(files.length).toBeGreaterThan(3);
    for (const file of files) {
      const source = readFileSync(new URL(file, directory), 'utf8');
      expect(source, file).not.toMatch(/from '(node:|better-sqlite3|ioredis|\.\.\/node\/)/);
    }
  });
});
