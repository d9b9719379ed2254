/**
 * Nesting-depth bounds for inbound JSON-RPC messages. `JSON.parse` itself takes any depth, but
 * what runs after it (schema validation, `JSON.stringify` of an id or of arguments) recurses,
 * so a message nested thousands of levels deep overflows the stack there and surfaces as an
 * internal error. Every transport checks a parsed message here first and answers a too-deep one
 * as a client error.
 */
import {
  createJsonRpcError,
  JsonRpcErrorCode,
  type JsonRpcErrorResponse,
} from './json-rpc-error.js';

/** The default bound on the nesting depth of one JSON-RPC message (objects and arrays). */
export const DEFAULT_MAX_JSON_DEPTH = 64;

/**
 * The nesting depth of a parsed JSON value, counted up to `limit + 1` (a value nested deeper
 * stops the walk there). Iterative, so it cannot overflow the stack itself. A scalar has depth 0,
 * `{}` and `[]` depth 1.
 */
export function jsonDepth(value: unknown, limit: number): number {
  if (typeof value !== 'object' || value === null) return 0;
  let deepest = 0;
  const stack: Array<[unknown, number]> = [[value, 1]];
  while (stack.length > 0) {
    const [current, depth] = stack.pop() as [unknown, number];
    if (depth > deepest) deepest = depth;
    if (deepest > limit) return deepest;
    const children = Array.isArray(current) ? current : Object.values(current as object);
    for (const child of children) {
      if (typeof child === 'object' && child !== null) stack.push([child, depth + 1]);
    }
  }
  return deepest;
}

/**
 * Checks one parsed payload (a message or a batch) against a depth bound. Returns `undefined`
 * when it is within the bound, else the JSON-RPC error to answer: `-32602` (invalid params,
 * with the request's id) when only a message's `params` is too deep, `-32600` (invalid request,
 * id `null`) otherwise — an id nested that deep is no id.
 */
export function checkJsonDepth(
  payload: unknown,
  maxDepth: number,
): JsonRpcErrorResponse | undefined {
  // A batch adds one level; each of its messages gets the full bound.
  const messages = Array.isArray(payload) ? payload : [payload];
  if (Array.isArray(payload) && messages.length === 0) return undefined;
  for (const message of messages) {
    if (jsonDepth(message, maxDepth) <= maxDepth) continue;
    if (typeof message === 'object' && message !== null && !Array.isArray(message)) {
      const { params, ...rest } = message as Record<string, unknown>;
      const id = rest.id;
      if (
        params !== undefined &&
        jsonDepth(rest, maxDepth) <= maxDepth &&
        (typeof id === 'string' || typeof id === 'number')
      ) {
        return createJsonRpcError(
          JsonRpcErrorCode.invalidParams,
          `Invalid params: nested deeper than ${maxDepth} levels`,
          id,
        );
      }
    }
    return createJsonRpcError(
      JsonRpcErrorCode.invalidRequest,
      `Invalid Request: the message is nested deeper than ${maxDepth} levels`,
    );
  }
  return undefined;
}

const OPEN_BRACE = 0x7b;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACE = 0x7d;
const CLOSE_BRACKET = 0x5d;
const QUOTE = 0x22;
const BACKSLASH = 0x5c;

/**
 * Whether the JSON text in `bytes` (UTF-8) nests objects and arrays deeper than `limit`, read
 * without parsing it (brackets inside strings do not count). For a framing layer that hands the
 * text on unparsed (stdio lines).
 */
export function jsonTextDepthExceeds(bytes: Uint8Array, limit: number): boolean {
  let depth = 0;
  let inString = false;
  for (let index = 0; index < bytes.length; index += 1) {
    const byte = bytes[index];
    if (inString) {
      if (byte === BACKSLASH) index += 1;
      else if (byte === QUOTE) inString = false;
    } else if (byte === QUOTE) {
      inString = true;
    } else if (byte === OPEN_BRACE || byte === OPEN_BRACKET) {
      depth += 1;
      if (depth > limit) return true;
    } else if (byte === CLOSE_BRACE || byte === CLOSE_BRACKET) {
      depth -= 1;
    }
  }
  return false;
}
