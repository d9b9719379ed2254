/**
 * Canonical JSON: the same value always gives the same text, whatever the order its object keys
 * were inserted in. Digests that are persisted hang on it (tool and prompt pins, consent
 * argument digests), so its output must never change for a given value and option set.
 */
import { InvalidRequestError } from './invalid-request-error.js';

/** Options of {@link canonicalJson}. */
export interface CanonicalJsonOptions {
  /**
   * Spaces of indentation per level, for a readable form (as `JSON.stringify`'s third argument,
   * at most 10). @default none (no whitespace at all)
   */
  indent?: number;
  /**
   * Put array-index keys (`"0"`, `"7"`, `"10"`: canonical integers below 2³² − 1) first, in
   * numeric order, then the other keys sorted — the order in which JavaScript enumerates an
   * object's own keys. Tool and prompt pin digests have always been computed this way; keep it
   * on for them so existing pins still match. @default false (every key sorted by UTF-16 code
   * units, as RFC 8785)
   */
  arrayIndexKeysFirst?: boolean;
}

// The largest array index is 2^32 - 2 (ECMA-262 §6.1.7).
const MAX_ARRAY_INDEX = 4_294_967_294;

function isArrayIndex(key: string): boolean {
  if (key.length === 0 || key.length > 10) return false;
  if (key !== '0' && (key.charCodeAt(0) < 49 || key.charCodeAt(0) > 57)) return false;
  for (let index = 0; index < key.length; index++) {
    const char = key.charCodeAt(index);
    if (char < 48 || char > 57) return false;
  }
  return Number(key) <= MAX_ARRAY_INDEX;
}

function sortedKeys(object: object, arrayIndexKeysFirst: boolean): string[] {
  const keys = Object.keys(object).sort();
  if (!arrayIndexKeysFirst) return keys;
  const indexes = keys.filter(isArrayIndex);
  if (indexes.length === 0) return keys;
  indexes.sort((left, right) => Number(left) - Number(right));
  return [...indexes, ...keys.filter((key) => !isArrayIndex(key))];
}

function unrepresentable(what: string): InvalidRequestError {
  return new InvalidRequestError({
    reason: `the value contains ${what}`,
    message: `Cannot write canonical JSON: the value contains ${what}. Pass plain JSON data.`,
    data: { unrepresentable: what },
  });
}

/**
 * Serialises `value` as JSON with object keys sorted at every depth, so equal values always give
 * the same text. Otherwise exactly `JSON.stringify`: `toJSON` is honoured, `undefined`,
 * functions and symbols are left out of objects and become `null` in arrays, non-finite numbers
 * become `null`; a value that is not representable at all (`undefined` itself) gives `'null'`.
 *
 * @throws {InvalidRequestError} when the value holds a BigInt or a circular reference
 *   (`error.data.unrepresentable` names which).
 * @example
 * ```ts
 * canonicalJson({ b: 1, a: [true, undefined] }); // '{"a":[true,null],"b":1}'
 * ```
 */
export function canonicalJson(value: unknown, options: CanonicalJsonOptions = {}): string {
  const arrayIndexKeysFirst = options.arrayIndexKeysFirst ?? false;
  const indent = Math.min(10, Math.max(0, Math.floor(options.indent ?? 0)));
  const gap = ' '.repeat(indent);
  const seen = new Set<object>();

  const write = (item: unknown, margin: string): string | undefined => {
    if (item === null) return 'null';
    switch (typeof item) {
      case 'string':
      case 'boolean':
        return JSON.stringify(item);
      case 'number':
        return Number.isFinite(item) ? JSON.stringify(item) : 'null';
      case 'undefined':
      case 'function':
      case 'symbol':
        return undefined;
      case 'bigint':
        throw unrepresentable('a BigInt, which JSON cannot represent');
    }
    const object = item as object;
    if (seen.has(object)) throw unrepresentable('a circular reference');
    seen.add(object);
    try {
      if (typeof (object as { toJSON?: unknown }).toJSON === 'function') {
        return write((object as { toJSON: () => unknown }).toJSON(), margin);
      }
      const inner = margin + gap;
      const members: string[] = [];
      if (Array.isArray(object)) {
        for (const element of object) members.push(write(element, inner) ?? 'null');
        if (members.length === 0) return '[]';
        return gap === ''
          ? `[${members.join(',')}]`
          : `[\n${inner}${members.join(`,\n${inner}`)}\n${margin}]`;
      }
      for (const key of sortedKeys(object, arrayIndexKeysFirst)) {
        const member = write((object as Record<string, unknown>)[key], inner);
        if (member !== undefined) {
          members.push(`${JSON.stringify(key)}${gap === '' ? ':' : ': '}${member}`);
        }
      }
      if (members.length === 0) return '{}';
      return gap === ''
        ? `{${members.join(',')}}`
        : `{\n${inner}${members.join(`,\n${inner}`)}\n${margin}}`;
    } finally {
      seen.delete(object);
    }
  };

  return write(value, '') ?? 'null';
}
