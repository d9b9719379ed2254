import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  createChildTraceparent,
  createSpanId,
  createTraceparent,
  isValidTraceparent,
  isValidTracestate,
  parseTraceparent,
  readTraceContext,
  TRACEPARENT_META_KEY,
  TRACESTATE_META_KEY,
  withChildSpan,
  withTraceContext,
} from './trace-context.js';

const VALID = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';

describe('trace context', () => {
  it('parses a valid traceparent', () => {
    expect(parseTraceparent(VALID)).toEqual({
      version: '00',
      traceId: '4bf92f3577b34da6a3ce929d0e0e4736',
      parentId: '00f067aa0ba902b7',
      flags: '01',
      sampled: true,
    });
    expect(parseTraceparent(`01${VALID.slice(2)}-future`)?.version).toBe('01');
  });

  it('rejects malformed traceparents', () => {
    for (const bad of [
      '',
      'garbage',
      VALID.toUpperCase(),
      `ff${VALID.slice(2)}`,
      '00-00000000000000000000000000000000-00f067aa0ba902b7-01',
      '00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01',
      `${VALID}-extra`,
      VALID.slice(0, -1),
      `01${VALID.slice(2)}x`,
      42,
      undefined,
    ]) {
      expect(isValidTraceparent(bad)).toBe(false);
    }
  });

  it('creates valid traceparents and child spans of the same trace', () => {
    fc.assert(
      fc.property(fc.boolean(), (sampled) => {
        const root = createTraceparent({ sampled });
        expect(isValidTraceparent(root)).toBe(true);
        expect(parseTraceparent(root)?.sampled).toBe(sampled);
        const child = createChildTraceparent(root);
        const parsedRoot = parseTraceparent(root)!;
        const parsedChild = parseTraceparent(child)!;
        expect(parsedChild.traceId).toBe(parsedRoot.traceId);
        expect(parsedChild.flags).toBe(parsedRoot.flags);
        expect(parsedChild.parentId).not.toBe(parsedRoot.parentId);
      }),
      { numRuns: 50 },
    );
    expect(createSpanId()).toMatch(/^[0-9a-f]{16}$/);
    expect(() => createChildTraceparent('nope')).toThrow(/not a W3C traceparent/);
  });

  it('validates tracestate', () => {
    expect(isValidTracestate('congo=t61rcWkgMzE,rojo=00f067aa0ba902b7')).toBe(true);
    expect(isValidTracestate('tenant@vendor=x')).toBe(true);
    expect(isValidTracestate('Bad=1')).toBe(false);
    expect(isValidTracestate('a=b=c')).toBe(false);
    expect(isValidTracestate(Array.from({ length: 33 }, (_, i) => `k${i}=v`).join(','))).toBe(
      false,
    );
  });

  it('reads trace context from _meta, ignoring invalid values', () => {
    expect(readTraceContext({ traceparent: VALID, tracestate: 'a=1' })).toEqual({
      traceparent: VALID,
      tracestate: 'a=1',
    });
    expect(readTraceContext({ traceparent: VALID, tracestate: 'A=1' })).toEqual({
      traceparent: VALID,
    });
    expect(readTraceContext({ traceparent: 'bad' })).toBeUndefined();
    expect(readTraceContext(undefined)).toBeUndefined();
  });

  it('writes trace context and child spans without mutating', () => {
    const meta = { traceparent: VALID, tracestate: 'a=1', other: true };
    const next = withTraceContext(meta, { traceparent: VALID });
    expect(next).toEqual({ traceparent: VALID, other: true });
    expect(meta.tracestate).toBe('a=1');
    expect(() => withTraceContext({}, { traceparent: 'bad' })).toThrow(/traceparent/);

    const child = withChildSpan(meta);
    expect(meta.traceparent).toBe(VALID);
    expect(child[TRACESTATE_META_KEY]).toBe('a=1');
    expect(parseTraceparent(child[TRACEPARENT_META_KEY])?.traceId).toBe(
      '4bf92f3577b34da6a3ce929d0e0e4736',
    );
    const fresh = withChildSpan({ traceparent: 'bad', tracestate: 'a=1' });
    expect(isValidTraceparent(fresh[TRACEPARENT_META_KEY])).toBe(true);
    expect(fresh[TRACESTATE_META_KEY]).toBeUndefined();
  });

  it('writes a child span as withTraceContext would: version 00, same trace and flags, tracestate checked', () => {
    const parent = `01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00-future`;
    for (const tracestate of ['a=1,b=2', 'not a tracestate', undefined]) {
      const meta = { other: 1, traceparent: parent, ...(tracestate ? { tracestate } : {}) };
      const child = withChildSpan(meta);
      const parsed = parseTraceparent(child[TRACEPARENT_META_KEY]);
      expect(parsed).toMatchObject({
        version: '00',
        traceId: '4bf92f3577b34da6a3ce929d0e0e4736',
        flags: '00',
      });
      expect(parsed?.parentId).not.toBe('00f067aa0ba902b7');
      expect(child).toEqual(
        withTraceContext(meta, {
          traceparent: child[TRACEPARENT_META_KEY] as string,
          ...(tracestate === 'a=1,b=2' ? { tracestate } : {}),
        }),
      );
    }
  });
});
