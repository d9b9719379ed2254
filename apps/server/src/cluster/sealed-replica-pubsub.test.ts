/**
 * Two `fedmcp serve` replicas with a cluster secret on one Redis (a redis-server of this test):
 * their pub/sub is sealed (sealed-replica-pubsub.ts). A cancellation of a live call made up with
 * `redis-cli PUBLISH`, one sealed under another secret, a genuine one replayed, and a genuine one
 * moved to another channel all change nothing, while a client's real cancellation, sent to the
 * other replica than the one running the call, still stops it (issue 14). Runs whenever CI=true
 * (a missing redis-server fails the run); elsewhere it skips with a printed notice.
 */
import { execFileSync } from 'node:child_process';
import { type SealedPubSub, type Store, withSealedPubSub } from '@fedmcp/store';
import { createStore } from '@fedmcp/store/node';
import { type RedisTestBed, redisServerRequired, startRedisTestBed } from '@fedmcp/test-support';
import { createSessionTokens } from '@fedmcp/transports';
import { createMcpHttpHost, type McpHttpHost } from '@fedmcp/transports/node';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { Server } from '@modelcontextprotocol/server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../config/load-config.js';
import type { FedmcpServer } from '../create-fedmcp-server.js';
import { CLUSTER_CHANGES_CHANNEL } from './cluster-changes.js';
import { startReplica } from './replica-fixtures.js';
import { sealConfigStore } from './sealed-replica-pubsub.js';

const available = redisServerRequired('the sealed replica pub/sub test');

/** What the replicas log at warn and above (no message content may appear). */
const logged: string[] = [];
const logger = {
  level: 'warn',
  child: () => logger,
  trace: () => undefined,
  debug: () => undefined,
  info: () => undefined,
  warn: (...args: unknown[]) => logged.push(JSON.stringify(args)),
  error: (...args: unknown[]) => logged.push(JSON.stringify(args)),
  fatal: (...args: unknown[]) => logged.push(JSON.stringify(args)),
};
const SECRET = 'the-cluster-secret-of-the-sealed-pubsub-test-0123';
const PREVIOUS = 'the-previous-cluster-secret-of-this-test-0123456';
const CANCELLED = 'fedmcp:session:cancelled';

/** An upstream whose `hold` tool answers when released, or counts a cancellation. */
function createUpstream(state: { running: Array<() => void>; cancelled: number }): Server {
  const server = new Server({ name: 'holder', version: '1.0.0' }, { capabilities: { tools: {} } });
  server.setRequestHandler('tools/list', () => ({
    tools: [{ name: 'hold', inputSchema: { type: 'object' as const, properties: {} } }],
  }));
  server.setRequestHandler('tools/call', async (_request, ctx) => {
    const ended = await new Promise<'released' | 'cancelled'>((resolve) => {
      state.running.push(() => resolve('released'));
      ctx.mcpReq.signal.addEventListener('abort', () => resolve('cancelled'));
    });
    if (ended === 'cancelled') state.cancelled += 1;
    return { content: [{ type: 'text', text: ended }] };
  });
  return server;
}

async function until<T>(check: () => T | undefined, what: string, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = check();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe.runIf(available)('sealed pub/sub between fedmcp serve replicas', () => {
  let bed: RedisTestBed;
  let upstream: McpHttpHost;
  const state = { running: [] as Array<() => void>, cancelled: 0 };
  const replicas: Array<{ server: FedmcpServer; url: string }> = [];
  const opened: Store[] = [];

  beforeAll(async () => {
    bed = await startRedisTestBed('fedmcp-sealed-pubsub-');
    upstream = createMcpHttpHost({ createServer: () => createUpstream(state) });
    const { url: upstreamUrl } = await upstream.listen();
    // Mid-rotation: one replica seals with the new secret, the other still with the old one.
    const secrets = [
      { secret: SECRET, previousSecrets: [PREVIOUS] },
      { secret: PREVIOUS, previousSecrets: [SECRET] },
    ];
    for (const [index, cluster] of secrets.entries()) {
      const { server, url } = await startReplica({
        name: `replica-${index}`,
        directory: bed.directory,
        config: {
          hub: { host: '127.0.0.1', port: 0, id: 'sealed-hub' },
          store: bed.redis.url,
          runtime: false,
          cluster,
          mcpServers: { holder: { url: `${upstreamUrl}/mcp`, type: 'http' } },
        },
        label: 'sealed pub/sub test',
        logger,
      });
      replicas.push({ server, url });
    }
  }, 60_000);

  afterAll(async () => {
    for (const store of opened) await store.close();
    for (const replica of replicas) await replica.server.close();
    await upstream?.close();
    await bed?.[Symbol.asyncDispose]();
  }, 60_000);

  const droppedAt = (index: number) =>
    ((replicas[index] as (typeof replicas)[0]).server.store.pubsub as SealedPubSub).dropped();

  it('drops forged, foreign, replayed and moved cancellations; a real one still cancels', async () => {
    const [one, two] = replicas as [(typeof replicas)[0], (typeof replicas)[0]];
    // What anyone with access to Redis can do: listen, publish, replay.
    const spy = await createStore(bed.redis.url);
    opened.push(spy);
    const captured: string[] = [];
    await spy.pubsub.subscribe(CANCELLED, (message) => captured.push(message));
    const foreign = withSealedPubSub(await createStore(bed.redis.url), {
      secret: 'a-secret-none-of-the-replicas-holds-0123456789',
    });
    opened.push(foreign);

    // A 2025-era session on replica one; cancellations are POSTed to replica two.
    const callIds: number[] = [];
    const routed: typeof fetch = (_input, init) => {
      const body = typeof init?.body === 'string' ? init.body : '';
      if (body.includes('"tools/call"')) callIds.push((JSON.parse(body) as { id: number }).id);
      return fetch(body.includes('notifications/cancelled') ? two.url : one.url, init);
    };
    const client = new Client(
      { name: 'sealed', version: '1.0.0' },
      { versionNegotiation: { mode: 'legacy' } },
    );
    const transport = new StreamableHTTPClientTransport(new URL(one.url), { fetch: routed });
    await client.connect(transport);
    const nonce = (await createSessionTokens({ secret: SECRET }).open(transport.sessionId ?? ''))
      ?.nonce;
    expect(nonce).toBeTruthy();

    // A live call: every kind of false cancellation of it is dropped on both replicas.
    const held = client.callTool({ name: 'holder__hold', arguments: {} });
    await until(() => state.running.length === 1, 'the call to reach the upstream');
    const requestId = callIds.at(-1);
    const forged = JSON.stringify({ from: 'attacker', nonce, cancellation: { requestId } });
    execFileSync('redis-cli', [
      '-p',
      String(bed.redis.port),
      'PUBLISH',
      `channel:${CANCELLED}`,
      forged,
    ]);
    await foreign.pubsub.publish(CANCELLED, forged);
    await until(() => droppedAt(0).unsealed === 1 && droppedAt(0)['unknown-key'] === 1, 'drops');
    state.running.shift()?.();
    expect(await held).toMatchObject({ content: [{ type: 'text', text: 'released' }] });
    expect(state.cancelled).toBe(0);

    // A real cancellation, through replica two (sealed under the old secret), stops the call on one.
    const controller = new AbortController();
    const cancelled = client.callTool(
      { name: 'holder__hold', arguments: {} },
      { signal: controller.signal },
    );
    cancelled.catch(() => undefined);
    await until(() => state.running.length === 1, 'the second call to reach the upstream');
    const before = captured.length;
    controller.abort();
    await until(() => state.cancelled === 1, 'the upstream to hear the cancellation');
    state.running.splice(0);
    const genuine = await until(() => captured[before], 'the sealed cancellation');
    expect(genuine).not.toContain(nonce as string);

    // Replayed on its channel, or moved to another: dropped; a next call runs to its end.
    const third = client.callTool({ name: 'holder__hold', arguments: {} });
    await until(() => state.running.length === 1, 'the third call to reach the upstream');
    await spy.pubsub.publish(CANCELLED, genuine);
    await spy.pubsub.publish(CLUSTER_CHANGES_CHANNEL, genuine);
    await until(() => droppedAt(0).replayed === 1 && droppedAt(0).unopened === 1, 'the drops');
    state.running.shift()?.();
    expect(await third).toMatchObject({ content: [{ type: 'text', text: 'released' }] });
    expect(state.cancelled).toBe(1);
    // Each reason logged once per replica, without the message.
    expect(logged.filter((line) => line.includes('"reason":"unsealed"'))).toHaveLength(2);
    expect(logged.join('\n')).not.toContain(nonce as string);
    await client.close();
  }, 120_000);

  it('seals a command’s store like the replicas’ (fedmcp tools approve, tasks cancel)', async () => {
    const heard: string[] = [];
    const hub = (replicas[0] as (typeof replicas)[0]).server.store;
    await hub.pubsub.subscribe('pins:changed', (message) => heard.push(message));
    const config = (cluster?: { secret: string }) =>
      parseConfig({ store: bed.redis.url, ...(cluster ? { cluster } : {}) }, 'a command', {
        env: {},
      });
    const plain = await sealConfigStore(await createStore(bed.redis.url), config(), { env: {} });
    opened.push(plain);
    const sealed = await sealConfigStore(
      await createStore(bed.redis.url),
      config({ secret: SECRET }),
    );
    opened.push(sealed);
    const before = droppedAt(0).unsealed;
    await plain.pubsub.publish('pins:changed', 'from a command without the secret');
    await sealed.pubsub.publish('pins:changed', 'from a command with it');
    await until(() => heard.length === 1, 'the sealed announcement');
    expect(heard).toEqual(['from a command with it']);
    // Dropped (once per subscription of the channel on that replica).
    expect(droppedAt(0).unsealed).toBeGreaterThan(before);
    await expect(
      sealConfigStore(
        await createStore(bed.redis.url),
        // biome-ignore lint/suspicious/noTemplateCurlyInString: a reference, as a config file has it
        config({ secret: '${secret:no-such-cluster-secret}' }),
        { env: {}, baseDirectory: bed.directory },
      ),
    ).rejects.toThrow(/cluster\.secret/);
  }, 60_000);
});
