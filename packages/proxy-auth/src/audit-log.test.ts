import type { Logger } from '@fedmcp/protocol';
import { createMemoryStore } from '@fedmcp/store';
import { describe, expect, it } from 'vitest';
import {
  type AuditEvent,
  createAuditLog,
  createLoggerAuditSink,
  createStreamAuditSink,
  readAuditEvents,
} from './audit-log.js';
import { REDACTED, redactSecrets } from './redact-secrets.js';

function recordingLogger() {
  const lines: Array<{ level: string; object: unknown; message?: string }> = [];
  const at =
    (level: string) =>
    (object: unknown, message?: string): void => {
      lines.push({ level, object, message });
    };
  const logger: Logger = {
    debug: at('debug'),
    info: at('info'),
    warn: at('warn'),
    error: at('error'),
  };
  return { logger, lines };
}

const principal = {
  subject: 'alice',
  groups: ['dev'],
  scopes: [],
  authMethod: 'oauth' as const,
  issuer: 'https://id.example.com/',
  claims: { secret: 'x' },
};

describe('createAuditLog', () => {
  it('writes events to the logger and to a store stream, and reads them back', async () => {
    await using store = createMemoryStore();
    const { logger, lines } = recordingLogger();
    const audit = createAuditLog({
      sinks: [createLoggerAuditSink(logger), createStreamAuditSink(store.streams)],
      now: () => Date.UTC(2026, 10, 23, 12, 0, 0),
    });
    const event = await audit.record({
      type: 'policy',
      outcome: 'denied',
      principal,
      action: 'tools/call',
      target: 'github__delete_repo',
      upstream: 'github',
      rule: 'no-deletes',
      latencyMs: 3,
      traceId: '4bf92f3577b34da6a3ce929d0e0e4736',
      arguments: { repo: 'x' },
    });
    const expected: AuditEvent = {
      time: '2026-11-23T12:00:00.000Z',
      type: 'policy',
      outcome: 'denied',
      principal: { subject: 'alice', authMethod: 'oauth', issuer: 'https://id.example.com/' },
      action: 'tools/call',
      target: 'github__delete_repo',
      upstream: 'github',
      rule: 'no-deletes',
      latencyMs: 3,
      traceId: '4bf92f3577b34da6a3ce929d0e0e4736',
    };
    // Arguments are left out by default; the principal's claims never reach the record.
    expect(event).toEqual(expected);
    expect(lines).toEqual([
      { level: 'info', object: { audit: expected }, message: 'audit policy denied' },
    ]);
    const stored = await readAuditEvents(store.streams);
    expect(stored.map((entry) => entry.event)).toEqual([expected]);
    expect(await readAuditEvents(store.streams, { after: stored[0]!.id })).toEqual([]);
  });

  it('records arguments and results only when asked, redacted', async () => {
    const written: AuditEvent[] = [];
    const audit = createAuditLog({
      sinks: [{ write: (event) => void written.push(event) }],
      recordArguments: true,
      recordResults: true,
      redact: { secretValues: ['hunter2-very-secret'] },
    });
    await audit.record({
      type: 'call',
      outcome: 'success',
      arguments: {
        query: 'deploy',
        password: 'p',
        nested: { apiKey: 'k', note: 'uses hunter2-very-secret here' },
      },
      result: {
        content: [
          { type: 'text', text: 'token eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJhIn0.c2lnbmF0dXJl ok' },
        ],
      },
    });
    expect(written[0]).toMatchObject({
      arguments: {
        query: 'deploy',
        password: REDACTED,
        nested: { apiKey: REDACTED, note: `uses ${REDACTED} here` },
      },
      result: { content: [{ type: 'text', text: `token ${REDACTED} ok` }] },
    });
  });

  it('keeps recording when a sink fails, and reports the failure to the logger', async () => {
    const { logger, lines } = recordingLogger();
    const written: AuditEvent[] = [];
    const audit = createAuditLog({
      sinks: [
        {
          write() {
            throw new Error('disk full');
          },
        },
        { write: (event) => void written.push(event) },
      ],
      logger,
    });
    await expect(
      audit.record({ type: 'auth', outcome: 'failure', reason: 'the token has expired' }),
    ).resolves.toMatchObject({ type: 'auth' });
    expect(written).toHaveLength(1);
    expect(lines[0]).toMatchObject({
      level: 'error',
      message: 'An audit sink failed to write an event',
    });
  });
  it('resolves once an asynchronous sink took the event, and reports one that rejects', async () => {
    const { logger, lines } = recordingLogger();
    let release: () => void = () => {};
    const taken: AuditEvent[] = [];
    const audit = createAuditLog({
      sinks: [
        {
          write: (event) =>
            new Promise<void>((resolve) => {
              release = () => {
                taken.push(event);
                resolve();
              };
            }),
        },
        { write: async () => Promise.reject(new Error('store down')) },
      ],
      logger,
    });
    let settled = false;
    const recording = audit.record({ type: 'call', outcome: 'success' }).then(() => {
      settled = true;
    });
    await Promise.resolve();
    expect(settled).toBe(false);
    release();
    await recording;
    expect(taken).toHaveLength(1);
    expect(lines).toEqual([
      expect.objectContaining({
        level: 'error',
        message: 'An audit sink failed to write an event',
      }),
    ]);
  });
});

describe('createAuditLog records', () => {
  it('stores each event as one JSON line in a fixed key order, with the time of its own millisecond', async () => {
    await using store = createMemoryStore();
    const clock = [Date.UTC(2026, 10, 23, 12, 0, 0), Date.UTC(2026, 10, 23, 12, 0, 0)];
    clock.push(clock[0]! + 1);
    const audit = createAuditLog({
      sinks: [createStreamAuditSink(store.streams)],
      recordArguments: true,
      now: () => clock.shift()!,
    });
    await audit.record({
      details: { note: 'n' },
      arguments: { repo: 'x' },
      principal: { ...principal, via: ['hub-a'] },
      outcome: 'success',
      type: 'call',
      target: 'github__list',
    });
    await audit.record({ type: 'call', outcome: 'success' });
    await audit.record({ type: 'call', outcome: 'error' });
    const data = (await store.streams.read('audit')).map((entry) => entry.data);
    expect(data).toEqual([
      '{"time":"2026-11-23T12:00:00.000Z","outcome":"success","type":"call","target":"github__list",' +
        '"principal":{"subject":"alice","authMethod":"oauth","issuer":"https://id.example.com/","via":["hub-a"]},' +
        '"arguments":{"repo":"x"},"details":{"note":"n"}}',
      '{"time":"2026-11-23T12:00:00.000Z","type":"call","outcome":"success"}',
      '{"time":"2026-11-23T12:00:00.001Z","type":"call","outcome":"error"}',
    ]);
  });

  it('writes each time as toISOString does, across seconds, years and back in time', async () => {
    const base = Date.UTC(2026, 11, 31, 23, 59, 58);
    const clock = [
      ...[0, 1, 9, 10, 99, 100, 999, 1000, 1001, 1999, 2000, 2500].map((ms) => base + ms),
      base + 5, // the clock went back
      base + 5,
      -1, // before 1970
      -1000,
      0,
      253402300799999, // 9999-12-31T23:59:59.999Z
      253402300800000, // +010000-01-01T00:00:00.000Z
      base + 0.5, // a clock with fractions
    ];
    const expected = clock.map((ms) => new Date(ms).toISOString());
    const audit = createAuditLog({ sinks: [], now: () => clock.shift()! });
    const times: string[] = [];
    for (const _ of expected)
      times.push((await audit.record({ type: 'call', outcome: 'success' })).time);
    expect(times).toEqual(expected);
  });

  it('rejects (does not throw) when an event cannot be built', async () => {
    const audit = createAuditLog({ sinks: [], now: () => Number.NaN });
    const recorded = audit.record({ type: 'call', outcome: 'success' });
    await expect(recorded).rejects.toBeInstanceOf(RangeError);
  });
});

describe('redactSecrets', () => {
  it('redacts secret-like keys at any depth and credential shapes in strings', () => {
    const cyclic: Record<string, unknown> = { name: 'loop' };
    cyclic.self = cyclic;
    expect(
      redactSecrets({
        Authorization: 'Bearer abc',
        headers: { cookie: 'a=b', 'X-Api-Key': 'k', private_key: 'pk', accept: 'json' },
        list: [
          { clientSecret: 's' },
          { credentials: 'c' },
          `key fmk_${'a'.repeat(43)} here`,
          'Bearer abcdefghijkl',
        ],
        passwd: 'x',
        cyclic,
        count: 3,
      }),
    ).toEqual({
      Authorization: REDACTED,
      headers: { cookie: REDACTED, 'X-Api-Key': REDACTED, private_key: REDACTED, accept: 'json' },
      list: [
        { clientSecret: REDACTED },
        { credentials: REDACTED },
        `key ${REDACTED} here`,
        REDACTED,
      ],
      passwd: REDACTED,
      cyclic: { name: 'loop', self: '[Circular]' },
      count: 3,
    });
  });
});
