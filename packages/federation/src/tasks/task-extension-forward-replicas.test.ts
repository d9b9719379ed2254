/**
 * A 2025-11-25 upstream task forwarded for a 2026-07-28 client, on two hub replicas sharing one
 * Redis store (issue #19): the task is created on one replica (its upstream session and the held
 * `tasks/result` with the task's question live there); `tasks/get`, `tasks/update` and a listen
 * stream on the other replica reach that holder through the store's pub/sub, and once the holder
 * is gone the other replica answers with a clear error, not a hang. With CI=true a missing Redis
 * fails the run; elsewhere the test is skipped with a printed notice.
 */
import { type Everything, startEverything } from '@fedmcp/test-support';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { afterAll, describe, expect, it } from 'vitest';
import {
  openReplicaStore,
  recordingFetch,
  replicaHubs,
  wireAsk,
} from '../../test/fixtures/replica-hubs.js';
import { eventually } from '../../test/helpers.js';

type Params = Record<string, unknown>;

const TOOL = 'everything__simulate-research-query';
const ASKING = { extensions: { 'io.modelcontextprotocol/tasks': {} }, elicitation: { form: {} } };

const store = await openReplicaStore('forwarded');
const hubs = store && replicaHubs(store);
let everything: Everything | undefined;

afterAll(async () => {
  await hubs?.close();
  await everything?.[Symbol.asyncDispose]();
});

/** A 2026-07-28 client of `user` on `url`; resolves with a request's wire result or error. */
async function modernClient(url: string, user: string) {
  const answers: Params[] = [];
  const notes: Params[] = [];
  const transport = new StreamableHTTPClientTransport(new URL(`${url}/mcp`), {
    requestInit: { headers: { 'x-user': user } },
    fetch: recordingFetch(answers),
  });
  const client = new Client(
    { name: user, version: '1.0.0' },
    { capabilities: ASKING as never, versionNegotiation: { mode: { pin: '2026-07-28' } } },
  );
  client.fallbackNotificationHandler = async (notification) => {
    if (notification.method === 'notifications/tasks') notes.push(notification.params as Params);
  };
  client.setRequestHandler('elicitation/create', async () => ({ action: 'accept', content: {} }));
  await client.connect(transport);
  hubs!.adopt(() => client.close());
  return { ask: wireAsk(client, answers), client, notes };
}

/** Polls `tasks/get` until `done` holds of the task. */
function pollUntil(
  ask: (method: string, params: Params) => Promise<Params>,
  taskId: string,
  done: (task: Params) => boolean,
): Promise<Params> {
  return eventually(async () => {
    const task = await ask('tasks/get', { taskId });
    return done(task) ? task : undefined;
  }, 30_000) as Promise<Params>;
}

const asking = (task: Params) => Object.keys((task.inputRequests as Params) ?? {}).length > 0;

describe.runIf(store)('a 2025 upstream task forwarded on two replicas sharing Redis', () => {
  it('reaches its holder from the other replica, and says so when the holder is gone', async () => {
    everything = await startEverything();
    const first = await hubs!.start(everything.url);
    const second = await hubs!.start(everything.url);
    const onFirst = await modernClient(first.url, 'ada');
    const onSecond = await modernClient(second.url, 'ada');

    // Created on the first replica; its question is read and answered on the second.
    const created = await onFirst.ask('tools/call', {
      name: TOOL,
      arguments: { topic: 'python', ambiguous: true },
    });
    const taskId = String(created.taskId);
    expect(created).toMatchObject({ resultType: 'task' });
    const waiting = await pollUntil(onSecond.ask, taskId, asking);
    const [key] = Object.keys(waiting.inputRequests as Params);
    expect(JSON.stringify(waiting.inputRequests)).toContain('multiple interpretations');
    // The same held question, seen from both replicas.
    expect(
      Object.keys((await onFirst.ask('tasks/get', { taskId })).inputRequests as Params),
    ).toEqual([key]);
    const mallory = await modernClient(second.url, 'mallory');
    expect(await mallory.ask('tasks/get', { taskId })).toMatchObject({ code: -32602 });

    // A listen stream on the second replica follows the task held on the first.
    const subscription = await onSecond.client.listen({ taskIds: [taskId] } as never);
    await eventually(async () => (onSecond.notes.length > 0 ? true : undefined), 30_000);
    expect(
      await onSecond.ask('tasks/update', {
        taskId,
        inputResponses: { [key!]: { action: 'accept', content: { interpretation: 'snake' } } },
      }),
    ).toMatchObject({ resultType: 'complete' });
    const done = await pollUntil(onSecond.ask, taskId, (task) => task.status === 'completed');
    expect(JSON.stringify(done.result)).toContain('python (snake)');
    expect(await subscription.closed).toBe('graceful');
    expect(onSecond.notes.at(-1)).toMatchObject({ taskId, status: 'completed' });

    // The holder stops while its task waits for an answer: a clear error on the other replica.
    const orphan = await onFirst.ask('tools/call', {
      name: TOOL,
      arguments: { topic: 'orphan', ambiguous: true },
    });
    const orphanId = String(orphan.taskId);
    const question = await pollUntil(onSecond.ask, orphanId, asking);
    await first.close();
    const answer = await onSecond.ask('tasks/get', { taskId: orphanId });
    expect(answer).toMatchObject({ code: expect.any(Number) });
    expect(String(answer.message)).toMatch(/another hub replica.*stopped/);
    const [orphanKey] = Object.keys(question.inputRequests as Params);
    expect(
      await onSecond.ask('tasks/update', {
        taskId: orphanId,
        inputResponses: { [orphanKey!]: { action: 'decline' } },
      }),
    ).toMatchObject({ message: expect.stringMatching(/another hub replica/) });
  }, 120_000);
});
