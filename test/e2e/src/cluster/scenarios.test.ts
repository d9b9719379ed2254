/**
 * The hub's end-to-end scenario through three `fedmcp serve` replicas behind HAProxy
 * (round-robin, no stickiness; `cluster-fixture.ts`), with server-everything as upstream, for a
 * 2026-07-28 SDK v2 client and a 2025-11-25 SDK v1 session (its sealed `Mcp-Session-Id` opened by
 * every replica): each request of a client lands on another replica than the one before.
 */
import { exposeUri } from '@fedmcp/federation';
import {
  CreateTaskResultSchema,
  ElicitRequestSchema,
  ResultSchema,
} from '@modelcontextprotocol/sdk/types.js';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { everythingStdioEntry } from '../fixtures/upstreams.js';
import { legacyAnswers, legacyClient, modernClient, textOf } from './cluster-clients.js';
import {
  type Cluster,
  cancellationsSeen,
  clusterSessions,
  missing,
  type Replica,
  startCluster,
} from './cluster-fixture.js';

const SUBSCRIBED_URI = 'demo://resource/static/document/architecture.md';

describe.runIf(missing.length === 0)(
  'the hub scenario through three replicas behind HAProxy',
  () => {
    let cluster: Cluster;
    const closers: Array<() => Promise<unknown>> = [];

    beforeAll(async () => {
      cluster = await startCluster();
    }, 180_000);

    afterAll(async () => {
      for (const close of closers.splice(0).reverse()) await close().catch(() => undefined);
      await cluster?.close();
    }, 60_000);

    it('sends each request to another replica, and every replica lists the three', async () => {
      const answered = [];
      for (let index = 0; index < 6; index += 1)
        answered.push((await cluster.statusThroughFront()).cluster.replica);
      // Round-robin, no stickiness: never the same replica twice in a row.
      for (let index = 1; index < answered.length; index += 1) {
        expect(answered[index]).not.toBe(answered[index - 1]);
      }
      const { status, body } = await cluster.adminRequest(cluster.front, 'GET', '/replicas');
      expect(status).toBe(200);
      const listed = body.replicas as Array<{
        id: string;
        upstreams: Array<{ id: string; state: string }>;
      }>;
      expect(listed.map(({ id }) => id).sort()).toEqual(['r1', 'r2', 'r3']);
      for (const replica of listed)
        expect(replica.upstreams).toEqual([{ id: 'ev', state: 'ready' }]);
    });

    describe('a 2026-07-28 SDK v2 client', () => {
      it('lists, calls with progress, and polls a task on every replica', async () => {
        const plain = await modernClient(cluster.front, cluster.userKey, false);
        closers.push(() => plain.client.close());
        const { tools } = await plain.client.listTools();
        expect(tools.map((tool) => tool.name)).toContain('ev__echo');
        for (let index = 0; index < 3; index += 1) {
          const result = await plain.client.callTool({
            name: 'ev__echo',
            arguments: { message: `call ${index}` },
          });
          expect(textOf(result)).toBe(`Echo: call ${index}`);
        }
        const progress: number[] = [];
        const long = await plain.client.callTool(
          { name: 'ev__trigger-long-running-operation', arguments: { duration: 0.6, steps: 3 } },
          { onprogress: (value) => progress.push(value.progress) },
        );
        expect(textOf(long)).toContain('Long running operation completed');
        expect(progress.length).toBeGreaterThanOrEqual(1);

        const tasks = await modernClient(cluster.front, cluster.userKey, true);
        closers.push(() => tasks.client.close());
        const created = await tasks.wire('tools/call', {
          name: 'ev__echo',
          arguments: { message: 'as a task' },
        });
        expect(created).toMatchObject({ resultType: 'task' });
        const taskId = String(created.taskId);
        // Each poll lands on the next replica; the task record is in the store.
        const polled = await vi.waitFor(
          async () => {
            const state = await tasks.wire('tasks/get', { taskId });
            expect(state.status).toBe('completed');
            return state;
          },
          { timeout: 20_000, interval: 100 },
        );
        expect(JSON.stringify(polled)).toContain('Echo: as a task');
      });

      it('tells a listen stream on one replica of an upstream added through another replica', async () => {
        const [r1, r2] = cluster.replicas as [Replica, Replica];
        const listener = await modernClient(r2.url, cluster.userKey, false);
        closers.push(() => listener.client.close());
        const subscription = await listener.client.listen({ toolsListChanged: true } as never);
        closers.push(() => subscription.close());
        await vi.waitFor(() =>
          expect(
            listener.listenFrames.some(
              (frame) => frame.method === 'notifications/subscriptions/acknowledged',
            ),
          ).toBe(true),
        );
        const added = await cluster.adminRequest(
          r1.url,
          'POST',
          '/upstreams/extra',
          everythingStdioEntry(),
        );
        expect(added.status).toBe(201);
        await vi.waitFor(
          () =>
            expect(
              listener.listenFrames.some(
                (frame) => frame.method === 'notifications/tools/list_changed',
              ),
            ).toBe(true),
          { timeout: 30_000, interval: 100 },
        );
        const { tools } = await listener.client.listTools();
        expect(tools.map((tool) => tool.name)).toContain('extra__echo');
        expect((await cluster.adminRequest(r1.url, 'DELETE', '/upstreams/extra')).status).toBe(204);
        await vi.waitFor(
          async () => {
            const { body } = await cluster.adminRequest(r2.url, 'GET', '/upstreams');
            const ids = (body.upstreams as Array<{ id: string }>).map(({ id }) => id);
            expect(ids).not.toContain('extra');
          },
          { timeout: 30_000, interval: 100 },
        );
      }, 90_000);

      it('answers sampling and elicitation in input_required rounds, each retry on another replica', async () => {
        const modern = await modernClient(cluster.front, cluster.userKey, false);
        closers.push(() => modern.client.close());
        const sampled = await modern.client.callTool({
          name: 'ev__trigger-sampling-request',
          arguments: { prompt: 'across replicas', maxTokens: 16 },
        });
        expect(textOf(sampled)).toContain(legacyAnswers.samplingText);
        const elicited = await modern.client.callTool({
          name: 'ev__trigger-elicitation-request',
          arguments: {},
        });
        expect(textOf(elicited)).toContain(`Name: ${legacyAnswers.elicitedName}`);
        expect(modern.asked).toEqual(['sampling/createMessage', 'elicitation/create']);
      }, 60_000);

      it('cancels a call upstream when the client aborts it', async () => {
        const modern = await modernClient(cluster.front, cluster.userKey, false);
        closers.push(() => modern.client.close());
        const controller = new AbortController();
        const progress: number[] = [];
        const call = modern.client.callTool(
          { name: 'ev__trigger-long-running-operation', arguments: { duration: 30, steps: 60 } },
          { signal: controller.signal, onprogress: (value) => progress.push(value.progress) },
        );
        call.catch(() => {});
        await vi.waitFor(() => expect(progress.length).toBeGreaterThan(0), { timeout: 20_000 });
        const before = cancellationsSeen(cluster);
        controller.abort();
        await expect(call).rejects.toThrow();
        await vi.waitFor(() => expect(cancellationsSeen(cluster)).toBeGreaterThan(before), {
          timeout: 15_000,
          interval: 50,
        });
      }, 60_000);

      it('gets resources/updated on a listen stream through the load balancer', async () => {
        const watcher = await modernClient(cluster.front, cluster.userKey, false);
        closers.push(() => watcher.client.close());
        const uri = exposeUri('ev', SUBSCRIBED_URI);
        const subscription = await watcher.client.listen({ resourceSubscriptions: [uri] } as never);
        closers.push(() => subscription.close());
        await setSubscriberUpdates(cluster, 'Started');
        try {
          await vi.waitFor(
            () =>
              expect(
                watcher.listenFrames.some(
                  (frame) =>
                    frame.method === 'notifications/resources/updated' &&
                    (frame.params as { uri?: string }).uri === uri,
                ),
              ).toBe(true),
            { timeout: 20_000, interval: 100 },
          );
        } finally {
          await setSubscriberUpdates(cluster, 'Stopped');
        }
      }, 60_000);
    });

    describe.runIf(clusterSessions)('a 2025-11-25 SDK v1 session', () => {
      it('lists, calls with progress and sets its log level, each request on another replica', async () => {
        const legacy = await legacyClient(cluster.front, cluster.userKey);
        closers.push(() => legacy.close());
        for (let index = 0; index < 3; index += 1) {
          const { tools } = await legacy.client.listTools();
          expect(tools.map((tool) => tool.name)).toContain('ev__echo');
          const result = await legacy.client.callTool({
            name: 'ev__echo',
            arguments: { message: `v1 ${index}` },
          });
          expect(textOf(result)).toBe(`Echo: v1 ${index}`);
        }
        const progress: number[] = [];
        const long = await legacy.client.callTool(
          { name: 'ev__trigger-long-running-operation', arguments: { duration: 0.6, steps: 3 } },
          undefined,
          { onprogress: (value) => progress.push(value.progress) },
        );
        expect(textOf(long)).toContain('Long running operation completed');
        expect(progress.length).toBeGreaterThanOrEqual(1);
        for (let index = 0; index < 3; index += 1) await legacy.client.setLoggingLevel('debug');
        // Log messages of the upstream reach the session (debug: every simulated level passes).
        const toggled = await legacy.client.callTool({
          name: 'ev__toggle-simulated-logging',
          arguments: {},
        });
        expect(textOf(toggled)).toMatch(/Started/);
        try {
          await vi.waitFor(
            () =>
              expect(
                legacy.notifications.some((note) => note.method === 'notifications/message'),
              ).toBe(true),
            { timeout: 30_000, interval: 100 },
          );
        } finally {
          await legacy.client.callTool({ name: 'ev__toggle-simulated-logging', arguments: {} });
        }
      }, 60_000);

      it('cancels a call upstream when the cancellation lands on another replica than the call', async () => {
        const legacy = await legacyClient(cluster.front, cluster.userKey);
        closers.push(() => legacy.close());
        const controller = new AbortController();
        const progress: number[] = [];
        const call = legacy.client.callTool(
          { name: 'ev__trigger-long-running-operation', arguments: { duration: 30, steps: 60 } },
          undefined,
          { signal: controller.signal, onprogress: (value) => progress.push(value.progress) },
        );
        call.catch(() => {});
        await vi.waitFor(() => expect(progress.length).toBeGreaterThan(0), { timeout: 20_000 });
        const before = cancellationsSeen(cluster);
        // The SDK POSTs notifications/cancelled: HAProxy sends it to another replica than the
        // call's, which announces it; the replica running the call aborts it upstream.
        controller.abort();
        await expect(call).rejects.toThrow();
        await vi.waitFor(() => expect(cancellationsSeen(cluster)).toBeGreaterThan(before), {
          timeout: 15_000,
          interval: 50,
        });
      }, 60_000);

      it('delivers resources/updated of a subscription to the session', async () => {
        const legacy = await legacyClient(cluster.front, cluster.userKey);
        closers.push(() => legacy.close());
        const uri = exposeUri('ev', SUBSCRIBED_URI);
        await legacy.client.subscribeResource({ uri });
        await setSubscriberUpdates(cluster, 'Started');
        try {
          await vi.waitFor(
            () =>
              expect(
                legacy.notifications.some(
                  (note) =>
                    note.method === 'notifications/resources/updated' &&
                    (note.params as { uri?: string }).uri === uri,
                ),
              ).toBe(true),
            { timeout: 20_000, interval: 100 },
          );
        } finally {
          await setSubscriberUpdates(cluster, 'Stopped');
          await legacy.client.unsubscribeResource({ uri });
        }
      }, 60_000);

      it('tells the session of an upstream added through one replica (tools/list_changed)', async () => {
        const legacy = await legacyClient(cluster.front, cluster.userKey);
        closers.push(() => legacy.close());
        const [r1] = cluster.replicas as [Replica];
        await legacy.client.listTools();
        // A list_changed goes only to an open GET stream, which the SDK opens in the background
        // after initialize: on a loaded machine it can still be on its way after listTools.
        await legacy.streamOpen;
        const changes = () =>
          legacy.notifications.filter((note) => note.method === 'notifications/tools/list_changed')
            .length;
        const added = await cluster.adminRequest(
          r1.url,
          'POST',
          '/upstreams/extra2',
          everythingStdioEntry(),
        );
        expect(added.status).toBe(201);
        try {
          await vi.waitFor(() => expect(changes()).toBeGreaterThan(0), {
            timeout: 30_000,
            interval: 100,
          });
          await vi.waitFor(
            async () =>
              expect((await legacy.client.listTools()).tools.map((tool) => tool.name)).toContain(
                'extra2__echo',
              ),
            { timeout: 15_000, interval: 200 },
          );
        } finally {
          await cluster.adminRequest(r1.url, 'DELETE', '/upstreams/extra2');
        }
      }, 90_000);

      it('relays sampling and elicitation to the session, answered through other replicas', async () => {
        const legacy = await legacyClient(cluster.front, cluster.userKey);
        closers.push(() => legacy.close());
        const sampled = await legacy.client.callTool({
          name: 'ev__trigger-sampling-request',
          arguments: { prompt: 'across replicas', maxTokens: 16 },
        });
        expect(textOf(sampled)).toContain(legacyAnswers.samplingText);
        const elicited = await legacy.client.callTool({
          name: 'ev__trigger-elicitation-request',
          arguments: {},
        });
        expect(textOf(elicited)).toContain(`Name: ${legacyAnswers.elicitedName}`);
        expect(legacy.requests).toEqual(
          expect.arrayContaining(['sampling/createMessage', 'elicitation/create']),
        );
      }, 60_000);

      it("asks the session an upstream task's question on tasks/result, whichever replica holds the task", async () => {
        const legacy = await legacyClient(cluster.front, cluster.userKey);
        closers.push(() => legacy.close());
        const asked: Array<Record<string, unknown>> = [];
        legacy.client.setRequestHandler(ElicitRequestSchema, (request) => {
          asked.push(request.params as Record<string, unknown>);
          return { action: 'accept' as const, content: { interpretation: 'snake' } };
        });
        const created = await legacy.client.request(
          {
            method: 'tools/call',
            params: {
              name: 'ev__simulate-research-query',
              arguments: { topic: 'python', ambiguous: true },
              task: { ttl: 60_000 },
            },
          },
          CreateTaskResultSchema,
        );
        const { taskId } = created.task;
        // tasks/result lands on another replica than the call; the answer on yet another one.
        const result = await legacy.client.request(
          { method: 'tasks/result', params: { taskId } },
          ResultSchema,
          { timeout: 60_000 },
        );
        expect(JSON.stringify(result)).toContain('python (snake)');
        expect(asked).toHaveLength(1);
        expect(asked[0]?._meta).toMatchObject({
          'io.modelcontextprotocol/related-task': { taskId },
        });
      }, 90_000);
    });
  },
);

/**
 * Turns server-everything's simulated resource updates on or off in every replica's upstream
 * process (its tool toggles a per-process flag: through the load balancer each toggle would hit
 * another process).
 */
async function setSubscriberUpdates(cluster: Cluster, wanted: 'Started' | 'Stopped') {
  for (const replica of cluster.replicas) {
    const direct = await modernClient(replica.url, cluster.userKey, false);
    try {
      let text = '';
      for (let attempt = 0; attempt < 2 && !text.startsWith(wanted); attempt += 1) {
        text = textOf(
          await direct.client.callTool({ name: 'ev__toggle-subscriber-updates', arguments: {} }),
        );
      }
      if (!text.startsWith(wanted)) {
        throw new Error(`${replica.id}: could not turn subscriber updates ${wanted}`);
      }
    } finally {
      await direct.client.close();
    }
  }
}
