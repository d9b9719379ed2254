/**
 * The two-way table behind tool and prompt namespacing. `encode` turns an upstream's name into
 * the name the hub exposes (`<upstreamId>__<name>`) and remembers it; `decode` looks the exposed
 * name up and gives back the upstream and its original name.
 *
 * Exposed names that would be longer than `maxLength`, or that had to be sanitised, end in
 * `_<hash>`: a hash of the upstream id and the original name, so they are the same on every
 * replica and after every restart. A collision in the table (two inputs, one exposed name) is
 * resolved by salting the hash with an attempt counter.
 */
import { FedmcpError } from './fedmcp-error.js';
import { InvalidConfigError } from './invalid-config-error.js';
import {
  MCP_TOOL_NAME_MAX_LENGTH,
  sanitizeMcpToolName,
  validateMcpToolName,
} from './mcp-tool-name.js';
import { assertNamespacePrefix, NAMESPACE_SEPARATOR } from './namespace-prefix.js';
import { NotFoundError } from './not-found-error.js';
import { stableHash } from './stable-hash.js';

/** The default longest name the hub exposes (the MCP limit is 128; many clients allow 64). */
export const DEFAULT_EXPOSED_NAME_MAX_LENGTH = 64;

const HASH_LENGTH = 10;
// Longest prefix (32) + separator (2) + one head character + "_" + hash: below it nothing fits.
const MIN_MAX_LENGTH = 32 + NAMESPACE_SEPARATOR.length + 1 + 1 + HASH_LENGTH;

/** An upstream and the name it knows a tool or prompt by. */
export interface NamespacedName {
  /** The upstream (or peer hub) id. */
  upstreamId: string;
  /** The name as the upstream exposes it. */
  name: string;
}

/** Options of {@link createNameTable}. */
export interface NameTableOptions {
  /**
   * What the table holds, used in error messages.
   * @default 'tool'
   */
  kind?: 'tool' | 'prompt';
  /**
   * The longest exposed name. Longer names are shortened to a head and a hash.
   * @default 64
   */
  maxLength?: number;
  /**
   * Whether names get the `<upstreamId>__` prefix. `false` exposes names unchanged (pass-through);
   * can be overridden per call of `encode`.
   * @default true
   */
  prefix?: boolean;
  /**
   * What to do with an upstream name that breaks the MCP tool-name rules (characters outside
   * `[A-Za-z0-9_.-]`, over 128 characters): `'sanitize'` replaces the bad characters with `_` and
   * appends a hash (the table still maps it back exactly); `'reject'` throws.
   * @default 'sanitize'
   */
  invalidNames?: 'sanitize' | 'reject';
}

/** Options of {@link NameTable.encode}. */
export interface EncodeNameOptions {
  /**
   * Whether to add the `<upstreamId>__` prefix; `false` exposes the name unchanged unless it
   * collides with a name already in the table, in which case the prefixed form is used.
   * @default the table's `prefix` option
   */
  prefix?: boolean;
}

/** A two-way table between upstream names and exposed names. See {@link createNameTable}. */
export interface NameTable {
  /**
   * The exposed name for an upstream's tool or prompt, registered so `decode` can reverse it.
   * The same input always gives the same output.
   * @throws {InvalidConfigError} when `upstreamId` is not a valid prefix.
   * @throws {FedmcpError} `INVALID_PARAMS` when `name` is empty, or breaks the MCP rules and
   *   `invalidNames` is `'reject'`.
   */
  encode(upstreamId: string, name: string, options?: EncodeNameOptions): string;
  /**
   * The upstream and original name behind an exposed name.
   * @throws {NotFoundError} when `encode` did not produce the name (or it was forgotten).
   */
  decode(exposedName: string): NamespacedName;
  /** Like `decode`, but returns `undefined` for an unknown name. */
  lookup(exposedName: string): NamespacedName | undefined;
  /** Removes every name of an upstream (when it is removed, or before re-listing it). */
  forgetUpstream(upstreamId: string): void;
  /** The exposed names and what they stand for. */
  entries(): IterableIterator<[string, NamespacedName]>;
  /** How many names the table holds. */
  readonly size: number;
}

/**
 * Creates a two-way table for namespacing tool or prompt names. Create one per name space (one
 * for tools, one for prompts); {@link createNamespaceCodec} makes both.
 *
 * @throws {InvalidConfigError} when `maxLength` is out of range.
 * @example
 * ```ts
 * const tools = createNameTable();
 * tools.encode('github', 'create_issue'); // 'github__create_issue'
 * tools.decode('github__create_issue'); // { upstreamId: 'github', name: 'create_issue' }
 * ```
 */
export function createNameTable(options: NameTableOptions = {}): NameTable {
  const kind = options.kind ?? 'tool';
  const maxLength = options.maxLength ?? DEFAULT_EXPOSED_NAME_MAX_LENGTH;
  const defaultPrefix = options.prefix ?? true;
  const invalidNames = options.invalidNames ?? 'sanitize';
  if (
    !Number.isInteger(maxLength) ||
    maxLength < MIN_MAX_LENGTH ||
    maxLength > MCP_TOOL_NAME_MAX_LENGTH
  ) {
    throw new InvalidConfigError({
      path: 'maxLength',
      reason: `${maxLength} is out of range: use an integer from ${MIN_MAX_LENGTH} to ${MCP_TOOL_NAME_MAX_LENGTH}`,
    });
  }

  // exposed name → original; and (upstream, name, mode) → exposed name.
  const byExposed = new Map<string, NamespacedName>();
  const byOriginal = new Map<string, string>();
  const originalKey = (upstreamId: string, name: string, prefixed: boolean) =>
    `${prefixed ? 'p' : 'n'}\u0000${upstreamId}\u0000${name}`;

  function hashed(head: string, upstreamId: string, name: string, attempt: number): string {
    const salt = attempt === 0 ? '' : `\u0000${attempt}`;
    const hash = stableHash(`${upstreamId}\u0000${name}${salt}`, HASH_LENGTH);
    return `${head.slice(0, maxLength - HASH_LENGTH - 1)}_${hash}`;
  }

  function candidates(upstreamId: string, name: string, prefixed: boolean): Generator<string> {
    const problems = validateMcpToolName(name);
    const lossy = problems.length > 0;
    const body = lossy ? sanitizeMcpToolName(name) : name;
    const prefixedForm = `${upstreamId}${NAMESPACE_SEPARATOR}${body}`;
    return (function* () {
      if (!prefixed) {
        // Pass-through: the name itself, then the prefixed forms if it is taken.
        if (!lossy && body.length <= maxLength) yield body;
        else yield hashed(body, upstreamId, name, 0);
      }
      if (!lossy && prefixedForm.length <= maxLength) yield prefixedForm;
      for (let attempt = 0; ; attempt++) yield hashed(prefixedForm, upstreamId, name, attempt);
    })();
  }

  return {
    encode(upstreamId, name, encodeOptions = {}) {
      assertNamespacePrefix(upstreamId);
      if (typeof name !== 'string' || name.length === 0) {
        throw new FedmcpError(
          'INVALID_PARAMS',
          `Upstream "${upstreamId}" has a ${kind} with an empty name. MCP ${kind} names have 1 to 128 characters; fix the upstream.`,
          { data: { upstreamId, name } },
        );
      }
      const prefixed = encodeOptions.prefix ?? defaultPrefix;
      const key = originalKey(upstreamId, name, prefixed);
      const known = byOriginal.get(key);
      if (known !== undefined) return known;
      if (invalidNames === 'reject') {
        const problems = validateMcpToolName(name);
        if (problems.length > 0) {
          throw new FedmcpError(
            'INVALID_PARAMS',
            `The ${kind} name ${JSON.stringify(name)} of upstream "${upstreamId}" ${problems.join(' and ')}. Rename it in the upstream, or let the hub sanitise such names (invalidNames: 'sanitize').`,
            { data: { upstreamId, name, problems } },
          );
        }
      }
      for (const candidate of candidates(upstreamId, name, prefixed)) {
        const owner = byExposed.get(candidate);
        // Taken by another name; the same name registered in the other mode may share it.
        if (owner !== undefined && (owner.upstreamId !== upstreamId || owner.name !== name))
          continue;
        byExposed.set(candidate, { upstreamId, name });
        byOriginal.set(key, candidate);
        return candidate;
      }
      /* c8 ignore next */
      throw new FedmcpError('INTERNAL', 'unreachable');
    },

    decode(exposedName) {
      const found = byExposed.get(exposedName);
      if (found === undefined) throw new NotFoundError({ kind, name: exposedName });
      return { ...found };
    },

    lookup(exposedName) {
      const found = byExposed.get(exposedName);
      return found === undefined ? undefined : { ...found };
    },

    forgetUpstream(upstreamId) {
      for (const [exposed, original] of byExposed) {
        if (original.upstreamId !== upstreamId) continue;
        byExposed.delete(exposed);
        byOriginal.delete(originalKey(upstreamId, original.name, true));
        byOriginal.delete(originalKey(upstreamId, original.name, false));
      }
    },

    *entries() {
      for (const [exposed, original] of byExposed) yield [exposed, { ...original }];
    },

    get size() {
      return byExposed.size;
    },
  };
}
