import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FedmcpError } from './fedmcp-error.js';
import {
  appendHop,
  checkHopTrail,
  DEFAULT_MAX_HOPS,
  HOP_TRAIL_META_KEY,
  HopTrailSchema,
  readHopTrail,
  recordHop,
} from './hop-trail.js';
import { LoopDetectedError } from './loop-detected-error.js';

describe('hop trail', () => {
  it('reads an absent trail as empty and appends without mutating', () => {
    const meta = Object.freeze({ progressToken: 7 });
    const next = appendHop(meta, 'eu');
    expect(next).toEqual({ progressToken: 7, 'io.fedmcp/hops': ['eu'] });
    expect(meta).toEqual({ progressToken: 7 });
    const trail = ['eu'];
    const again = appendHop({ [HOP_TRAIL_META_KEY]: trail }, 'us');
    expect(again[HOP_TRAIL_META_KEY]).toEqual(['eu', 'us']);
    expect(trail).toEqual(['eu']);
    expect(readHopTrail(undefined)).toEqual([]);
    expect(readHopTrail(again)).toEqual(['eu', 'us']);
  });

  it('never mutates its input (property)', () => {
    const hubId = fc.stringMatching(/^[a-z0-9][a-z0-9-]{0,31}$/);
    fc.assert(
      fc.property(fc.array(hubId, { maxLength: 10 }), hubId, (trail, id) => {
        const meta = { [HOP_TRAIL_META_KEY]: trail, other: { x: 1 } };
        const snapshot = structuredClone(meta);
        const next = appendHop(meta, id);
        expect(meta).toEqual(snapshot);
        expect(readHopTrail(next)).toEqual([...trail, id]);
        expect(next.other).toBe(meta.other);
      }),
    );
  });

  it('refuses a request that would revisit this hub', () => {
    expect(() => checkHopTrail(['eu', 'us'], { selfId: 'eu' })).toThrow(LoopDetectedError);
    try {
      checkHopTrail(['eu', 'us'], { selfId: 'eu' });
    } catch (error) {
      expect(FedmcpError.isInstance(error) && error.code).toBe('LOOP_DETECTED');
      expect((error as FedmcpError).toJsonRpcError()).toMatchInlineSnapshot(`
        {
          "code": -32068,
          "data": {
            "fedmcpCode": "LOOP_DETECTED",
            "hopTrail": [
              "eu",
              "us",
            ],
            "maxHops": 4,
            "reason": "revisit",
            "selfId": "eu",
          },
          "message": "Request loop detected: hub "eu" is already in the hop trail eu → us. Check the peer configuration for a cycle.",
        }
      `);
    }
  });

  it('refuses a request that already crossed max hops (default 4)', () => {
    expect(DEFAULT_MAX_HOPS).toBe(4);
    expect(() => checkHopTrail(['a', 'b', 'c'], { selfId: 'd' })).not.toThrow();
    expect(() => checkHopTrail(['a', 'b', 'c', 'd'], { selfId: 'e' })).toThrow(
      /already crossed 4 hubs \(a → b → c → d\); hub "e" accepts at most 4/,
    );
    expect(() => checkHopTrail(['a'], { selfId: 'b', maxHops: 1 })).toThrow(LoopDetectedError);
    expect(() => checkHopTrail([], { selfId: 'a', maxHops: 0 })).toThrow(/maxHops/);
  });

  it('records a hop: check then append', () => {
    let meta: Record<string, unknown> | undefined;
    for (const hub of ['a', 'b', 'c', 'd']) meta = recordHop(meta, { selfId: hub });
    expect(readHopTrail(meta)).toEqual(['a', 'b', 'c', 'd']);
    expect(() => recordHop(meta, { selfId: 'e' })).toThrow(LoopDetectedError);
    expect(() => recordHop({ [HOP_TRAIL_META_KEY]: ['x'] }, { selfId: 'x' })).toThrow(
      LoopDetectedError,
    );
  });

  it('rejects a malformed trail and bad hub ids, naming the key', () => {
    expect(() => readHopTrail({ [HOP_TRAIL_META_KEY]: 'eu' })).toThrow(
      /_meta\["io.fedmcp\/hops"\] is malformed/,
    );
    expect(() => readHopTrail({ [HOP_TRAIL_META_KEY]: ['EU'] })).toThrow(FedmcpError);
    expect(() => appendHop(undefined, 'Not_Valid')).toThrow(/hubId/);
  });

  it('reads a valid trail as a copy, and reads exactly what the schema accepts (property)', () => {
    const trail = ['eu', 'us-1'];
    const read = readHopTrail({ [HOP_TRAIL_META_KEY]: trail });
    expect(read).toEqual(trail);
    expect(read).not.toBe(trail);
    const hubId = fc.stringMatching(/^[a-z0-9][a-z0-9-]{0,31}$/);
    const anyValue = fc.oneof(
      fc.array(hubId, { maxLength: 70 }),
      fc.array(fc.oneof(hubId, fc.string(), fc.integer(), fc.constant(null)), { maxLength: 4 }),
      fc.anything(),
    );
    fc.assert(
      fc.property(anyValue, (value) => {
        const parsed = HopTrailSchema.safeParse(value);
        const meta = { [HOP_TRAIL_META_KEY]: value };
        if (parsed.success) expect(readHopTrail(meta)).toEqual(parsed.data);
        else expect(() => readHopTrail(meta)).toThrow(/_meta\["io.fedmcp\/hops"\] is malformed/);
      }),
    );
  });

  it("refuses a sparse, deep or huge trail with the schema's error, without hanging", () => {
    const malformed = /_meta\["io.fedmcp\/hops"\] is malformed/;
    // biome-ignore lint/suspicious/noSparseArray: a hole is what is tested
    expect(() => readHopTrail({ [HOP_TRAIL_META_KEY]: [, 'eu'] })).toThrow(malformed);
    let deep: unknown = 'eu';
    for (let depth = 0; depth < 10_000; depth += 1) deep = [deep];
    expect(() => readHopTrail({ [HOP_TRAIL_META_KEY]: deep })).toThrow(malformed);
    const huge = Array.from({ length: 100_000 }, () => 'eu');
    expect(() => readHopTrail({ [HOP_TRAIL_META_KEY]: huge })).toThrow(/at most 64|<=64|64/);
    expect(() => readHopTrail({ [HOP_TRAIL_META_KEY]: ['x'.repeat(1_000_000)] })).toThrow(
      malformed,
    );
    // An inherited key is not the request's own trail.
    expect(readHopTrail(Object.create({ [HOP_TRAIL_META_KEY]: ['eu'] }))).toEqual([]);
  });
});
