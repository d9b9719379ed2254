import {
  dropSchema,
  postgresAvailable,
  postgresUrl,
  runSchema,
} from '@fedmcp/test-support/postgres';
import { afterAll, describe } from 'vitest';
import { createPostgresStore } from '../src/postgres/index.js';
import { describeStoreContract } from './store-contract.js';

describe.runIf(postgresAvailable)('postgres engine', () => {
  const schema = runSchema('contract');
  afterAll(async () => {
    await dropSchema(schema);
  });

  describeStoreContract({
    name: 'postgres',
    sharesState: true,
    // Every handle has its own pool, as another replica would.
    open: (prefix) => createPostgresStore({ url: postgresUrl, schema, prefix }),
  });
});
