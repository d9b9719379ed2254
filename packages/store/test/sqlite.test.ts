import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll } from 'vitest';
import { createSqliteStore } from '../src/node/index.js';
import { describeStoreContract } from './store-contract.js';

const directory = mkdtempSync(join(tmpdir(), 'fedmcp-store-sqlite-'));
afterAll(() => rmSync(directory, { recursive: true, force: true }));

describeStoreContract({
  name: 'sqlite',
  sharesState: true,
  // Every handle opens its own connection to one file, as separate processes would.
  open: async (prefix) =>
    createSqliteStore({ path: join(directory, 'state.db'), prefix, synchronous: 'normal' }),
});
