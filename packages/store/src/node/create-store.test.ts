import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  dropSchema,
  postgresAvailable,
  postgresUrl,
  runSchema,
} from '@fedmcp/test-support/postgres';
import { afterAll, describe, expect, it } from 'vitest';
import { redisAvailable, redisUrl } from '../../test/redis-test-server.js';
import { StoreError } from '../store-error.js';
import { createStore, defaultStoreUrl } from './create-store.js';

const directory = mkdtempSync(join(tmpdir(), 'fedmcp-create-store-'));
afterAll(() => rmSync(directory, { recursive: true, force: true }));

describe('createStore', () => {
  it('opens a memory store for memory:', async () => {
    await using store = await createStore('memory:');
    expect(store.engine).toBe('memory');
  });

  it('opens a sqlite file for sqlite:PATH and sqlite:///absolute, creating its directory', async () => {
    const path = join(directory, 'nested', 'state.db');
    {
      await using store = await createStore(`sqlite:${path}`);
      expect(store.engine).toBe('sqlite');
      await store.kv.set('k', 'v');
    }
    expect(existsSync(path)).toBe(true);
    await using again = await createStore(`sqlite://${path}`);
    expect((await again.kv.get('k'))?.value).toBe('v');
  });

  it('defaults to ./.fedmcp/state.db', async () => {
    expect(defaultStoreUrl).toBe('sqlite:./.fedmcp/state.db');
    const cwd = process.cwd();
    process.chdir(directory);
    try {
      await using store = await createStore();
      expect(store.engine).toBe('sqlite');
      expect(existsSync(join(directory, '.fedmcp', 'state.db'))).toBe(true);
    } finally {
      process.chdir(cwd);
    }
  });

  it('refuses other schemes with STORE_INVALID_ARGUMENT, hiding credentials', async () => {
    const error = await createStore('mysql://user:secret@db/x').catch((caught: unknown) => caught);
    expect(StoreError.isInstance(error) && error.code).toBe('STORE_INVALID_ARGUMENT');
    expect((error as Error).message).not.toContain('secret');
  });

  it('fails with STORE_UNAVAILABLE when Redis cannot be reached', async () => {
    const error = await createStore('redis://127.0.0.1:1', {
      redis: { connectTimeoutMs: 500 },
    }).catch((caught: unknown) => caught);
    expect(StoreError.isInstance(error) && error.code).toBe('STORE_UNAVAILABLE');
  });

  it.runIf(redisAvailable)('opens a redis store for redis://', async () => {
    await using store = await createStore(redisUrl, {
      prefix: `fedmcp-test:create-store:${process.pid}:`,
    });
    expect(store.engine).toBe('redis');
    await store.kv.set('k', 'v');
    expect(await store.kv.delete('k')).toBe(true);
  });

  it('fails with STORE_UNAVAILABLE when PostgreSQL cannot be reached, hiding credentials', async () => {
    const error = await createStore('postgres://user:secret@127.0.0.1:1/x', {
      postgres: { connectTimeoutMs: 500 },
    }).catch((caught: unknown) => caught);
    expect(StoreError.isInstance(error) && error.code).toBe('STORE_UNAVAILABLE');
    expect((error as Error).message).not.toContain('secret');
  });

  it.runIf(postgresAvailable)(
    'opens a postgres store for postgres:// and postgresql://…?schema=',
    async () => {
      const schema = runSchema('create_store');
      try {
        {
          await using store = await createStore(postgresUrl, { postgres: { schema } });
          expect(store.engine).toBe('postgres');
          await store.kv.set('k', 'v');
        }
        // The schema may come from the URL, as a config file names it.
        await using again = await createStore(
          `${postgresUrl.replace('postgres:', 'postgresql:')}?schema=${schema}`,
        );
        expect((await again.kv.get('k'))?.value).toBe('v');
      } finally {
        await dropSchema(schema);
      }
    },
  );
});
