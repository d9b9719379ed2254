/**
 * One hub spread over several Durable Objects (`forwardToHubObject(request, ns, { shards })`).
 * An object is single-threaded, so a busy hub in one object cannot use more isolates; N objects
 * (`hub-0` … `hub-<N-1>`) each run the same hub on the same store. What a request needs from
 * memory decides where it goes:
 *
 * - A 2025-11-25 session lives in the object that opened it (its paused calls too, even when
 *   client-carried `cluster` sessions let any object restore the session itself). The front
 *   returns the session id as `<shard>.<id>` and, on the way in, strips the prefix and passes
 *   the request to that shard; a session id without a valid shard prefix is answered 404
 *   "Session not found" (the client starts a new session), never passed on.
 * - A 2026-07-28 retry carrying `requestState` must reach the object that paused the call. Each
 *   object names its flows after itself (the hub's `flowForwarding.replicaId` is the object's
 *   name, so a flow id is `<object>.<uuid>`), and the flow id is the payload of the signed
 *   `requestState` (`v1.<base64url JSON {p}>.<mac>`). The front reads it without checking the
 *   signature (the object checks it; a forged holder only picks which object refuses it) and
 *   passes the retry to that object. Chosen over "any object forwards to the holder" because it
 *   costs one hop instead of two and no pub/sub round; the objects still carry the hub's flow
 *   forwarding over the store's pub/sub, so a retry that reaches another object (a holder name
 *   the front does not know, e.g. after the shard count changed) is still forwarded to it.
 *   The body is read only for a POST without a session id, bounded, and parsed only when its
 *   text contains `"requestState"`.
 * - Everything else (first calls, lists, discovery, status) goes to a random object.
 *
 * Durable state (keys, audit, consents, tasks, used peer tokens) is in the store the objects
 * share; answers to consent and sign-in questions carry no holder and may reach any object, so
 * the objects must sign `requestState` with one shared key (`HubOptions.requestStateKey`).
 */
import { readBodyBytes } from '@fedmcp/protocol';
import { JsonRpcErrorCode } from '@fedmcp/transports';
import type { HubObjectNamespace } from './hub-object.js';
import { jsonRpcErrorResponse } from './responses.js';

const SESSION_HEADER = 'mcp-session-id';
/** The `requestState` codec's version prefix (`@modelcontextprotocol/server`). */
const STATE_PREFIX = 'v1.';

/** How the front spreads a hub over its objects. */
export interface HubShards {
  /** The objects' names, index = shard. */
  readonly names: readonly string[];
  /** The largest body read to find a `requestState`, in bytes. */
  readonly maxBodyBytes: number;
}

/** The names of `count` objects serving the hub `name`: `name` alone for one, else `name-<i>`. */
export function hubObjectNames(name: string, count: number): string[] {
  if (!Number.isInteger(count) || count < 1 || count > 1024) {
    throw new RangeError(`shards must be an integer from 1 to 1024 (got ${count})`);
  }
  if (count === 1) return [name];
  // The names are the objects' replica ids, which name their flows as `<replica>.<uuid>`.
  if (name.includes('.')) throw new RangeError(`a sharded hub's name cannot contain "." (${name})`);
  return Array.from({ length: count }, (_, index) => `${name}-${index}`);
}

const sessionNotFound = () =>
  jsonRpcErrorResponse(
    404,
    JsonRpcErrorCode.sessionNotFound,
    'Session not found: this session id names no object of the hub; start a new session with initialize',
  );

/** The shard a `<shard>.<id>` session id names, or undefined for a malformed or unknown one. */
function sessionShard(value: string, count: number): { shard: number; id: string } | undefined {
  const dot = value.indexOf('.');
  if (dot < 1 || dot > 4 || dot === value.length - 1) return undefined;
  const digits = value.slice(0, dot);
  if (!/^(0|[1-9][0-9]*)$/.test(digits)) return undefined;
  const shard = Number(digits);
  return shard < count ? { shard, id: value.slice(dot + 1) } : undefined;
}

/** The object holding the flow a `requestState` names (unverified: the object verifies it). */
export function holderOfRequestState(state: unknown): string | undefined {
  if (typeof state !== 'string' || !state.startsWith(STATE_PREFIX)) return undefined;
  const end = state.lastIndexOf('.');
  if (end <= STATE_PREFIX.length) return undefined;
  try {
    const base64 = state.slice(STATE_PREFIX.length, end).replace(/-/g, '+').replace(/_/g, '/');
    const envelope = JSON.parse(atob(base64)) as { p?: unknown };
    if (typeof envelope.p !== 'string') return undefined;
    const dot = envelope.p.indexOf('.');
    return dot > 0 ? envelope.p.slice(0, dot) : undefined;
  } catch {
    return undefined;
  }
}

/** The shard a session-less POST goes to: its `requestState`'s holder, or undefined (any). */
function retryShard(bytes: Uint8Array, names: readonly string[]): number | undefined {
  const text = new TextDecoder().decode(bytes);
  if (!text.includes('"requestState"')) return undefined;
  let message: unknown;
  try {
    message = JSON.parse(text);
  } catch {
    return undefined; // the object answers the parse error
  }
  const params = (message as { params?: { requestState?: unknown } } | null)?.params;
  const holder = holderOfRequestState(params?.requestState);
  const shard = holder === undefined ? -1 : names.indexOf(holder);
  return shard < 0 ? undefined : shard;
}

/** Passes a request to the object that must serve it (see the file comment). */
export async function forwardToHubShards(
  request: Request,
  namespace: HubObjectNamespace,
  shards: HubShards,
): Promise<Response> {
  const { names } = shards;
  const send = (shard: number, forwarded: Request) =>
    namespace.get(namespace.idFromName(names[shard]!)).fetch(forwarded);
  const sessionId = request.headers.get(SESSION_HEADER);
  if (sessionId !== null) {
    const named = sessionShard(sessionId, names.length);
    if (!named) return sessionNotFound();
    const headers = new Headers(request.headers);
    headers.set(SESSION_HEADER, named.id);
    return withShardSession(
      await send(named.shard, new Request(request, { headers })),
      named.shard,
    );
  }
  const any = Math.floor(Math.random() * names.length);
  if (request.method !== 'POST') return withShardSession(await send(any, request), any);
  const bytes = await readBodyBytes(request, shards.maxBodyBytes);
  if (!bytes) {
    const message = `Payload Too Large: the body exceeds ${shards.maxBodyBytes} bytes`;
    return jsonRpcErrorResponse(413, JsonRpcErrorCode.invalidRequest, message);
  }
  const shard = retryShard(bytes, names) ?? any;
  const forwarded = new Request(request.url, {
    method: 'POST',
    headers: request.headers,
    body: bytes,
    signal: request.signal,
  });
  return withShardSession(await send(shard, forwarded), shard);
}

/** Names the shard in the session id the object returned (an `initialize`'s answer). */
function withShardSession(response: Response, shard: number): Response {
  const sessionId = response.headers.get(SESSION_HEADER);
  if (sessionId === null) return response;
  const answer = new Response(response.body, response);
  answer.headers.set(SESSION_HEADER, `${shard}.${sessionId}`);
  return answer;
}
