/**
 * W3C Trace Context (https://www.w3.org/TR/trace-context/) carried in `_meta`.
 *
 * The keys are the unprefixed `traceparent` and `tracestate`, not `io.fedmcp/…`: MCP's SEP-414
 * reserves exactly these keys in `_meta` for W3C Trace Context (an exception to the prefix rule,
 * shared with the OpenTelemetry MCP semantic conventions and the MCP SDKs), so traces join up
 * with every MCP client, server and tracing tool, not only with fedmcp hubs.
 */
import * as z from 'zod';
import { type MetaObject, writeMetaValue } from './federation-meta.js';
import { InvalidRequestError } from './invalid-request-error.js';

/** `_meta` key of the W3C `traceparent` (SEP-414). */
export const TRACEPARENT_META_KEY = 'traceparent';
/** `_meta` key of the W3C `tracestate` (SEP-414). */
export const TRACESTATE_META_KEY = 'tracestate';

/** The parts of a `traceparent`. */
export interface Traceparent {
  /** Two lowercase hex digits; `'00'` today. */
  version: string;
  /** 32 lowercase hex digits, not all zero. */
  traceId: string;
  /** The caller's span id: 16 lowercase hex digits, not all zero. */
  parentId: string;
  /** Two lowercase hex digits of flags. */
  flags: string;
  /** Whether the `sampled` flag (0x01) is set. */
  sampled: boolean;
}

/** Trace context as carried in `_meta`. */
export interface TraceContext {
  traceparent: string;
  tracestate?: string;
}

// W3C Trace Context §3.2.2: version "-" trace-id "-" parent-id "-" trace-flags.
const TRACEPARENT_PATTERN = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})/;
// §3.3.1: list-member = key "=" value; key = simple-key / multi-tenant-key.
const TRACESTATE_MEMBER =
  /^(?:[a-z][a-z0-9_\-*/]{0,255}|[a-z0-9][a-z0-9_\-*/]{0,240}@[a-z][a-z0-9_\-*/]{0,13})=[\x20-\x2b\x2d-\x3c\x3e-\x7e]{0,255}[\x21-\x2b\x2d-\x3c\x3e-\x7e]$/;

/**
 * Parses a `traceparent` value. Returns `undefined` when it is invalid, as W3C Trace Context asks
 * receivers to ignore a malformed one (§3.2.2.x: version `ff`, all-zero ids, wrong lengths, and for
 * version `00` anything after the flags).
 */
export function parseTraceparent(value: unknown): Traceparent | undefined {
  if (typeof value !== 'string') return undefined;
  const match = TRACEPARENT_PATTERN.exec(value);
  if (match === null) return undefined;
  const [, version, traceId, parentId, flags] = match as unknown as [
    string,
    string,
    string,
    string,
    string,
  ];
  if (version === 'ff') return undefined;
  // Version 00 is exactly 55 characters; later versions may append "-" and more fields.
  if (version === '00' ? value.length !== 55 : value.length > 55 && value[55] !== '-') {
    return undefined;
  }
  if (/^0+$/.test(traceId) || /^0+$/.test(parentId)) return undefined;
  return { version, traceId, parentId, flags, sampled: (Number.parseInt(flags, 16) & 1) === 1 };
}

/** Returns true when `value` is a valid W3C `traceparent`. */
export function isValidTraceparent(value: unknown): value is string {
  return parseTraceparent(value) !== undefined;
}

/** Returns true when `value` is a valid W3C `tracestate` (at most 32 members, 512 characters). */
export function isValidTracestate(value: unknown): value is string {
  if (typeof value !== 'string' || value.length > 512) return false;
  const members = value
    .split(',')
    .map((member) => member.trim())
    .filter((member) => member !== '');
  if (members.length > 32) return false;
  return members.every((member) => TRACESTATE_MEMBER.test(member));
}

/** Schema of a `traceparent` value. */
export const TraceparentSchema = z
  .string()
  .refine(
    isValidTraceparent,
    'must be a W3C traceparent: 00-<32 hex trace id>-<16 hex span id>-<2 hex flags>',
  );

/** Schema of a `tracestate` value. */
export const TracestateSchema = z
  .string()
  .refine(
    isValidTracestate,
    'must be a W3C tracestate: up to 32 comma-separated key=value members',
  );

const HEX = Array.from({ length: 256 }, (_, byte) => byte.toString(16).padStart(2, '0'));
/** Random bytes drawn in blocks: one `getRandomValues` call serves many ids (as `randomUUID` does). */
const randomPool = new Uint8Array(4096);
let randomOffset = randomPool.length;

function randomHex(bytes: number): string {
  for (;;) {
    if (randomOffset + bytes > randomPool.length) {
      crypto.getRandomValues(randomPool);
      randomOffset = 0;
    }
    const start = randomOffset;
    randomOffset += bytes;
    let hex = '';
    let nonZero = false;
    for (let index = start; index < start + bytes; index += 1) {
      const byte = randomPool[index] as number;
      if (byte !== 0) nonZero = true;
      hex += HEX[byte];
    }
    if (nonZero) return hex;
  }
}

/** A new random span id: 16 lowercase hex digits, never all zero (`crypto.getRandomValues`). */
export function createSpanId(): string {
  return randomHex(8);
}

/** Options of {@link createTraceparent}. */
export interface CreateTraceparentOptions {
  /**
   * Whether to set the `sampled` flag.
   * @default true
   */
  sampled?: boolean;
}

/** A `traceparent` that starts a new trace, with random trace and span ids. */
export function createTraceparent(options: CreateTraceparentOptions = {}): string {
  return `00-${randomHex(16)}-${createSpanId()}-${(options.sampled ?? true) ? '01' : '00'}`;
}

/**
 * A `traceparent` for a child span of `parent`: the same trace id and flags, a new span id.
 * Always written in version `00` (W3C Trace Context §3.2.4: downgrade what you do not understand).
 * @throws {InvalidRequestError} when `parent` is not a valid `traceparent`.
 */
export function createChildTraceparent(parent: string): string {
  const parsed = parseTraceparent(parent);
  if (parsed === undefined) {
    throw new InvalidRequestError({
      reason: `${JSON.stringify(parent)} is not a W3C traceparent (00-<32 hex>-<16 hex>-<2 hex>)`,
    });
  }
  return `00-${parsed.traceId}-${createSpanId()}-${parsed.flags}`;
}

/**
 * The trace context in a `_meta` object, or `undefined` when there is none or its `traceparent`
 * is invalid (W3C: ignore it and start a new trace). An invalid `tracestate` is dropped. Never
 * throws: a bad trace header must not fail a request.
 */
export function readTraceContext(meta: Readonly<MetaObject> | undefined): TraceContext | undefined {
  const traceparent = meta?.[TRACEPARENT_META_KEY];
  if (!isValidTraceparent(traceparent)) return undefined;
  const tracestate = meta?.[TRACESTATE_META_KEY];
  return isValidTracestate(tracestate) && tracestate !== ''
    ? { traceparent, tracestate }
    : { traceparent };
}

/**
 * A copy of `meta` carrying `context` (`tracestate` removed when `context` has none). Does not
 * modify `meta`.
 * @throws {InvalidRequestError} when the traceparent or tracestate is invalid.
 */
export function withTraceContext(
  meta: Readonly<MetaObject> | undefined,
  context: TraceContext,
): MetaObject {
  const withParent = writeMetaValue(
    meta,
    TRACEPARENT_META_KEY,
    TraceparentSchema,
    context.traceparent,
  );
  if (context.tracestate === undefined) {
    const { [TRACESTATE_META_KEY]: _removed, ...rest } = withParent;
    return rest;
  }
  return writeMetaValue(withParent, TRACESTATE_META_KEY, TracestateSchema, context.tracestate);
}

/**
 * A copy of `meta` for forwarding a request one hop on: its `traceparent` becomes a child span of
 * the incoming one (same trace, new span id; `tracestate` kept), or a new trace when the incoming
 * `_meta` has no valid trace context. Does not modify `meta`.
 *
 * @example
 * ```ts
 * const forwardedMeta = withChildSpan(request.params._meta);
 * ```
 */
export function withChildSpan(meta: Readonly<MetaObject> | undefined): MetaObject {
  const incoming = readTraceContext(meta);
  if (incoming === undefined) {
    const { [TRACESTATE_META_KEY]: _dropped, ...rest } = meta ?? {};
    return { ...rest, [TRACEPARENT_META_KEY]: createTraceparent() };
  }
  // Written as they are: the child traceparent is valid by construction and the tracestate was
  // just validated by `readTraceContext` (`withTraceContext` would check both again with zod:
  // issue #18 profile of a hop).
  const next: MetaObject = { ...meta, [TRACEPARENT_META_KEY]: childOf(incoming.traceparent) };
  if (incoming.tracestate === undefined) delete next[TRACESTATE_META_KEY];
  else next[TRACESTATE_META_KEY] = incoming.tracestate;
  return next;
}

/** A child of a valid `traceparent` (see {@link createChildTraceparent}). */
function childOf(parent: string): string {
  // `00-` + 32 hex trace id + `-` … `-` + 2 hex flags, at fixed offsets of a valid value.
  return `00-${parent.slice(3, 35)}-${createSpanId()}-${parent.slice(53, 55)}`;
}
