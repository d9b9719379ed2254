/**
 * The audit trail of forwarded calls as the hub writes it (issue #20, items 3 and 9): a call's
 * record is kept before its answer leaves, a tool result with `isError` is an error, and a
 * consent refusal is recorded like a policy denial.
 */
import {
  type AuditEvent,
  createAuditLog,
  createConsentLedger,
  createPolicy,
  type PolicyRule,
} from '@fedmcp/proxy-auth';
import { createMemoryStore } from '@fedmcp/store';
import { Server } from '@modelcontextprotocol/server';
import { describe, expect, it } from 'vitest';
import { createTestUpstream } from '../test/fixtures/test-upstream.js';
import {
  connectLegacyClient,
  connectModernClient,
  INTERACTIVE,
  memoryConnector,
} from '../test/helpers.js';
import { createConsentStep, createHub, createPolicyAccess } from './index.js';

/** An upstream whose `ok` tool succeeds and whose `broken` tool reports an error result. */
function upstreamServer(): Server {
  const server = new Server({ name: 'up', version: '1.0.0' }, { capabilities: { tools: {} } });
  const schema = { type: 'object' as const };
  server.setRequestHandler('tools/list', () => ({
    tools: [
      { name: 'ok', inputSchema: schema },
      { name: 'broken', inputSchema: schema },
    ],
  }));
  server.setRequestHandler('tools/call', (request) => ({
    content: [{ type: 'text', text: request.params.name }],
    ...(request.params.name === 'broken' ? { isError: true } : {}),
  }));
  return server;
}

function auditedHub(write: (event: AuditEvent) => void | Promise<void>, rules: PolicyRule[]) {
  const store = createMemoryStore();
  const audit = createAuditLog({ sinks: [{ write }] });
  return createHub({
    connect: memoryConnector({ up: upstreamServer }),
    upstreams: { up: { url: 'memory://up' } },
    healthIntervalMs: 0,
    access: createPolicyAccess({
      policy: createPolicy(rules),
      audit,
      consent: createConsentStep({ ledger: createConsentLedger({ kv: store.kv, audit }) }),
    }),
  });
}

const everyone: PolicyRule = { effect: 'allow', subjects: ['*'], actions: ['*'] };

describe('the audit trail of forwarded calls', () => {
  it('keeps a call’s audit record before the client gets its answer', async () => {
    let release: () => void = () => {};
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    const written: AuditEvent[] = [];
    let asked = false;
    await using hub = auditedHub(
      async (event) => {
        if (event.type === 'call') {
          asked = true;
          await held;
        }
        written.push(event);
      },
      [everyone],
    );
    await hub.start();
    const client = await connectLegacyClient(hub);
    let answered = false;
    const call = client.callTool({ name: 'up__ok', arguments: {} }).then((result) => {
      answered = true;
      return result;
    });
    // The upstream has answered once the sink is asked to write the call's record.
    await expect.poll(() => asked, { timeout: 10_000 }).toBe(true);
    // Everything the hub could do without the record has run by the next macrotasks.
    for (let turn = 0; turn < 5; turn++) await new Promise((resolve) => setImmediate(resolve));
    expect(answered).toBe(false);
    release();
    await call;
    expect(written.map((event) => [event.type, event.outcome])).toEqual([['call', 'success']]);
    await client.close();
  });

  it('audits a tool result with isError as an error, with the reason', async () => {
    const written: AuditEvent[] = [];
    await using hub = auditedHub((event) => void written.push(event), [everyone]);
    await hub.start();
    const client = await connectLegacyClient(hub);
    const result = await client.callTool({ name: 'up__broken', arguments: {} });
    expect(result.isError).toBe(true);
    await client.callTool({ name: 'up__ok', arguments: {} });
    expect(written.map((event) => [event.target, event.outcome])).toEqual([
      ['up__broken', 'error'],
      ['up__ok', 'success'],
    ]);
    expect(written[0]?.reason).toContain('isError');
    await client.close();
  });

  it('audits a consent refusal (-32063) of a client that cannot answer the question', async () => {
    const written: AuditEvent[] = [];
    await using hub = auditedHub(
      (event) => void written.push(event),
      [
        everyone,
        { subjects: ['*'], actions: ['tools/call'], targets: ['up__ok'], consent: 'required' },
      ],
    );
    await hub.start();
    const client = await connectLegacyClient(hub); // declares no elicitation
    await expect(client.callTool({ name: 'up__ok', arguments: {} })).rejects.toMatchObject({
      code: -32063,
    });
    expect(written).toMatchObject([
      { type: 'consent', outcome: 'denied', target: 'up__ok', action: 'tools/call' },
    ]);
    expect(written[0]?.reason).toContain('consent');
    await client.close();
  });

  it('audits an interactive call whose client answers its question too late', async () => {
    const written: AuditEvent[] = [];
    const audit = createAuditLog({ sinks: [{ write: (event) => void written.push(event) }] });
    await using hub = createHub({
      connect: memoryConnector({ alpha: () => createTestUpstream({ name: 'alpha' }).server }),
      upstreams: { alpha: { url: 'memory://alpha' } },
      healthIntervalMs: 0,
      roundTimeoutMs: 50,
      access: createPolicyAccess({ policy: createPolicy([everyone]), audit }),
    });
    await hub.start();
    let answer: ((result: { action: 'decline' }) => void) | undefined;
    const { client, close } = await connectModernClient(hub, INTERACTIVE, (created) => {
      // The user answers only after the hub has given up on the round.
      created.setRequestHandler(
        'elicitation/create',
        () =>
          new Promise<{ action: 'decline' }>((resolve) => {
            answer = resolve;
          }),
      );
    });
    const call = client.callTool({ name: 'alpha__elicit', arguments: {} });
    call.catch(() => {});
    await expect.poll(() => answer !== undefined, { timeout: 10_000 }).toBe(true);
    // The abandoned call is recorded although no client is waiting for its end.
    await expect
      .poll(() => written.filter((event) => event.type === 'call'), { timeout: 10_000 })
      .toMatchObject([{ target: 'alpha__elicit', outcome: 'error' }]);
    expect(written.find((event) => event.type === 'call')?.reason).toContain('did not answer');
    answer?.({ action: 'decline' });
    await expect(call).rejects.toThrow(/over or expired/);
    expect(written.filter((event) => event.type === 'call')).toHaveLength(1);
    await close();
  });
});
