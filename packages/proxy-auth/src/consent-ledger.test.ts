import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FedmcpError } from '@fedmcp/protocol';
import { createMemoryStore, type Store } from '@fedmcp/store';
import { createRedisStore, createSqliteStore } from '@fedmcp/store/node';
import { describe, expect, it } from 'vitest';
import { redisAvailable } from '../test/redis-available.js';
import { type AuditEvent, createAuditLog } from './audit-log.js';
import { consentElicitation, parseConsentAnswer } from './consent-elicitation.js';
import {
  argsDigest,
  type ConsentLedgerOptions,
  type ConsentRecordInput,
  createConsentLedger,
} from './consent-ledger.js';

function capturingAudit() {
  const events: AuditEvent[] = [];
  const audit = createAuditLog({ sinks: [{ write: (event) => void events.push(event) }] });
  return { audit, events };
}

function summary(events: readonly AuditEvent[]) {
  return events.map((event) => `${event.type} ${event.outcome} ${event.action} ${event.target}`);
}

const grant = (overrides: Partial<ConsentRecordInput> = {}): ConsentRecordInput => ({
  subject: 'alice',
  target: 'github__create_issue',
  decision: 'allow',
  scope: 'always',
  grantedVia: 'api',
  ...overrides,
});

async function expectInvalid(promise: Promise<unknown>, message: RegExp) {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(FedmcpError.isInstance(error)).toBe(true);
  expect((error as FedmcpError).code).toBe('INVALID_REQUEST');
  expect((error as Error).message).toMatch(message);
}

describe('createConsentLedger', () => {
  it('finds nothing for a call nobody consented to', async () => {
    await using store = createMemoryStore();
    const ledger = createConsentLedger({ kv: store.kv });
    expect(
      await ledger.check({ subject: 'alice', target: 'github__create_issue' }),
    ).toBeUndefined();
  });

  it('records an always-allow, applies it to every call of that subject and target, and audits both', async () => {
    await using store = createMemoryStore();
    const { audit, events } = capturingAudit();
    const ledger = createConsentLedger({
      kv: store.kv,
      audit,
      now: () => Date.parse('2026-11-23T12:00:00Z'),
    });
    const record = await ledger.record(grant({ upstream: 'github', grantedVia: 'elicitation' }));
    expect(record).toMatchObject({
      subject: 'alice',
      target: 'github__create_issue',
      decision: 'allow',
      scope: 'always',
      grantedAt: '2026-11-23T12:00:00.000Z',
      grantedVia: 'elicitation',
      upstream: 'github',
    });
    expect(record.expiresAt).toBeUndefined();
    for (let call = 0; call < 3; call += 1) {
      expect(await ledger.check({ subject: 'alice', target: 'github__create_issue' })).toEqual(
        record,
      );
    }
    expect(await ledger.check({ subject: 'bob', target: 'github__create_issue' })).toBeUndefined();
    expect(await ledger.check({ subject: 'alice', target: 'github__delete_repo' })).toBeUndefined();
    expect(summary(events)).toEqual([
      'consent granted consent/record github__create_issue',
      'consent used tools/call github__create_issue',
      'consent used tools/call github__create_issue',
      'consent used tools/call github__create_issue',
    ]);
    expect(events[0]).toMatchObject({
      upstream: 'github',
      details: {
        consentId: record.id,
        subject: 'alice',
        scope: 'always',
        grantedVia: 'elicitation',
      },
    });
    expect(events[1]).toMatchObject({
      upstream: 'github',
      details: { consentId: record.id, consumed: false, pattern: 'github__create_issue' },
    });
  });

  it('lets a once-allow through exactly one call, consuming it', async () => {
    await using store = createMemoryStore();
    const { audit, events } = capturingAudit();
    const ledger = createConsentLedger({ kv: store.kv, audit });
    const record = await ledger.record(grant({ scope: 'once' }));
    expect(await ledger.check({ subject: 'alice', target: 'github__create_issue' })).toEqual(
      record,
    );
    expect(
      await ledger.check({ subject: 'alice', target: 'github__create_issue' }),
    ).toBeUndefined();
    expect(await ledger.list()).toEqual([]);
    expect(events.at(-1)).toMatchObject({
      outcome: 'used',
      details: { consumed: true, scope: 'once' },
    });
  });

  it('keeps a once-allow while a standing allow covers the call', async () => {
    await using store = createMemoryStore();
    const ledger = createConsentLedger({ kv: store.kv });
    const once = await ledger.record(grant({ scope: 'once' }));
    const always = await ledger.record(grant({ target: 'github__*' }));
    expect(await ledger.check({ subject: 'alice', target: 'github__create_issue' })).toEqual(
      always,
    );
    expect((await ledger.list()).map((record) => record.id).sort()).toEqual(
      [once.id, always.id].sort(),
    );
  });

  it('lets a deny win over an allow, and audits the refusal', async () => {
    await using store = createMemoryStore();
    const { audit, events } = capturingAudit();
    const ledger = createConsentLedger({ kv: store.kv, audit });
    await ledger.record(grant({ target: 'github__*' }));
    const deny = await ledger.record(grant({ decision: 'deny' }));
    expect(await ledger.check({ subject: 'alice', target: 'github__create_issue' })).toEqual(deny);
    expect(
      (await ledger.check({ subject: 'alice', target: 'github__list_issues' }))?.decision,
    ).toBe('allow');
    expect(summary(events)).toEqual([
      'consent granted consent/record github__*',
      'consent denied consent/record github__create_issue',
      'consent denied tools/call github__create_issue',
      'consent used tools/call github__list_issues',
    ]);
  });

  it('applies an until-grant only before it expires, then removes it', async () => {
    let now = Date.parse('2026-11-23T12:00:00Z');
    await using store = createMemoryStore({ now: () => now });
    const ledger = createConsentLedger({ kv: store.kv, now: () => now });
    const record = await ledger.record(grant({ scope: 'until', periodMs: 3_600_000 }));
    expect(record.expiresAt).toBe('2026-11-23T13:00:00.000Z');
    // The store expires it too.
    const [entry] = (await store.kv.list({ prefix: 'consent:' })).entries;
    expect(entry?.expiresAt).toBe(Date.parse('2026-11-23T13:00:00Z'));
    now += 3_599_999;
    expect(await ledger.check({ subject: 'alice', target: 'github__create_issue' })).toEqual(
      record,
    );
    now += 1;
    expect(
      await ledger.check({ subject: 'alice', target: 'github__create_issue' }),
    ).toBeUndefined();
    expect(await store.kv.list({ prefix: 'consent:' })).toEqual({ entries: [] });
  });

  it('removes an until-grant past its expiry even when the store clock lags behind', async () => {
    let now = Date.parse('2026-11-23T12:00:00Z');
    await using store = createMemoryStore({ now: () => Date.parse('2026-11-23T12:00:00Z') });
    const ledger = createConsentLedger({ kv: store.kv, now: () => now });
    await ledger.record(grant({ scope: 'until', periodMs: 60_000 }));
    now += 60_000;
    expect(
      await ledger.check({ subject: 'alice', target: 'github__create_issue' }),
    ).toBeUndefined();
    expect((await store.kv.list({ prefix: 'consent:' })).entries).toEqual([]);
  });

  it('applies a record with an argsDigest only to calls with those arguments', async () => {
    await using store = createMemoryStore();
    const ledger = createConsentLedger({ kv: store.kv });
    const digest = await argsDigest({ repo: 'fedmcp', title: 'Bug' });
    const record = await ledger.record(grant({ argsDigest: digest }));
    const call = { subject: 'alice', target: 'github__create_issue' };
    expect(await ledger.check({ ...call, argsDigest: digest })).toEqual(record);
    expect(
      await ledger.check({ ...call, argsDigest: await argsDigest({ repo: 'other' }) }),
    ).toBeUndefined();
    expect(await ledger.check(call)).toBeUndefined();
    // A record without a digest applies to any arguments.
    const general = await ledger.record(grant({ target: 'github__list_issues' }));
    expect(
      await ledger.check({ subject: 'alice', target: 'github__list_issues', argsDigest: digest }),
    ).toEqual(general);
  });

  it('matches glob targets and everyone-subjects (operator pre-grants)', async () => {
    await using store = createMemoryStore();
    const ledger = createConsentLedger({ kv: store.kv });
    const preGrant = await ledger.record(
      grant({ subject: '*', target: 'github__*', grantedVia: 'cli' }),
    );
    expect(await ledger.check({ subject: 'bob', target: 'github__create_issue' })).toEqual(
      preGrant,
    );
    expect(await ledger.check({ subject: 'carol', target: 'github__x' })).toEqual(preGrant);
    expect(await ledger.check({ subject: 'bob', target: 'jira__create' })).toBeUndefined();
    // A personal denial beats the everyone-grant.
    await ledger.record(grant({ subject: 'bob', target: 'github__delete_*', decision: 'deny' }));
    expect((await ledger.check({ subject: 'bob', target: 'github__delete_repo' }))?.decision).toBe(
      'deny',
    );
    expect(
      (await ledger.check({ subject: 'carol', target: 'github__delete_repo' }))?.decision,
    ).toBe('allow');
  });

  it('keeps subjects apart even when one is a prefix of another or holds separators', async () => {
    await using store = createMemoryStore();
    const ledger = createConsentLedger({ kv: store.kv });
    await ledger.record(grant({ subject: 'user:al' }));
    await ledger.record(grant({ subject: 'user:al/ice', target: 'x' }));
    expect(
      await ledger.check({ subject: 'user:alice', target: 'github__create_issue' }),
    ).toBeUndefined();
    expect(
      (await ledger.check({ subject: 'user:al', target: 'github__create_issue' }))?.subject,
    ).toBe('user:al');
    expect((await ledger.list({ subject: 'user:al' })).map((record) => record.target)).toEqual([
      'github__create_issue',
    ]);
  });

  it('lists records oldest first, filtered by exact subject and target', async () => {
    let now = Date.parse('2026-11-23T12:00:00Z');
    await using store = createMemoryStore();
    const ledger = createConsentLedger({ kv: store.kv, now: () => now++ });
    const first = await ledger.record(grant({ subject: 'bob' }));
    const second = await ledger.record(grant({ target: 'github__*' }));
    const third = await ledger.record(grant());
    expect(await ledger.list()).toEqual([first, second, third]);
    expect(await ledger.list({ subject: 'alice' })).toEqual([second, third]);
    expect(await ledger.list({ target: 'github__create_issue' })).toEqual([first, third]);
    expect(await ledger.list({ subject: 'alice', target: 'github__*' })).toEqual([second]);
  });

  it('revokes by id and by filter, counting and auditing each revocation', async () => {
    await using store = createMemoryStore();
    const { audit, events } = capturingAudit();
    const ledger = createConsentLedger({ kv: store.kv, audit });
    const one = await ledger.record(grant());
    await ledger.record(grant({ target: 'jira__create' }));
    await ledger.record(grant({ subject: 'bob' }));
    expect(await ledger.revoke({ id: one.id })).toBe(1);
    expect(await ledger.revoke({ id: one.id })).toBe(0);
    expect(
      await ledger.check({ subject: 'alice', target: 'github__create_issue' }),
    ).toBeUndefined();
    expect(await ledger.revoke({ subject: 'alice' })).toBe(1);
    expect(await ledger.revoke({ target: 'github__create_issue' })).toBe(1);
    expect(await ledger.list()).toEqual([]);
    expect(summary(events.filter((event) => event.outcome === 'revoked'))).toEqual([
      'consent revoked consent/revoke github__create_issue',
      'consent revoked consent/revoke jira__create',
      'consent revoked consent/revoke github__create_issue',
    ]);
    expect(events.at(-1)?.details).toMatchObject({ subject: 'bob', decision: 'allow' });
  });

  it('skips damaged entries under its prefix instead of failing', async () => {
    await using store = createMemoryStore();
    const ledger = createConsentLedger({ kv: store.kv });
    await store.kv.set('consent:alice/broken', '{not json');
    await store.kv.set('consent:alice/foreign', JSON.stringify({ hello: 'world' }));
    const record = await ledger.record(grant());
    expect(await ledger.list()).toEqual([record]);
    expect(await ledger.check({ subject: 'alice', target: 'github__create_issue' })).toEqual(
      record,
    );
  });

  it('keeps its keys under keyPrefix', async () => {
    await using store = createMemoryStore();
    const ledger = createConsentLedger({ kv: store.kv, keyPrefix: 'tenant-a:consent:' });
    const record = await ledger.record(grant());
    expect((await store.kv.list()).entries.map((entry) => entry.key)).toEqual([
      `tenant-a:consent:alice/${record.id}`,
    ]);
    const other = createConsentLedger({ kv: store.kv });
    expect(await other.list()).toEqual([]);
  });

  it('refuses bad input with a clear INVALID_REQUEST error', async () => {
    await using store = createMemoryStore();
    const ledger = createConsentLedger({ kv: store.kv });
    await expectInvalid(
      ledger.record(grant({ subject: '' })),
      /subject must be a non-empty string/,
    );
    await expectInvalid(
      ledger.record(grant({ target: '  ' })),
      /target must be a non-empty string/,
    );
    await expectInvalid(
      ledger.record(grant({ subject: 'group:*' })),
      /subject must be an exact subject or "\*"/,
    );
    await expectInvalid(
      ledger.record(grant({ scope: 'forever' as never })),
      /scope must be one of "once", "until", "always", got "forever"/,
    );
    await expectInvalid(
      ledger.record(grant({ decision: 'maybe' as never })),
      /decision must be one of "allow", "deny"/,
    );
    await expectInvalid(
      ledger.record(grant({ grantedVia: 'email' as never })),
      /grantedVia must be one of "elicitation", "cli", "api"/,
    );
    await expectInvalid(
      ledger.record(grant({ scope: 'until', periodMs: -5 })),
      /periodMs must be a positive number of milliseconds, got -5/,
    );
    await expectInvalid(ledger.record(grant({ scope: 'until' })), /scope "until" needs periodMs/);
    await expectInvalid(
      ledger.record(grant({ periodMs: 1_000 })),
      /periodMs cannot be given with scope "always"/,
    );
    await expectInvalid(ledger.record(grant({ argsDigest: 'md5:abc' })), /argsDigest must be/);
    await expectInvalid(
      ledger.check({ subject: 'alice', target: '' }),
      /target must be a non-empty string/,
    );
    await expectInvalid(ledger.check({ subject: 'a\nb', target: 'x' }), /control characters/);
    await expectInvalid(ledger.revoke({}), /revoke needs an id, a subject or a target/);
    await expectInvalid(ledger.revoke({ id: '' }), /id must be a non-empty string/);
    expect(await ledger.list()).toEqual([]);
  });

  it('refuses an empty keyPrefix with INVALID_CONFIG', () => {
    expect(() =>
      createConsentLedger({ kv: createMemoryStore().kv, keyPrefix: '' } as ConsentLedgerOptions),
    ).toThrow(expect.objectContaining({ code: 'INVALID_CONFIG' }));
  });
});

describe('the README consent flow', () => {
  // The flow of the README's Consent section, run against a store, an audit log and a stand-in
  // for the client that answers the elicitation.
  async function consentFlow(
    ledger: ReturnType<typeof createConsentLedger>,
    elicit: (params: ReturnType<typeof consentElicitation>) => Promise<unknown>,
    args: Record<string, unknown>,
  ) {
    const call = {
      subject: 'alice',
      target: 'github__create_issue',
      argsDigest: await argsDigest(args),
    };
    let decision = (await ledger.check(call))?.decision;
    if (decision === undefined) {
      const params = consentElicitation({
        target: call.target,
        upstream: 'github',
        arguments: args,
      });
      const answer = parseConsentAnswer(await elicit(params));
      await ledger.recordAnswer({ subject: call.subject, target: call.target, answer });
      decision = answer.decision;
    }
    return decision === 'allow';
  }

  it('asks once for allow_once, remembers always_allow, and refuses after a decline', async () => {
    await using store = createMemoryStore();
    const { audit, events } = capturingAudit();
    const ledger = createConsentLedger({ kv: store.kv, audit });
    const asked: string[] = [];
    const answering =
      (content: Record<string, unknown> | undefined, action = 'accept') =>
      async (params: ReturnType<typeof consentElicitation>) => {
        asked.push(params.message.split('\n')[0]!);
        return content === undefined ? { action } : { action, content };
      };
    const args = { repo: 'fedmcp', token: 'ghp_secret' };
    expect(await consentFlow(ledger, answering({ decision: 'allow_once' }), args)).toBe(true);
    expect(await consentFlow(ledger, answering(undefined, 'decline'), args)).toBe(false);
    expect(await ledger.list()).toEqual([]);
    expect(await consentFlow(ledger, answering({ decision: 'always_allow' }), args)).toBe(true);
    expect(await consentFlow(ledger, answering({ decision: 'deny' }), { other: 1 })).toBe(true);
    expect(asked).toEqual(
      Array(3).fill('Allow the tool github__create_issue on server "github" to run?'),
    );
    expect(summary(events)).toEqual([
      'consent granted consent/answer github__create_issue',
      'consent denied consent/answer github__create_issue',
      'consent granted consent/record github__create_issue',
      'consent used tools/call github__create_issue',
    ]);
    expect(events[1]?.details).toMatchObject({ answer: 'decline', stored: false, scope: 'once' });
  });

  it('stores a period answer bound to the arguments when asked to, with the store TTL', async () => {
    let now = Date.parse('2026-11-23T12:00:00Z');
    await using store = createMemoryStore({ now: () => now });
    const { audit, events } = capturingAudit();
    const ledger = createConsentLedger({ kv: store.kv, audit, now: () => now });
    const digest = await argsDigest({ repo: 'fedmcp' });
    const answer = parseConsentAnswer({
      action: 'accept',
      content: { decision: 'allow_for_period', period: '15m' },
    });
    const record = await ledger.recordAnswer({
      subject: 'alice',
      target: 'github__create_issue',
      answer,
      argsDigest: digest,
      upstream: 'github',
    });
    expect(record).toMatchObject({
      scope: 'until',
      argsDigest: digest,
      grantedVia: 'elicitation',
      upstream: 'github',
      expiresAt: '2026-11-23T12:15:00.000Z',
    });
    const call = { subject: 'alice', target: 'github__create_issue', argsDigest: digest };
    expect(await ledger.check(call)).toEqual(record);
    now += 15 * 60_000;
    expect(await ledger.check(call)).toBeUndefined();
    expect(summary(events)).toEqual([
      'consent granted consent/record github__create_issue',
      'consent used tools/call github__create_issue',
    ]);
    await expectInvalid(
      ledger.recordAnswer({ subject: '', target: 't', answer }),
      /subject must be a non-empty string/,
    );
    await expectInvalid(
      ledger.recordAnswer({ subject: 'a', target: 't', answer: undefined as never }),
      /answer is missing/,
    );
  });
});

describe('argsDigest', () => {
  it('ignores key order at every level and pins the format', async () => {
    const left = await argsDigest({ b: 1, a: { y: [1, { q: true, p: null }], x: 'é' } });
    const right = await argsDigest({ a: { x: 'é', y: [1, { p: null, q: true }] }, b: 1 });
    expect(left).toBe(right);
    expect(left).toMatch(/^sha256:[A-Za-z0-9_-]{43}$/);
    // SHA-256 of the canonical text `{}`, so another implementation can reproduce digests.
    expect(await argsDigest({})).toBe('sha256:RBNvo1WzZ4oRRq0W9-hknpT7T8If536DEMBg9hyq_4o');
    expect(await argsDigest(undefined)).toBe(await argsDigest({}));
  });

  it('tells different arguments apart', async () => {
    const digests = await Promise.all(
      [{ a: 1 }, { a: '1' }, { a: [1, 2] }, { a: [2, 1] }, { a: 1, b: null }, { a: 1 + 1e-15 }].map(
        argsDigest,
      ),
    );
    expect(new Set(digests).size).toBe(digests.length);
  });

  it('refuses what JSON cannot hold', async () => {
    const circular: Record<string, unknown> = {};
    circular.self = circular;
    await expectInvalid(argsDigest(circular), /circular reference/);
    await expectInvalid(argsDigest({ n: 1n }), /BigInt/);
  });
});

// Two ledgers over one store stand for two hub replicas.
async function sharedLedgerBehaviour(first: Store, second: Store) {
  const { audit, events } = capturingAudit();
  const replicaA = createConsentLedger({ kv: first.kv, audit });
  const replicaB = createConsentLedger({ kv: second.kv, audit });
  const call = { subject: 'alice', target: 'github__create_issue' };

  // A grant on A applies on B; a revocation on B takes effect on A's next call.
  const always = await replicaA.record(grant());
  expect(await replicaB.check(call)).toEqual(always);
  expect(await replicaB.revoke({ id: always.id })).toBe(1);
  expect(await replicaA.check(call)).toBeUndefined();

  // A once grant lets exactly one call through, however the replicas race for it.
  const once = await replicaB.record(grant({ scope: 'once' }));
  const results = await Promise.all(
    Array.from({ length: 8 }, (_, index) => (index % 2 === 0 ? replicaA : replicaB).check(call)),
  );
  expect(results.filter((result) => result !== undefined)).toEqual([once]);
  expect(await replicaA.list()).toEqual([]);

  // A denial recorded on one replica refuses on the other.
  const deny = await replicaA.record(grant({ decision: 'deny', target: 'github__*' }));
  await replicaB.record(grant());
  expect(await replicaB.check(call)).toEqual(deny);
  expect(await replicaA.revoke({ subject: 'alice' })).toBe(2);
  expect(await replicaB.list()).toEqual([]);

  expect(events.filter((event) => event.outcome === 'used')).toHaveLength(2);
  expect(events.filter((event) => event.outcome === 'revoked')).toHaveLength(3);
}

describe('createConsentLedger (shared store)', () => {
  it('shares grants, once-consumption and revocations through one memory store', async () => {
    await using store = createMemoryStore();
    await sharedLedgerBehaviour(store, store);
  });

  it('shares them between two SQLite connections to one database file', async () => {
    const directory = await mkdtemp(join(tmpdir(), 'fedmcp-consent-'));
    try {
      const path = join(directory, 'state.db');
      await using first = createSqliteStore({ path, synchronous: 'normal' });
      await using second = createSqliteStore({ path, synchronous: 'normal' });
      await sharedLedgerBehaviour(first, second);
    } finally {
      await rm(directory, { recursive: true, force: true });
    }
  });
});

describe.runIf(redisAvailable)('createConsentLedger (redis)', () => {
  it('shares them between two connections to one Redis', async () => {
    const prefix = `fedmcp-consent-test:${Date.now()}:${Math.random().toString(36).slice(2)}:`;
    await using first = await createRedisStore({ prefix, connectionName: 'consent-test-1' });
    await using second = await createRedisStore({ prefix, connectionName: 'consent-test-2' });
    await sharedLedgerBehaviour(first, second);
    expect((await first.kv.list({ prefix: 'consent:' })).entries).toEqual([]);
  });
});
