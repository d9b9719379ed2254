// The Durable Object engine of @fedmcp/store passes the store's contract suite inside workerd
// (miniflare): a test worker holds createDurableObjectStore handles on a SQLite-backed
// FedmcpStoreObject and runs each operation the suite asks for; this side only relays them.
import { fileURLToPath } from 'node:url';
import { type Store, StoreError, type StoreErrorCode } from '@fedmcp/store';
import { Miniflare } from 'miniflare';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeStoreContract } from '../../../store/test/store-contract.js';
import { bundleEdge, nodeImportsOf } from './fixtures/bundle-edge.js';

const entry = fileURLToPath(new URL('./fixtures/store-worker.ts', import.meta.url));
let miniflare: Miniflare;
let base: URL;
let nodeImports: string[];

beforeAll(async () => {
  const { code, metafile } = await bundleEdge(entry, false);
  nodeImports = nodeImportsOf(metafile);
  miniflare = new Miniflare({
    modules: [{ type: 'ESModule', path: 'worker.mjs', contents: code }],
    compatibilityDate: '2025-09-01',
    durableObjects: { STORE: { className: 'FedmcpStoreObject', useSQLite: true } },
    host: '127.0.0.1',
    port: 0,
    cf: false,
  });
  base = await miniflare.ready;
}, 120_000);

afterAll(async () => {
  await miniflare?.dispose();
});

const post = async (path: string, body: unknown): Promise<Response> =>
  fetch(new URL(path, base), {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });

/** A Store whose every operation runs in the worker, on a handle of the Durable Object engine. */
async function openRemote(prefix: string, name?: string): Promise<Store> {
  const { id: handle } = (await (await post('/open', { prefix, name })).json()) as { id: string };
  const call = async (operation: string, args: unknown[]): Promise<never> => {
    const answer = (await (await post('/call', { handle, operation, args })).json()) as {
      result?: unknown;
      error?: { code: StoreErrorCode; message: string };
    };
    if (answer.error) throw new StoreError(answer.error.code, answer.error.message);
    return (answer.result ?? undefined) as never;
  };
  const group = (name: string) =>
    new Proxy(
      {},
      {
        get:
          (_, method) =>
          (...args: unknown[]) =>
            call(`${name}.${String(method)}`, args),
      },
    );
  const close = async (): Promise<void> => {
    await post('/close', { handle });
  };
  return {
    engine: 'durable-object',
    kv: group('kv') as Store['kv'],
    streams: group('streams') as Store['streams'],
    leases: group('leases') as Store['leases'],
    pubsub: {
      publish: (channel, message) => call('pubsub.publish', [channel, message]),
      subscribe: async (channel, listener) => {
        const response = await post('/subscribe', { handle, channel });
        const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();
        let buffered = '';
        const nextLines = async (): Promise<string[] | undefined> => {
          const { value, done } = await reader.read();
          if (done) return undefined;
          buffered += value;
          const lines = buffered.split('\n');
          buffered = lines.pop() ?? '';
          return lines;
        };
        let subscription = '';
        const pendingLines: string[] = [];
        while (!subscription) {
          const lines = await nextLines();
          if (!lines) throw new Error('the subscription stream ended before it was ready');
          for (const line of lines) {
            const frame = JSON.parse(line) as { ready?: string };
            if (frame.ready) subscription = frame.ready;
            else pendingLines.push(line);
          }
        }
        const deliver = (line: string): void => {
          const { message, channel: from } = JSON.parse(line) as {
            message: string;
            channel: string;
          };
          listener(message, from);
        };
        pendingLines.forEach(deliver);
        void (async () => {
          for (;;) {
            const lines = await nextLines().catch(() => undefined);
            if (!lines) return;
            lines.forEach(deliver);
          }
        })();
        const unsubscribe = async (): Promise<void> => {
          await post('/unsubscribe', { handle, subscription });
          await reader.cancel().catch(() => {});
        };
        return { unsubscribe, [Symbol.asyncDispose]: unsubscribe };
      },
    },
    close,
    [Symbol.asyncDispose]: close,
  };
}

describe('the Durable Object store engine in workerd', () => {
  describeStoreContract({ name: 'durable-object', sharesState: true, open: openRemote });

  it('refuses a malformed or unknown operation with a reason, not a crash', async () => {
    const malformed = await fetch(new URL('/raw-op', base), { method: 'POST', body: '{"prefix":' });
    expect(malformed.status).toBe(400);
    expect(await malformed.json()).toMatchObject({
      ok: false,
      error: {
        code: 'STORE_INVALID_ARGUMENT',
        message: expect.stringContaining('{prefix, operation, args}'),
      },
    });
    const unknown = await fetch(new URL('/raw-op', base), {
      method: 'POST',
      body: JSON.stringify({ prefix: '', operation: 'kv.constructor', args: [] }),
    });
    expect(await unknown.json()).toMatchObject({
      ok: false,
      error: {
        code: 'STORE_INVALID_ARGUMENT',
        message: expect.stringContaining('Unknown store operation "kv.constructor"'),
      },
    });
  });

  it('imports no node: module (the engine and its client are web-standard)', () => {
    expect(nodeImports).toEqual([]);
  });

  it('deletes expired keys and leases in its alarm, then re-arms it for the next expiry', async () => {
    const stats = async () =>
      (await (await fetch(new URL('/stats?name=alarms', base))).json()) as {
        keys: number;
        leases: number;
        alarmAt: number | null;
      };
    const store = await openRemote('', 'alarms');
    await store.kv.set('short', 'x', { ttlMs: 200 });
    await store.leases.acquire('short', { ttlMs: 200 });
    await store.kv.set('long', 'x', { ttlMs: 600_000 });
    const armed = await stats();
    expect(armed.keys).toBe(2);
    expect(armed.leases).toBe(1);
    expect(armed.alarmAt).toBeLessThanOrEqual(Date.now() + 200);
    // Nobody reads the keys: only the alarm can remove the rows (polled: an alarm sends no event).
    let swept = armed;
    const deadline = Date.now() + 10_000;
    while (Date.now() < deadline) {
      swept = await stats();
      if (swept.keys === 1 && swept.leases === 0) break;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect(swept).toMatchObject({ keys: 1, leases: 0 });
    expect(swept.alarmAt).toBeGreaterThan(Date.now() + 500_000);
    await store.kv.delete('long');
    await store.close();
  });
});
