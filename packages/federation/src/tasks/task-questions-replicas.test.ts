/**
 * A running task's questions reach its client through any replica (issue #14): two hub replicas
 * on one Redis store, behind no sticky balancer, and one upstream (server-everything) whose
 * research task asks an elicitation when its topic is ambiguous.
 *
 * - A 2025-11-25 SDK v1 session (sessions shared by the replicas): the task is created through
 *   one replica, its `tasks/result` goes to the other, and its other requests (answers
 *   included) alternate. The question reaches the client on that `tasks/result` stream, marked
 *   with the task, and the answer reaches the upstream on the holder.
 * - A 2026-07-28 client whose requests alternate: `tasks/get` shows the question on either
 *   replica, `tasks/update` answers it from either.
 * - A hub-managed task (a tool the upstream does not run as a task) asking its 2025 client.
 *
 * With CI=true a missing Redis fails the run; elsewhere the test is skipped with a notice.
 */
import { type Everything, startEverything } from '@fedmcp/test-support';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { Client as V1Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport as V1Transport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import {
  CreateTaskResultSchema as V1CreateTaskResultSchema,
  ElicitRequestSchema as V1ElicitRequestSchema,
  ResultSchema as V1ResultSchema,
} from '@modelcontextprotocol/sdk/types.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  openReplicaStore,
  type ReplicaHub,
  type ReplicaHubs,
  recordingFetch,
  replicaHubs,
  wireAsk,
} from '../../test/fixtures/replica-hubs.js';
import { eventually } from '../../test/helpers.js';

type Params = Record<string, unknown>;

const TOOL = 'everything__simulate-research-query';
const RELATED_TASK = 'io.modelcontextprotocol/related-task';
const ELICITING = 'everything__trigger-elicitation-request';

const store = await openReplicaStore('task-questions');
const hubs: ReplicaHubs | undefined = store && replicaHubs(store);
let everything: Everything | undefined;
afterAll(async () => {
  await hubs?.close();
  await everything?.[Symbol.asyncDispose]();
});

/**
 * A fetch for one client over `replicas`: a request whose JSON-RPC method `pin` names goes to
 * that replica, every other request to the next replica in turn.
 */
function spread(replicas: readonly ReplicaHub[], user: string, pin: Record<string, number>) {
  let next = 0;
  const seen: Array<{ index: number; method: string }> = [];
  const fetcher: typeof fetch = (input, init) => {
    const body = typeof init?.body === 'string' ? init.body : '';
    const method = /"method":"([^"]+)"/.exec(body)?.[1] ?? (body ? 'answer' : 'stream');
    let index = pin[method];
    if (index === undefined) {
      index = next % replicas.length;
      next += 1;
    }
    seen.push({ index, method });
    const url = new URL(input instanceof Request ? input.url : String(input));
    const headers = new Headers(init?.headers);
    headers.set('x-user', user);
    const base = (replicas[index] as ReplicaHub).url;
    return fetch(new URL(`${url.pathname}${url.search}`, base), { ...init, headers });
  };
  return { fetcher, seen };
}

/** A 2025-11-25 SDK v1 session of ada over `fetcher` answering forms, and what it was asked. */
async function legacyClient(
  replica: ReplicaHub,
  fetcher: typeof fetch,
  before?: (params: Params) => Promise<void>,
) {
  const client = new V1Client(
    { name: 'ada', version: '1.0.0' },
    { capabilities: { elicitation: { form: {} } } },
  );
  const asked: Params[] = [];
  client.setRequestHandler(V1ElicitRequestSchema, async (request) => {
    asked.push(request.params as Params);
    await before?.(request.params as Params);
    const content = String(request.params.message).includes('interpretations')
      ? { interpretation: 'snake' }
      : { name: 'Ada' };
    return { action: 'accept', content };
  });
  await client.connect(new V1Transport(new URL(`${replica.url}/mcp`), { fetch: fetcher }));
  hubs!.adopt(() => client.close());
  const call = async (name: string, args: Params) =>
    (
      await client.request(
        { method: 'tools/call', params: { name, arguments: args, task: { ttl: 60_000 } } },
        V1CreateTaskResultSchema,
      )
    ).task.taskId;
  const result = (taskId: string) =>
    client.request({ method: 'tasks/result', params: { taskId } }, V1ResultSchema, {
      timeout: 60_000,
    });
  return { asked, call, result };
}

/** A 2026-07-28 SDK v2 client of ada over `fetcher`: a request's wire result or error. */
async function modernClient(replica: ReplicaHub, fetcher: typeof fetch) {
  const answers: Params[] = [];
  const transport = new StreamableHTTPClientTransport(new URL(`${replica.url}/mcp`), {
    fetch: recordingFetch(answers, fetcher),
  });
  const capabilities = {
    extensions: { 'io.modelcontextprotocol/tasks': {} },
    elicitation: { form: {} },
  };
  const client = new Client(
    { name: 'ada', version: '1.0.0' },
    { capabilities: capabilities as never, versionNegotiation: { mode: { pin: '2026-07-28' } } },
  );
  const notes: Params[] = [];
  client.fallbackNotificationHandler = async (notification) => {
    if (notification.method === 'notifications/tasks') notes.push(notification.params as Params);
  };
  await client.connect(transport);
  hubs!.adopt(() => client.close());
  return { ask: wireAsk(client, answers), client, notes };
}

const asking = (task: Params | undefined) =>
  Object.keys((task?.inputRequests as Params | undefined) ?? {}).length > 0;

describe.runIf(store)("a task's questions through any replica", () => {
  let replicas: ReplicaHub[] = [];
  beforeAll(async () => {
    everything = await startEverything();
    // A 2026-07-28 client's call of this tool runs as a hub-managed task.
    const options = { cluster: true, extensionTools: [ELICITING] };
    replicas = [
      await hubs!.start(everything.url, options),
      await hubs!.start(everything.url, options),
    ];
  });

  it.each([
    ['the other replica', 1],
    ['the holder', 0],
  ])(
    '2025-11-25: an upstream task asks its client; tasks/result on %s',
    async (_where, index) => {
      const { fetcher, seen } = spread(replicas, 'ada', { 'tools/call': 0, 'tasks/result': index });
      const ada = await legacyClient(replicas[0]!, fetcher);
      const taskId = await ada.call(TOOL, { topic: 'python', ambiguous: true });
      const result = await ada.result(taskId);
      expect(JSON.stringify(result)).toContain('python (snake)');
      expect(ada.asked).toHaveLength(1);
      expect(String(ada.asked[0]?.message)).toContain('multiple interpretations');
      expect(ada.asked[0]?._meta).toMatchObject({ [RELATED_TASK]: { taskId } });
      // Created on the holder, its result asked where the case says, the answer sent on.
      expect(seen.find((item) => item.method === 'tools/call')?.index).toBe(0);
      expect(seen.find((item) => item.method === 'tasks/result')?.index).toBe(index);
      expect(seen.some((item) => item.method === 'answer')).toBe(true);
    },
    120_000,
  );

  it("2025-11-25: an anonymous session's upstream task (not recorded) asks on tasks/result", async () => {
    const { fetcher } = spread([replicas[0]!], '', {});
    const anonymous = await legacyClient(replicas[0]!, fetcher);
    const taskId = await anonymous.call(TOOL, { topic: 'python', ambiguous: true });
    expect(JSON.stringify(await anonymous.result(taskId))).toContain('python (snake)');
    expect(anonymous.asked[0]?._meta).toMatchObject({ [RELATED_TASK]: { taskId } });
  }, 120_000);

  it('2025-11-25: a hub-managed task asks its client; tasks/result on the other replica', async () => {
    const { fetcher } = spread(replicas, 'ada', { 'tools/call': 0, 'tasks/result': 1 });
    const ada = await legacyClient(replicas[0]!, fetcher);
    const taskId = await ada.call(ELICITING, {});
    expect(taskId.startsWith('hubtask.')).toBe(true);
    const result = await ada.result(taskId);
    expect(JSON.stringify(result)).toContain('Name: Ada');
    expect(ada.asked).toHaveLength(1);
    expect(ada.asked[0]?._meta).toMatchObject({ [RELATED_TASK]: { taskId } });
  }, 120_000);

  it('2026-07-28: an upstream task forwarded on one replica is asked and answered through both', async () => {
    const { fetcher, seen } = spread(replicas, 'ada', { 'tools/call': 0 });
    const { ask, client, notes } = await modernClient(replicas[0]!, fetcher);
    const created = await ask('tools/call', {
      name: TOOL,
      arguments: { topic: 'python', ambiguous: true },
    });
    const taskId = String(created.taskId);
    expect(created).toMatchObject({ resultType: 'task' });
    // A listen stream (on the next replica) follows the task, its question included.
    const subscription = await client.listen({ taskIds: [taskId] } as never);
    // Polls alternate between the replicas until one shows the question.
    const waiting = (await eventually(async () => {
      const task = await ask('tasks/get', { taskId });
      return asking(task) ? task : undefined;
    }, 30_000)) as Params;
    const [key] = Object.keys(waiting.inputRequests as Params);
    expect(JSON.stringify(waiting.inputRequests)).toContain('multiple interpretations');
    await eventually(() => notes.some(asking) || undefined, 30_000);
    // The next poll goes to the other replica: the same question there.
    expect(Object.keys((await ask('tasks/get', { taskId })).inputRequests as Params)).toEqual([
      key,
    ]);
    const answer = { [key!]: { action: 'accept', content: { interpretation: 'snake' } } };
    expect(await ask('tasks/update', { taskId, inputResponses: answer })).toMatchObject({
      resultType: 'complete',
    });
    const done = (await eventually(async () => {
      const task = await ask('tasks/get', { taskId });
      return task.status === 'completed' ? task : undefined;
    }, 30_000)) as Params;
    expect(JSON.stringify(done.result)).toContain('python (snake)');
    expect(await subscription.closed).toBe('graceful');
    expect(notes.at(-1)).toMatchObject({ taskId, status: 'completed' });
    const polled = new Set(
      seen.filter((item) => item.method === 'tasks/get').map((item) => item.index),
    );
    expect(polled).toEqual(new Set([0, 1]));
  }, 120_000);

  it('2026-07-28: a hub-managed task asks through both replicas', async () => {
    const { fetcher, seen } = spread(replicas, 'ada', { 'tools/call': 0 });
    const { ask } = await modernClient(replicas[0]!, fetcher);
    const created = await ask('tools/call', { name: ELICITING, arguments: {} });
    const taskId = String(created.taskId);
    expect(taskId.startsWith('hubtask.')).toBe(true);
    const waiting = (await eventually(async () => {
      const task = await ask('tasks/get', { taskId });
      return asking(task) ? task : undefined;
    }, 30_000)) as Params;
    const [key] = Object.keys(waiting.inputRequests as Params);
    // Seen the same from the other replica, answered there.
    expect(Object.keys((await ask('tasks/get', { taskId })).inputRequests as Params)).toEqual([
      key,
    ]);
    const answer = { [key!]: { action: 'accept', content: { name: 'Ada' } } };
    expect(await ask('tasks/update', { taskId, inputResponses: answer })).not.toHaveProperty(
      'code',
    );
    const done = (await eventually(async () => {
      const task = await ask('tasks/get', { taskId });
      return task.status === 'completed' ? task : undefined;
    }, 30_000)) as Params;
    expect(JSON.stringify(done.result)).toContain('Name: Ada');
    const used = new Set(
      seen.filter((item) => item.method.startsWith('tasks/')).map((item) => item.index),
    );
    expect(used).toEqual(new Set([0, 1]));
  }, 120_000);

  it('2025-11-25: the holder stops while its task asks the client on the other replica: a clear error', async () => {
    const holder = await hubs!.start(everything!.url, { cluster: true });
    const other = replicas[1]!;
    // The session opens on the other replica; only the task is created on the holder.
    const { fetcher } = spread([holder, other], 'ada', {
      initialize: 1,
      'notifications/initialized': 1,
      stream: 1,
      answer: 1,
      'tools/call': 0,
      'tasks/result': 1,
    });
    const ada = await legacyClient(other, fetcher, () => holder.close());
    const taskId = await ada.call(TOOL, { topic: 'orphan', ambiguous: true });
    const failed = await ada.result(taskId).then(
      () => undefined,
      (error: unknown) => error as Error,
    );
    expect(ada.asked).toHaveLength(1);
    expect(String(failed?.message)).toMatch(/another hub replica.*(stopped|does not answer)/);
  }, 120_000);
});
