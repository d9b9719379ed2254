/**
 * `fedmcp serve` with `"store": "postgres://…"`: the hub opens the PostgreSQL engine from the
 * config's store URL (its schema from `?schema=`), serves calls, and its audit trail is in the
 * database, where another replica reads it. Runs whenever CI=true (a missing PostgreSQL fails the
 * run); elsewhere it skips with a printed notice.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readAuditEvents } from '@fedmcp/proxy-auth';
import { createStore } from '@fedmcp/store/node';
import postgres from 'postgres';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { connectClient } from './auth/test-fixtures.js';
import { parseConfig } from './config/load-config.js';
import { createFedmcpServer, type FedmcpServer } from './create-fedmcp-server.js';
import { apiKeyFor } from './federation/chain-fixtures.js';

const postgresUrl =
  process.env.FEDMCP_TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const admin = postgres(postgresUrl, { max: 1, connect_timeout: 2, onnotice: () => undefined });
const available = await admin`SELECT 1`.then(
  () => true,
  () => false,
);
if (!available) {
  await admin.end({ timeout: 1 });
  if (process.env.CI === 'true') {
    throw new Error(`PostgreSQL is required in CI but not reachable at ${postgresUrl}.`);
  }
  console.warn(
    `notice: PostgreSQL not reachable at ${postgresUrl}; skipping the postgres store test.`,
  );
}

const everything = fileURLToPath(
  new URL(
    '../../../node_modules/@modelcontextprotocol/server-everything/dist/index.js',
    import.meta.url,
  ),
);

describe.runIf(available)('a hub on the postgres store', () => {
  const schema = `fedmcp_test_server_${Date.now().toString(36)}${Math.random().toString(36).slice(2, 8)}`;
  let directory = '';
  afterAll(async () => {
    await admin.unsafe(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    await admin.end({ timeout: 1 });
    if (directory) await rm(directory, { recursive: true, force: true });
  });

  it('serves calls and keeps its audit trail in PostgreSQL, readable by another replica', async () => {
    directory = await mkdtemp(join(tmpdir(), 'fedmcp-postgres-store-'));
    const alice = await apiKeyFor('alice');
    const storeUrl = `${postgresUrl}?schema=${schema}`;
    const config = parseConfig(
      {
        hub: { host: '127.0.0.1', port: 0, id: 'pg' },
        store: storeUrl,
        auth: { apiKeys: [alice.entry] },
        mcpServers: { ev: { command: process.execPath, args: [everything, 'stdio'] } },
      },
      'postgres store test',
    );
    const server = await createFedmcpServer({ config, baseDirectory: directory });
    try {
      await useHub(server, alice.key);
    } finally {
      await server.close();
    }
    // The hub is gone; another replica on the same database reads what it audited.
    await using replica = await createStore(storeUrl);
    const events = (await readAuditEvents(replica.streams)).map(({ event }) => event);
    expect(events).toContainEqual(
      expect.objectContaining({ action: 'tools/call', target: 'ev__echo' }),
    );
  }, 60_000);

  async function useHub(server: FedmcpServer, apiKey: string): Promise<void> {
    expect(server.store.engine).toBe('postgres');
    const { url } = await server.listen();
    const base = url.replace(/\/mcp$/, '');
    expect((await fetch(`${base}/readyz`)).status).toBe(200);

    const client = await connectClient(base, 'streamable-http', { 'x-api-key': apiKey });
    try {
      await vi.waitFor(
        async () => {
          const { tools } = await client.listTools();
          expect(tools.map((tool) => tool.name)).toContain('ev__echo');
        },
        { timeout: 20_000 },
      );
      const result = await client.callTool({ name: 'ev__echo', arguments: { message: 'hi' } });
      expect(result.content).toEqual([{ type: 'text', text: 'Echo: hi' }]);
    } finally {
      await client.close();
    }
  }
});
