/**
 * The 2026-07-28 fast path of `POST /mcp` (the host's `modernFastRequest` option): a stateless
 * `tools/call` or `tools/list` is classified by the SDK's own ladder (`classifyInboundRequest`, no web `Request`
 * built) and offered to the handler, which forwards it without an SDK server; whatever it
 * declines goes to a `createMcpHandler` of this route, so nothing changes for those requests but
 * who reads the body. The SDK's entry builds a server per request, and the Node adapter a web
 * `Request` and `Response` per request: measured, that is most of a 2026-07-28 call's cost in a
 * proxy (bench/modern).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { toNodeHandler } from '@modelcontextprotocol/node';
import {
  CLIENT_CAPABILITIES_META_KEY,
  CLIENT_INFO_META_KEY,
  classifyInboundRequest,
  type JSONRPCRequest,
  LOG_LEVEL_META_KEY,
  PROTOCOL_VERSION_META_KEY,
  RELATED_TASK_META_KEY,
  type ServerEventBus,
} from '@modelcontextprotocol/server';
import { JsonRpcErrorCode } from '../json-rpc-error.js';
import type {
  McpModernFastRequestExtra,
  McpModernFastRequestHandler,
  McpModernFastSerializedResponse,
} from '../mcp-modern-fast-request.js';
import { authenticateRequest, type HostContext, readJsonBody } from './host-context.js';
import { headerValue, sendJsonRpcError } from './host-http-responses.js';
import { ResponseCancellation } from './lazy-cancellation.js';
import { createModernSdkHandler, type ModernSdkHandler } from './modern-sdk-handler.js';

/** The revision the fast path serves (the SDK's entry serves the others). */
const MODERN_REVISION = '2026-07-28';
/** The methods the fast path is offered (the SDK's entry serves the others). */
const FAST_METHODS = new Set(['tools/call', 'tools/list']);

/** The 2026-07-28 fast path of a host's Streamable HTTP endpoint. */
export interface ModernFastRoute {
  /** Whether the request's headers make it one this route takes (a stateless tools/call or list). */
  accepts(request: IncomingMessage): boolean;
  /** Serves a request {@link accepts} took. */
  handle(request: IncomingMessage, response: ServerResponse): Promise<void>;
  close(): Promise<void>;
}

/** Creates the 2026-07-28 fast path around `fastRequest` (see the file comment). */
export function createModernFastRoute(
  context: HostContext,
  bus: ServerEventBus,
  fastRequest: McpModernFastRequestHandler,
): ModernFastRoute {
  const { logger, maxBodyBytes } = context;
  const envelopes = new ValidEnvelopes();
  // The SDK's entry, for the requests the handler declines (built on first use); it learns the
  // principal from the Request it is given, as the Streamable HTTP route's entry does.
  let sdk: ModernSdkHandler | undefined;
  const sdkEntry = (): ModernSdkHandler => {
    sdk ??= createModernSdkHandler(context, bus);
    return sdk;
  };

  async function serveWithSdk(
    request: IncomingMessage,
    response: ServerResponse,
    body: unknown,
    principal: unknown,
  ): Promise<void> {
    const { handler, principals } = sdkEntry();
    const serve = toNodeHandler(
      {
        fetch: (webRequest, requestOptions) => {
          principals.set(webRequest, principal);
          return handler.fetch(webRequest, requestOptions);
        },
      },
      { maxRequestBodySize: maxBodyBytes },
    );
    await serve(request, response, body);
  }

  function accepts(request: IncomingMessage): boolean {
    const headers = request.headers;
    if (
      request.method !== 'POST' ||
      headers['mcp-session-id'] !== undefined ||
      headerValue(headers['mcp-protocol-version'])?.trim() !== MODERN_REVISION ||
      !FAST_METHODS.has(headerValue(headers['mcp-method'])?.trim() ?? '') ||
      context.isClosing()
    ) {
      return false;
    }
    // The SDK answers a request it would refuse for its Accept header (406) or whose
    // `Mcp-Param-*` headers it checks against the tool's schema.
    const accept = headerValue(headers.accept);
    if (!accept?.includes('application/json') || !accept.includes('text/event-stream')) {
      return false;
    }
    for (const name in headers) if (name.startsWith('mcp-param-')) return false;
    return true;
  }

  async function handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    // Outcomes given at once are not awaited (no turn of the microtask queue per request).
    const authenticating = authenticateRequest(context, request, response);
    const authenticated = authenticating instanceof Promise ? await authenticating : authenticating;
    if (!authenticated) return;
    const reading = readJsonBody(context, request, response);
    const parsed = reading instanceof Promise ? await reading : reading;
    if (!parsed) return;
    const { body } = parsed;
    const { principal } = authenticated;
    const name = headerValue(request.headers['mcp-name']);
    const method = headerValue(request.headers['mcp-method'])?.trim() ?? '';
    // The SDK's own classification ladder (envelope, header/body agreement), on the parsed body,
    // unless the request is one it classified before but for its id (see ValidEnvelopes).
    const envelope = plainEnvelope(body, method);
    let modern = envelope !== undefined && envelopes.has(envelope);
    if (!modern) {
      const outcome = classifyInboundRequest({
        httpMethod: 'POST',
        body,
        protocolVersionHeader: MODERN_REVISION,
        mcpMethodHeader: method,
        ...(name === undefined ? {} : { mcpNameHeader: name }),
      });
      if (outcome.kind === 'legacy') {
        // Not a 2026-07-28 request after all (a batch, a posted response, an initialize): no
        // session was named, so there is nothing it could belong to.
        return sendJsonRpcError(
          response,
          400,
          JsonRpcErrorCode.invalidRequest,
          `Bad Request: MCP-Protocol-Version 2026-07-28 with Mcp-Method ${method} needs one JSON-RPC ${method} request carrying the 2026-07-28 _meta envelope`,
        );
      }
      modern = outcome.kind === 'modern' && outcome.messageKind === 'request';
      if (modern && envelope !== undefined) envelopes.add(envelope);
    }
    const message = body as JSONRPCRequest;
    if (!modern || !isFastRequest(message, method, name)) {
      return serveWithSdk(request, response, body, principal);
    }
    const fast = new ModernFastRequest(context, response, principal);
    const answer = fastRequest(message, fast);
    if (answer === undefined) return serveWithSdk(request, response, body, principal);
    let reply: unknown;
    try {
      reply = await answer;
    } catch (error) {
      logger.warn({ err: error }, 'A 2026-07-28 fast-path request failed');
      // JSON-RPC 2.0 §5.1
      reply = {
        jsonrpc: '2.0',
        id: message.id,
        error: { code: -32603, message: 'Internal error' },
      };
    } finally {
      fast.release();
    }
    if (reply === undefined) return serveWithSdk(request, response, body, principal);
    if (response.headersSent || response.destroyed) return;
    const serialized = (reply as Partial<McpModernFastSerializedResponse>).serialized;
    if (serialized) return sendSerialized(response, serialized);
    sendJson(response, JSON.stringify(reply));
  }

  return {
    accepts,
    handle,
    async close() {
      await sdk?.handler.close().catch(() => {});
    },
  };
}

/**
 * A request of the method its `Mcp-Method` header names: a tools/list, or a tools/call whose
 * `Mcp-Name` header names its tool as it is (the SDK also checks the header's encoded forms and
 * answers a mismatch: those take its path).
 */
function isFastRequest(
  message: JSONRPCRequest,
  method: string,
  nameHeader: string | undefined,
): boolean {
  if (message.method !== method) return false;
  if (typeof message.id !== 'string' && typeof message.id !== 'number') return false;
  if (method === 'tools/list') return nameHeader === undefined;
  const name = (message.params as { name?: unknown } | undefined)?.name;
  return typeof name === 'string' && nameHeader?.trim() === name;
}

/**
 * A JSON answer in one write of the socket: Node joins the head and a string body into one
 * string, but `end(text)` (and `write(text)` then `end()`) leaves the socket corked and flushes it
 * with an empty chunk after it through `writev`; uncorked after the write, it goes alone, and
 * `end()` has nothing left to flush (as `fast-response-stream.ts` answers). The head as a flat
 * list, which Node stores without walking an object.
 */
function sendJson(response: ServerResponse, text: string): void {
  response.writeHead(200, JSON_HEAD(Buffer.byteLength(text)));
  response.write(text);
  response.socket?.uncork(); // Node corked it until the next tick in write()
  response.end();
}

/** The head of a JSON answer of `length` bytes. */
const JSON_HEAD = (length: number): string[] => [
  'content-type',
  'application/json',
  'content-length',
  String(length),
];

/** The JSON-RPC request members (the SDK's request schema is strict: no others). */
const REQUEST_MEMBERS: ReadonlySet<string> = new Set(['jsonrpc', 'id', 'method', 'params']);

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * For a request whose classification the SDK's ladder decides by its envelope alone, the
 * envelope (the request's `_meta`); `undefined` for anything else (the ladder then classifies it,
 * as always). Such a request is a JSON object with only the JSON-RPC request members, version
 * 2.0, a string or safe-integer id, the method its `Mcp-Method` header names (not `initialize`),
 * and params whose `_meta` claims 2026-07-28 and carries no progress token, log level or related
 * task: then the SDK's ladder (`classifyInboundRequest`: not a response — its schemas are strict
 * and a request has `method` — a valid JSON-RPC request, an envelope claim naming the header's
 * version and method) answers `modern` exactly when its envelope check
 * (`RequestMetaEnvelopeSchema`, a loose object of those keys) passes, which reads only the
 * client's info and capabilities here: {@link ValidEnvelopes} remembers those two.
 */
function plainEnvelope(body: unknown, method: string): Record<string, unknown> | undefined {
  if (!isPlainObject(body)) return undefined;
  for (const member in body) if (!REQUEST_MEMBERS.has(member)) return undefined;
  if (body.jsonrpc !== '2.0' || body.method !== method || method === 'initialize') {
    return undefined;
  }
  const id = body.id;
  if (typeof id !== 'string' && !Number.isSafeInteger(id)) return undefined;
  const params = body.params;
  if (!isPlainObject(params)) return undefined;
  const meta = params._meta;
  if (
    !isPlainObject(meta) ||
    meta[PROTOCOL_VERSION_META_KEY] !== MODERN_REVISION ||
    !(CLIENT_CAPABILITIES_META_KEY in meta) ||
    meta.progressToken !== undefined ||
    meta[LOG_LEVEL_META_KEY] !== undefined ||
    meta[RELATED_TASK_META_KEY] !== undefined
  ) {
    return undefined;
  }
  return meta;
}

/**
 * The key of an envelope's client info and capabilities, as JSON; `undefined` for one too large
 * to remember. An absent client info is left out, a null one kept: the two are told apart.
 */
function envelopeKey(meta: Record<string, unknown>): string | undefined {
  const key = JSON.stringify({
    info: meta[CLIENT_INFO_META_KEY],
    capabilities: meta[CLIENT_CAPABILITIES_META_KEY],
  });
  // A large envelope is classified each time: what is remembered stays small.
  return key.length <= MAX_ENVELOPE_KEY_LENGTH ? key : undefined;
}

/** The longest envelope key remembered (a client's usual info and capabilities: ~100–500). */
const MAX_ENVELOPE_KEY_LENGTH = 4096;

/** How many envelope keys a route remembers (a client sends the same one with every request). */
const MAX_VALID_ENVELOPES = 256;

/**
 * Whether two parsed JSON values are the same JSON (an object's members in any order; `null`
 * and an absent member told apart).
 */
function sameJson(left: unknown, right: unknown): boolean {
  if (left === right) return true;
  if (typeof left !== 'object' || typeof right !== 'object' || left === null || right === null) {
    return false;
  }
  if (Array.isArray(left)) {
    if (!Array.isArray(right) || left.length !== right.length) return false;
    for (let index = 0; index < left.length; index += 1) {
      if (!sameJson(left[index], right[index])) return false;
    }
    return true;
  }
  if (Array.isArray(right)) return false;
  const leftObject = left as Record<string, unknown>;
  const rightObject = right as Record<string, unknown>;
  let count = 0;
  for (const member in leftObject) {
    if (!Object.hasOwn(rightObject, member)) return false;
    if (!sameJson(leftObject[member], rightObject[member])) return false;
    count += 1;
  }
  for (const _member in rightObject) count -= 1;
  return count === 0;
}

/**
 * The envelopes (their client info and capabilities) of requests the SDK's ladder classified as
 * valid 2026-07-28 requests: a client sends the same envelope with each request, and the
 * ladder's zod schemas (trying the body as a result and an error response first, then the
 * envelope's capabilities) were some 10 % of the hub's sampled CPU per 2026-07-28 call
 * (bench/modern profile); alone, ~28 µs per request, against under 1 µs for the key and its
 * lookup. The envelope last found valid is compared as it is first (no key built: the key's
 * `JSON.stringify` was the most of a remembered request's classification in a c=1 profile).
 * Bounded: at most {@link MAX_VALID_ENVELOPES} keys of at most {@link MAX_ENVELOPE_KEY_LENGTH}
 * characters, forgotten all at once when full.
 */
class ValidEnvelopes {
  readonly #keys = new Set<string>();
  /** The client info and capabilities last found valid (of a key remembered). */
  #last: { info: unknown; capabilities: unknown } | undefined;

  has(meta: Record<string, unknown>): boolean {
    const last = this.#last;
    if (
      last !== undefined &&
      sameJson(meta[CLIENT_INFO_META_KEY], last.info) &&
      sameJson(meta[CLIENT_CAPABILITIES_META_KEY], last.capabilities)
    ) {
      return true;
    }
    const key = envelopeKey(meta);
    if (key === undefined || !this.#keys.has(key)) return false;
    this.#remember(meta);
    return true;
  }

  add(meta: Record<string, unknown>): void {
    const key = envelopeKey(meta);
    if (key === undefined) return;
    if (this.#keys.size >= MAX_VALID_ENVELOPES) this.#keys.clear();
    this.#keys.add(key);
    this.#remember(meta);
  }

  #remember(meta: Record<string, unknown>): void {
    this.#last = {
      info: meta[CLIENT_INFO_META_KEY],
      capabilities: meta[CLIENT_CAPABILITIES_META_KEY],
    };
  }
}

/** A response its handler serialised (a cached page's bytes), with their exact length. */
function sendSerialized(response: ServerResponse, pieces: readonly Uint8Array[]): void {
  let length = 0;
  for (const piece of pieces) length += piece.byteLength;
  response.writeHead(200, { 'content-type': 'application/json', 'content-length': length });
  // One write of all pieces (Node corks the header and the pieces into one writev).
  response.cork();
  for (const piece of pieces) response.write(piece);
  response.end();
  response.uncork();
}

/**
 * One fast request as its handler sees it ({@link McpModernFastRequestExtra}): aborted when the
 * client goes away before the answer (MCP 2026-07-28 cancels a request on HTTP by closing its
 * response stream); its signal and cancellation are lazy ({@link LazyCancellation}), its
 * response's close watched once someone asks, told by the host's one close listener of every
 * response ({@link ResponseCancellation}, as the 2025 fast path's requests are).
 */
class ModernFastRequest extends ResponseCancellation implements McpModernFastRequestExtra {
  constructor(
    context: HostContext,
    response: ServerResponse,
    readonly principal: unknown,
  ) {
    super(context, response);
  }
}
