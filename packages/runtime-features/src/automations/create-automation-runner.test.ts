import { createMemoryStore } from '@fedmcp/store';
import { describe, expect, it } from 'vitest';
import { createWebhookInbox, inboxStream } from '../webhooks/webhook-inbox.js';
import type { AutomationCallTool, AutomationRun } from './automation-types.js';
import { createAutomationRunner } from './create-automation-runner.js';

/** Resolves with the first run the runner reports as finished. */
function firstRun() {
  let resolve: (run: AutomationRun) => void = () => undefined;
  const finished = new Promise<AutomationRun>((settle) => {
    resolve = settle;
  });
  return { finished, onRun: (run: AutomationRun) => resolve(run) };
}

describe('createAutomationRunner', () => {
  it('retries a failing call, then dead-letters the trigger with the last reason', async () => {
    await using store = createMemoryStore();
    const inbox = createWebhookInbox({ store });
    const calls: string[] = [];
    const callTool: AutomationCallTool = async (principal, name, args, { idempotencyKey }) => {
      calls.push(`${principal} ${name} ${JSON.stringify(args)} ${idempotencyKey}`);
      return {
        content: [{ type: 'text', text: `upstream down (${calls.length})` }],
        isError: true,
      };
    };
    const { finished, onRun } = firstRun();
    const runner = createAutomationRunner({
      store,
      inbox,
      automations: [
        {
          name: 'notify',
          on: 'webhook:ci',
          call: 'chat__post',
          arguments: { text: 'build {{event.id}}' },
          as: 'svc',
          maxAttempts: 3,
        },
      ],
      callTool,
      onRun,
      retryDelayMs: 1,
    });
    await runner.start();
    await inbox.append({ id: 'b-7', source: 'ci', receivedAt: Date.now(), body: {} });
    const run = await finished;
    await runner.close();
    expect(run).toMatchObject({ state: 'dead', attempts: 3, reason: 'upstream down (3)' });
    expect(calls).toEqual(Array(3).fill('svc chat__post {"text":"build b-7"} notify:b-7'));
    expect(await runner.deadLetters()).toEqual([
      expect.objectContaining({
        automation: 'notify',
        trigger: 'b-7',
        call: 'chat__post',
        attempts: 3,
      }),
    ]);
    expect(await store.streams.pending(inboxStream('ci'), 'automation:notify')).toEqual([]);
  });

  it('takes over a dead consumer’s messages: a run recorded done is only acknowledged, one in flight is made again', async () => {
    await using store = createMemoryStore();
    const inbox = createWebhookInbox({ store });
    const stream = inboxStream('ci');
    await store.streams.createGroup(stream, 'automation:once', { from: 'start' });
    await inbox.append({ id: 'done-before-ack', source: 'ci', receivedAt: Date.now(), body: {} });
    await inbox.append({ id: 'in-flight', source: 'ci', receivedAt: Date.now(), body: {} });
    // A process took both, recorded one as done and was killed during the other's call.
    expect(
      await store.streams.readGroup(stream, 'automation:once', 'killed', { count: 2 }),
    ).toHaveLength(2);
    const record = (trigger: string, state: string) =>
      store.kv.set(
        `runtime:automations:once:run:${trigger}`,
        JSON.stringify({ automation: 'once', trigger, state, attempts: 1, updatedAt: 0 }),
      );
    await record('done-before-ack', 'done');
    await record('in-flight', 'running');
    const called: string[] = [];
    const { finished, onRun } = firstRun();
    const runner = createAutomationRunner({
      store,
      inbox,
      automations: [{ name: 'once', on: 'webhook:ci', call: 'x__y', as: 'svc' }],
      callTool: async (_principal, _name, _args, { idempotencyKey }) => {
        called.push(idempotencyKey);
        return { structuredContent: { ok: true } };
      },
      onRun,
      claimIdleMs: 1,
    });
    await runner.start();
    expect(await finished).toMatchObject({ trigger: 'in-flight', state: 'done', attempts: 2 });
    await runner.close();
    expect(called).toEqual(['once:in-flight']);
    expect((await runner.getRun('once', 'done-before-ack'))?.attempts).toBe(1);
    expect(await store.streams.pending(stream, 'automation:once')).toEqual([]);
  });

  it('runs a schedule once per tick', async () => {
    await using store = createMemoryStore();
    const { finished, onRun } = firstRun();
    const runner = createAutomationRunner({
      store,
      inbox: createWebhookInbox({ store }),
      automations: [
        { name: 'tick', on: 'schedule:* * * * * *', call: 'runtime__health', as: 'svc' },
      ],
      callTool: async (_principal, _name, _args, { idempotencyKey }) => ({
        structuredContent: { idempotencyKey },
      }),
      onRun,
    });
    await runner.start();
    const run = await finished;
    await runner.close();
    expect(run.state).toBe('done');
    expect(run.trigger).toMatch(/^schedule-\d{4}-\d\d-\d\dT/);
    expect(run.result).toEqual({ idempotencyKey: `tick:${run.trigger}` });
  });
});
