import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { FedmcpServerOptions, ServerLogger } from '../create-fedmcp-server.js';
import {
  apiKeyFor,
  connectUser,
  everythingEntry,
  exportAllTo,
  startTestHub,
  type TestHub,
  type UserClient,
} from './chain-fixtures.js';

/**
 * Hubs started one at a time used to connect to their peers before listening: the peer could not
 * fetch the caller's keys, kept that failure for its 30 s cooldown and answered 500 meanwhile, so
 * a chain A → B → C listed C's tools at A only after about a minute. These tests start the chain
 * one hub at a time, each after the one before it is up, on ports chosen in advance (each hub's
 * config names its peers before they run), and watch every HTTP answer a hub got from a peer.
 */

/** A free port on 127.0.0.1 (bound, read back, released). */
async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

/** What the hubs saw: HTTP answers ≥ 500 from peers and error lines in their logs. */
interface Observed {
  serverErrors: string[];
  errorLogs: string[];
}

function observing(observed: Observed, hub: string): Partial<FedmcpServerOptions> {
  // Every peer request of a hub (MCP, discovery, keys, status) goes through its `fetch`.
  const recordingFetch: typeof fetch = async (input, init) => {
    const response = await fetch(input, init);
    if (response.status >= 500) {
      const url = input instanceof Request ? input.url : String(input);
      observed.serverErrors.push(`${hub} got ${response.status} from ${url}`);
    }
    return response;
  };
  const logger = (bindings: Record<string, unknown>): ServerLogger => ({
    debug() {},
    info() {},
    warn() {},
    error(...args: unknown[]) {
      observed.errorLogs.push(`${hub} ${JSON.stringify(bindings)} ${JSON.stringify(args)}`);
    },
    child: (more) => logger({ ...bindings, ...more }),
  });
  return { fetch: recordingFetch, logger: logger({}) };
}

describe('a chain A → B → C started one hub at a time', () => {
  let directory: string | undefined;
  const started: TestHub[] = [];
  let user: UserClient | undefined;

  afterEach(async () => {
    await user?.close();
    user = undefined;
    for (const hub of started.splice(0).reverse()) await hub.server.close();
    if (directory) await rm(directory, { recursive: true, force: true });
    directory = undefined;
  });

  for (const order of [
    ['a', 'b', 'c'],
    ['c', 'b', 'a'],
  ] as const) {
    it(`lists C’s tools at A and answers no peer with a 5xx (started ${order.join(', ')})`, {
      timeout: 90_000,
    }, async () => {
      directory = await mkdtemp(join(tmpdir(), 'fedmcp-start-order-'));
      const root = directory;
      const ports = { a: await freePort(), b: await freePort(), c: await freePort() };
      const url = (id: keyof typeof ports) => `http://127.0.0.1:${ports[id]}`;
      const alice = await apiKeyFor('alice');
      const observed: Observed = { serverErrors: [], errorLogs: [] };
      const configs = {
        a: {
          hub: { port: ports.a },
          auth: { apiKeys: [alice.entry] },
          peers: { b: { url: `${url('b')}/mcp` } },
        },
        b: {
          hub: { port: ports.b },
          policy: exportAllTo('a'),
          peers: { a: { url: url('a'), import: false }, c: { url: url('c') } },
        },
        c: {
          hub: { port: ports.c },
          mcpServers: { everything: everythingEntry(join(root, 'cancellations.log')) },
          policy: exportAllTo('b'),
          peers: { b: { url: url('b'), import: false } },
        },
      };
      for (const id of order) {
        // Each hub starts once the one before it listens with its upstreams started.
        started.push(
          await startTestHub(join(root, id), id, configs[id], {
            ...observing(observed, id),
            // The default: a peer's keys that could not be fetched are not asked for again
            // within 30 s — unless the peer was unreachable.
            peerKeysCooldownMs: 30_000,
          }),
        );
      }
      user = await connectUser(url('a'), alice.key, 'alice');
      const connected = user;
      await vi.waitFor(
        async () =>
          expect((await connected.client.listTools()).tools.map((tool) => tool.name)).toContain(
            'b__c__everything__echo',
          ),
        // On a quiet machine 1–2 s; the bound only keeps a broken chain from hanging the run
        // (A retries B with backoff while B and C start, which a loaded machine stretches).
        { timeout: 50_000, interval: 100 },
      );
      // What the old start-up order caused: a peer that could not fetch the caller's keys kept
      // the failure for its 30 s cooldown and answered 5xx meanwhile. None of that now.
      expect(observed.serverErrors).toEqual([]);
      expect(observed.errorLogs).toEqual([]);
    });
  }
});
