/**
 * Two runtimes on one store behave as replicas: deliveries of the same events to both are stored
 * once, the automation runs once per event across both runners, and a subscriber of one replica
 * hears of an event received by the other. On SQLite (a file shared by both), Redis and
 * PostgreSQL; with CI=true a missing Redis or PostgreSQL fails the run, elsewhere its engine is
 * left out with a printed notice.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Store } from '@fedmcp/store';
import { createStore } from '@fedmcp/store/node';
import { Client, InMemoryTransport } from '@modelcontextprotocol/client';
import { afterAll, describe, expect, it } from 'vitest';
import type { AutomationRun } from '../automations/automation-types.js';
import { createRuntimeServer, type RuntimeServer } from './create-runtime-server.js';

const SECRET = 'replica-shared-bearer-secret';
const EVENTS = 40;
const prefix = `fedmcp-test-runtime:${crypto.randomUUID()}:`;
const directory = await mkdtemp(join(tmpdir(), 'fedmcp-runtime-replicas-'));

async function open(url: string, engine: string): Promise<(() => Promise<Store>) | undefined> {
  try {
    const probe = await createStore(url, { prefix });
    await probe.kv.get('probe');
    await probe.close();
    return () => createStore(url, { prefix });
  } catch (error) {
    if (process.env.CI === 'true') throw new Error(`${engine} is required in CI: ${error}`);
    process.stderr.write(
      `notice: ${engine} not reachable at ${url}; its replica test is left out.\n`,
    );
    return undefined;
  }
}

const engines = Object.entries({
  sqlite: await open(`sqlite:${join(directory, 'state.db')}`, 'SQLite'),
  redis: await open(process.env.FEDMCP_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379', 'Redis'),
  postgres: await open(
    process.env.FEDMCP_TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test',
    'PostgreSQL',
  ),
}).filter((entry): entry is [string, () => Promise<Store>] => entry[1] !== undefined);

afterAll(() => rm(directory, { recursive: true, force: true }));

describe.each(engines)('runtime replicas on %s', (_engine, openStore) => {
  it('stores each event once, runs its automation once, and notifies across replicas', async () => {
    const stores = [await openStore(), await openStore()];
    const runs: AutomationRun[] = [];
    const calls = new Map<string, number>();
    const replicas: RuntimeServer[] = stores.map((store) =>
      createRuntimeServer({
        store,
        webhooks: [{ name: 'ci', scheme: 'bearer', secret: SECRET }],
        automations: [{ name: 'count', on: 'webhook:ci', call: 'x__count', as: 'svc' }],
        callTool: async (_principal, _name, _args, { idempotencyKey }) => {
          calls.set(idempotencyKey, (calls.get(idempotencyKey) ?? 0) + 1);
          return { structuredContent: { ok: true } };
        },
        retryDelayMs: 10,
      }),
    );
    // A subscriber of replica 0 must hear of an event that only replica 1 received.
    const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
    await (replicas[0] as RuntimeServer).createServer().connect(serverSide);
    const client = new Client({ name: 'subscriber', version: '1.0.0' });
    const heard = new Promise<string>((resolve) =>
      client.setNotificationHandler('notifications/resources/updated', (notification) =>
        resolve(notification.params.uri),
      ),
    );
    await client.connect(clientSide);
    try {
      for (const replica of replicas) await replica.start();
      await client.subscribeResource({ uri: 'webhook://ci/events' });
      const deliver = (replica: RuntimeServer, id: string) =>
        replica.handleWebhook(
          'ci',
          new Request('http://hub/hooks/ci', {
            method: 'POST',
            headers: { authorization: `Bearer ${SECRET}`, 'webhook-id': id },
            body: JSON.stringify({ id }),
          }),
        );
      const first = await deliver(replicas[1] as RuntimeServer, 'e-0');
      expect(first.status).toBe(202);
      expect(await heard).toBe('webhook://ci/events');
      // Every event delivered to both replicas at once, as a retrying sender might.
      const answers = await Promise.all(
        Array.from({ length: EVENTS }, (_, index) =>
          replicas.map((replica) => deliver(replica, `e-${index}`)),
        ).flat(),
      );
      expect(answers.every((answer) => answer.status === 200 || answer.status === 202)).toBe(true);
      expect(answers.filter((answer) => answer.status === 202)).toHaveLength(EVENTS - 1);
      const ids = (await (replicas[0] as RuntimeServer).inbox.list('ci', { limit: 1000 })).map(
        (entry) => entry.event.id,
      );
      expect(ids.sort()).toEqual(Array.from({ length: EVENTS }, (_, index) => `e-${index}`).sort());
      // Each event's run, on whichever replica took it.
      for (let index = 0; index < EVENTS; index += 1) {
        const id = `e-${index}`;
        for (;;) {
          const run = await (replicas[0] as RuntimeServer).automations.getRun('count', id);
          if (run?.state === 'done') {
            runs.push(run);
            break;
          }
          await new Promise((resolve) => setTimeout(resolve, 20));
        }
      }
      expect(runs.every((run) => run.attempts === 1)).toBe(true);
      expect([...calls.values()]).toEqual(Array(EVENTS).fill(1));
    } finally {
      await client.close();
      for (const replica of replicas) await replica.close();
      for (const store of stores) {
        if (store.engine !== 'sqlite') {
          const { entries } = await store.kv.list({ limit: 1000 });
          for (const entry of entries) await store.kv.delete(entry.key);
          await store.streams.delete('runtime:webhooks:ci');
        }
        await store.close();
      }
    }
  }, 60_000);
});
