import { describe, expect, it } from 'vitest';
import { canonicalJson } from './canonical-json.js';
import { FedmcpError } from './fedmcp-error.js';

// The two helpers this one replaced, verbatim, as oracles: their output is persisted (pin
// digests in pin files; consent argument digests in the store), so it must not change by a byte.

/** Was `canonicalJson` of @fedmcp/federation's pinning/definition-digest.ts (pin digests). */
function pinningOracle(value: unknown, indent?: number): string {
  function sortKeys(item: unknown): unknown {
    if (Array.isArray(item))
      return item.map((entry) => (entry === undefined ? null : sortKeys(entry)));
    if (typeof item === 'object' && item !== null) {
      const sorted: Record<string, unknown> = {};
      for (const key of Object.keys(item).sort()) {
        const member = (item as Record<string, unknown>)[key];
        if (member !== undefined) sorted[key] = sortKeys(member);
      }
      return sorted;
    }
    return item;
  }
  return JSON.stringify(sortKeys(value), null, indent) ?? 'null';
}

/** Was `canonicalJson` of @fedmcp/proxy-auth's consent-ledger.ts (consent argument digests). */
function consentOracle(value: unknown, seen = new Set<object>()): string | undefined {
  if (value === null) return 'null';
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return JSON.stringify(value);
    case 'number':
      return Number.isFinite(value) ? JSON.stringify(value) : 'null';
    case 'undefined':
    case 'function':
    case 'symbol':
      return undefined;
    case 'bigint':
      throw new Error('BigInt');
  }
  const object = value as object;
  if (seen.has(object)) throw new Error('circular');
  seen.add(object);
  try {
    if (typeof (object as { toJSON?: unknown }).toJSON === 'function') {
      return consentOracle((object as { toJSON: () => unknown }).toJSON(), seen);
    }
    if (Array.isArray(object)) {
      return `[${object.map((item) => consentOracle(item, seen) ?? 'null').join(',')}]`;
    }
    const members: string[] = [];
    for (const key of Object.keys(object).sort()) {
      const member = consentOracle((object as Record<string, unknown>)[key], seen);
      if (member !== undefined) members.push(`${JSON.stringify(key)}:${member}`);
    }
    return `{${members.join(',')}}`;
  } finally {
    seen.delete(object);
  }
}

const shared = { same: 'object twice' };

/** Inputs chosen to tell key orders, escapes and number forms apart. */
const trickyInputs: unknown[] = [
  undefined,
  null,
  true,
  0,
  -0,
  1e21,
  1e-7,
  0.1 + 0.2,
  Number.NaN,
  Number.POSITIVE_INFINITY,
  Number.MAX_SAFE_INTEGER + 2,
  '',
  'é 😀 \u2028 \u0000 " \\ \n',
  '\ud800 lone surrogate',
  [],
  {},
  [undefined, () => 1, Symbol('s'), null, [[]], {}],
  { b: 1, a: 2, B: 3, _: 4, '': 5, é: 6, 'a b': 7, aa: 8, 'a\u0000': 9 },
  // Array-index keys (and look-alikes): where the two old helpers disagreed.
  { b: 1, 10: 'ten', 2: 'two', 1: 'one', 0: 'zero', '01': 'not an index', '-1': 'no', '1.5': 'no' },
  { 4294967294: 'largest index', 4294967295: 'not an index', 99999999999: 'not an index' },
  { '\u{1F600}': 'astral', '\uffff': 'bmp max', z: 'z' },
  { undefinedMember: undefined, fn: () => 1, symbol: Symbol('x'), kept: null },
  { nested: { z: [{ y: 1, x: { w: 2, v: [3, { u: 4, t: 5 }] } }], a: shared }, again: shared },
  {
    name: 'create_issue',
    description: 'Creates an issue',
    inputSchema: {
      type: 'object',
      properties: { title: { type: 'string' }, body: { type: 'string' }, 7: { type: 'number' } },
      required: ['title'],
      additionalProperties: false,
    },
    annotations: { readOnlyHint: false, destructiveHint: true },
  },
];

describe('canonicalJson', () => {
  it('writes keys sorted at every depth with no whitespace', () => {
    expect(canonicalJson({ b: 1, a: { d: [{ z: 1, y: undefined }], c: undefined } })).toBe(
      '{"a":{"d":[{"z":1}]},"b":1}',
    );
    expect(canonicalJson(undefined)).toBe('null');
  });

  it('is byte-identical to the old consent-ledger helper (consent digests)', () => {
    for (const input of trickyInputs) {
      expect(canonicalJson(input)).toBe(consentOracle(input) ?? 'null');
    }
  });

  it('with arrayIndexKeysFirst, is byte-identical to the old pinning helper (pin digests)', () => {
    for (const input of trickyInputs) {
      expect(canonicalJson(input, { arrayIndexKeysFirst: true })).toBe(pinningOracle(input));
      for (const indent of [2, 4, 12]) {
        expect(canonicalJson(input, { arrayIndexKeysFirst: true, indent })).toBe(
          pinningOracle(input, indent),
        );
      }
    }
  });

  it('orders array-index keys by code units by default and numerically when asked', () => {
    const value = { b: 1, 10: 1, 2: 1, '01': 1 };
    expect(canonicalJson(value)).toBe('{"01":1,"10":1,"2":1,"b":1}');
    expect(canonicalJson(value, { arrayIndexKeysFirst: true })).toBe('{"2":1,"10":1,"01":1,"b":1}');
  });

  it('writes the readable form like JSON.stringify with an indent', () => {
    expect(canonicalJson({ b: [1, {}], a: [] }, { indent: 2 })).toMatchInlineSnapshot(`
      "{
        "a": [],
        "b": [
          1,
          {}
        ]
      }"
    `);
  });

  it('honours toJSON as JSON.stringify does (the old pinning helper turned a Date into {})', () => {
    const date = new Date(Date.UTC(2026, 0, 2));
    expect(canonicalJson({ at: date })).toBe('{"at":"2026-01-02T00:00:00.000Z"}');
  });

  it('refuses a BigInt and a circular reference with an INVALID_REQUEST error', () => {
    const circular: Record<string, unknown> = {};
    circular.self = circular;
    for (const [input, what] of [
      [circular, 'a circular reference'],
      [{ n: 1n }, 'a BigInt, which JSON cannot represent'],
    ] as const) {
      const error = (() => {
        try {
          canonicalJson(input);
        } catch (caught) {
          return caught;
        }
      })();
      expect(FedmcpError.isInstance(error)).toBe(true);
      expect((error as FedmcpError).code).toBe('INVALID_REQUEST');
      expect((error as FedmcpError).data?.unrepresentable).toBe(what);
    }
  });
});
