/**
 * A plain forwarded `tools/call` to a 2026-07-28 peer hub, sent as one JSON-RPC POST by the hub
 * itself instead of through the SDK client and its Streamable HTTP transport (issue #18). In the
 * profile of a hop (bench/federation-hops/profile-hop.ts) the SDK's calling side — the request
 * funnel and era codec, the transport's `Headers` juggling, the result's zod classification and
 * validation, the JSON-RPC message schema of the answer, and the peer token fetch parsing the
 * body it was given back into JSON to read its end user — was about a quarter of a hop's CPU.
 * Here the request is built once as an object: the peer token is looked up from its `_meta`
 * (no JSON parse), the body serialised once, the headers a plain record, and a JSON answer read
 * whole and checked by hand.
 *
 * Only a call that cannot turn into anything else takes this path: a `tools/call` stamped as a
 * plain call ({@link PLAIN_CALL_META_KEY}: the client behind it can answer no question), without
 * progress, task, resumption or extra headers, on a connection that negotiated 2026-07-28, to a
 * tool name the `Mcp-Name` header carries as it is. Everything else goes through the SDK client
 * as before. What the peer answers is handled as the SDK would: a JSON-RPC error becomes the
 * SDK's `ProtocolError`; an `input_required` answer (a peer that asks anyway, e.g. an upstream's
 * `roots/list`) is handed to the SDK client's own multi-round-trip engine, which answers it with
 * the hub's handlers and retries through the SDK; an SSE answer is read event by event, its
 * other messages delivered to the client as the transport would; cancellation and the timeout
 * close the request (2026-07-28: closing the request's stream cancels it).
 */
import {
  FedmcpError,
  ON_BEHALF_OF_META_KEY,
  OnBehalfOfSchema,
  readTraceContext,
} from '@fedmcp/protocol';
import {
  type Client,
  type JSONRPCMessage,
  PROTOCOL_VERSION_META_KEY,
  ProtocolError,
  SdkError,
  SdkErrorCode,
  SdkHttpError,
} from '@modelcontextprotocol/client';
import { ResultSchema } from '@modelcontextprotocol/core';
import { PLAIN_CALL_META_KEY } from '../handlers/caller-capabilities.js';
import { isRecordingRequests } from '../observe/request-spans.js';
import { isWholeAnswer, WHOLE_ANSWER, type WholeAnswer } from './node-peer-fetch.js';

type Params = Record<string, unknown>;

/** The part of the SDK 2.4.0 `Client` this file reads beyond its typed API (see {@link sdkOf}). */
interface ClientInternals {
  /** The per-request `_meta` envelope of a negotiated 2026-07-28 connection. */
  _outboundMetaEnvelope(): Params | undefined;
  /** The negotiated era's wire codec (its `decodeResult` classifies a non-complete result). */
  _wireCodec(): {
    decodeResult(method: string, result: unknown): { kind: string };
  };
  /** The multi-round-trip engine: fulfils an `input_required` result and retries. */
  _resolveNonCompleteResult(decoded: { kind: string }, flow: Params): Promise<unknown>;
}

/** What the SDK's `request` takes as its options (the part read here). */
interface RequestOptions {
  signal?: AbortSignal;
  timeout?: number;
  onprogress?: unknown;
  resumptionToken?: unknown;
  onresumptiontoken?: unknown;
  relatedRequestId?: unknown;
  headers?: unknown;
  allowInputRequired?: unknown;
  maxTotalTimeout?: unknown;
  [key: string]: unknown;
}

/** Options of {@link withDirectPeerCalls}. */
export interface DirectPeerCallsOptions {
  /** The peer's MCP endpoint. */
  url: string;
  /**
   * Sends the POST: the peer's bounded fetch (without the peer token fetch: the token is set
   * here), which decides how redirects are refused. It gets a header record and a string body.
   */
  fetch: typeof fetch;
  /** The `Authorization` value for a request made for `subject` through `actorChain`. */
  authorization(subject: string | undefined, actorChain: readonly string[]): Promise<string>;
}

const DEFAULT_TIMEOUT_MS = 60_000;
const JSON_TYPE = /^application\/json/i;
const SSE_TYPE = /^text\/event-stream/i;
/** A tool name the `Mcp-Name` header carries unencoded (the SDK base64-encodes anything else). */
const PLAIN_HEADER_VALUE = /^[\x21-\x7e](?:[\x20-\x7e]*[\x21-\x7e])?$/;

function isRecord(value: unknown): value is Params {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * The SDK client's internals used here, or `undefined` when this SDK build lacks one of them
 * (every call then goes through the SDK).
 */
function sdkOf(client: Client): ClientInternals | undefined {
  const internals = client as unknown as Partial<ClientInternals>;
  return typeof internals._outboundMetaEnvelope === 'function' &&
    typeof internals._wireCodec === 'function' &&
    typeof internals._resolveNonCompleteResult === 'function'
    ? (internals as ClientInternals)
    : undefined;
}

/**
 * The end user and the hubs before this one, as this hub wrote them in `io.fedmcp/onBehalfOf`
 * (the same reading as the peer token fetch's `delegationFromBody`).
 */
export function delegationOfMeta(
  meta: Params | undefined,
): { subject: string; actorChain: readonly string[] } | undefined {
  const value = meta?.[ON_BEHALF_OF_META_KEY];
  if (value === undefined) return undefined;
  // What the hub's meta stage writes, checked by hand; anything else by the schema.
  if (isRecord(value)) {
    const { subject, issuer, via } = value;
    const plain =
      typeof subject === 'string' &&
      subject.length > 0 &&
      subject.length <= 1024 &&
      (issuer === undefined ||
        (typeof issuer === 'string' && issuer.length > 0 && issuer.length <= 2048)) &&
      (via === undefined ||
        (Array.isArray(via) &&
          via.length <= 64 &&
          via.every((hub) => typeof hub === 'string' && /^[a-z0-9][a-z0-9-]{0,31}$/.test(hub))));
    if (plain && Object.keys(value).every((key) => KNOWN_KEYS.has(key))) {
      return { subject, actorChain: (via as string[] | undefined) ?? [] };
    }
  }
  const parsed = OnBehalfOfSchema.safeParse(value);
  if (!parsed.success) return undefined;
  return { subject: parsed.data.subject, actorChain: parsed.data.via ?? [] };
}
const KNOWN_KEYS = new Set(['subject', 'issuer', 'via']);

/**
 * Makes `client` (connected to the peer at `options.url`) send its plain `tools/call`s directly
 * (see the file comment); every other request keeps the SDK's path. Returns `client`.
 */
export function withDirectPeerCalls(client: Client, options: DirectPeerCallsOptions): Client {
  const sdk = sdkOf(client);
  if (!sdk) return client;
  const original = client.request.bind(client) as (...args: unknown[]) => Promise<unknown>;
  const url = new URL(options.url);
  let nextId = 0;

  const request = (
    message: { method: string; params?: Params },
    schemaOrOptions?: unknown,
    maybeOptions?: unknown,
  ): Promise<unknown> => {
    const schema = isRecord(schemaOrOptions) && '~standard' in schemaOrOptions;
    // Results checked by hand are those any MCP result schema takes (`ResultSchema`, the hub's).
    const requestOptions = (schema ? maybeOptions : schemaOrOptions) as RequestOptions | undefined;
    const params = message.params;
    if (
      message.method !== 'tools/call' ||
      (schema && (schemaOrOptions as unknown) !== ResultSchema) ||
      !isRecord(params) ||
      !isRecord(params._meta) ||
      params._meta[PLAIN_CALL_META_KEY] !== true ||
      params.task !== undefined ||
      typeof params.name !== 'string' ||
      !PLAIN_HEADER_VALUE.test(params.name) ||
      params.name.startsWith('=?base64?') ||
      client.getProtocolEra?.() !== 'modern' ||
      (requestOptions !== undefined && !plainOptions(requestOptions))
    ) {
      return original(message, schemaOrOptions, maybeOptions);
    }
    const envelope = sdk._outboundMetaEnvelope();
    const version = envelope?.[PROTOCOL_VERSION_META_KEY];
    if (typeof version !== 'string') return original(message, schemaOrOptions, maybeOptions);
    nextId += 1;
    const id = `fedmcp-peer-${nextId}`;
    const meta = { ...envelope, ...params._meta };
    // In the SDK's order (request, then `jsonrpc` and `id`), so the bytes are the SDK path's.
    const body = JSON.stringify({
      method: 'tools/call',
      params: { ...params, _meta: meta },
      jsonrpc: '2.0',
      id,
    });
    const send = async (): Promise<unknown> => {
      const delegation = delegationOfMeta(meta);
      const headers: Record<string, string> = {
        authorization: await options.authorization(
          delegation?.subject,
          delegation?.actorChain ?? [],
        ),
        'mcp-protocol-version': version,
        'mcp-method': 'tools/call',
        'mcp-name': params.name as string,
        'content-type': 'application/json',
        accept: 'application/json, text/event-stream',
      };
      // The trace context on HTTP too, as the SDK path's fetch sets it (observe/trace-headers.ts).
      if (isRecordingRequests()) {
        const context = readTraceContext(meta);
        if (context) {
          headers.traceparent = context.traceparent;
          if (context.tracestate) headers.tracestate = context.tracestate;
        }
      }
      return post(options.fetch, url, { headers, body, id }, requestOptions, (other) =>
        client.transport?.onmessage?.(other),
      );
    };
    return send().then((result) => {
      if (isRecord(result) && result.resultType === 'complete') return completeResult(result);
      const decoded = sdk._wireCodec().decodeResult('tools/call', result);
      if (decoded.kind !== 'input_required') {
        throw (decoded as { error?: unknown }).error ?? invalidResult('not a complete result');
      }
      // A question after all: the SDK's engine answers it with the client's handlers (the hub's
      // answers for a plain call) and retries through the SDK client.
      return sdk._resolveNonCompleteResult(decoded, {
        codec: sdk._wireCodec(),
        request: message,
        resultSchema: schema ? schemaOrOptions : undefined,
        options: requestOptions,
        flowStartedAt: Date.now(),
        retry: (retried: Params | undefined, legOptions: unknown) =>
          original(
            retried === undefined
              ? { method: message.method }
              : { method: message.method, params: retried },
            ...(schema ? [schemaOrOptions, legOptions] : [legOptions]),
          ),
      });
    });
  };
  (client as { request: unknown }).request = request;
  return client;
}

/** Whether a request's options ask for nothing this path does not do. */
function plainOptions(options: RequestOptions): boolean {
  for (const key in options) {
    const value = options[key];
    if (value === undefined) continue;
    // `resetTimeoutOnProgress` means nothing without progress.
    if (key !== 'signal' && key !== 'timeout' && key !== 'resetTimeoutOnProgress') return false;
  }
  return true;
}

const invalidResult = (reason: string) =>
  new SdkError(SdkErrorCode.InvalidResult, `Invalid result for tools/call: ${reason}`, {
    method: 'tools/call',
  });

/**
 * A complete `tools/call` result as the SDK hands it on (without `resultType`), checked by hand
 * for what the hub reads of it.
 * @throws {SdkError} `InvalidResult` for a result of the wrong shape.
 */
function completeResult(result: Params): Params {
  const { resultType: _type, ...lifted } = result;
  if (lifted._meta !== undefined && !isRecord(lifted._meta))
    throw invalidResult('_meta is not an object');
  if (lifted.content !== undefined && !Array.isArray(lifted.content)) {
    throw invalidResult('content is not an array');
  }
  if (lifted.structuredContent !== undefined && !isRecord(lifted.structuredContent)) {
    throw invalidResult('structuredContent is not an object');
  }
  if (lifted.isError !== undefined && typeof lifted.isError !== 'boolean') {
    throw invalidResult('isError is not a boolean');
  }
  return lifted;
}

/** The `result` of the peer's JSON-RPC response to request `id`. */
function resultOf(message: unknown, id: string): unknown {
  if (!isRecord(message) || message.id !== id) {
    throw new SdkError(
      SdkErrorCode.InvalidResult,
      'The peer answered tools/call with something other than its JSON-RPC response.',
    );
  }
  if ('error' in message) {
    const error = message.error;
    if (!isRecord(error) || typeof error.code !== 'number' || typeof error.message !== 'string') {
      throw new SdkError(SdkErrorCode.InvalidResult, 'The peer answered with a malformed error.');
    }
    throw ProtocolError.fromError(error.code, error.message, error.data);
  }
  return message.result;
}

/**
 * POSTs one request and reads its response (JSON, or an SSE stream up to the response); the
 * timeout and the caller's signal abort the HTTP request.
 */
async function post(
  fetchImplementation: typeof fetch,
  url: URL,
  request: { headers: Record<string, string>; body: string; id: string },
  options: RequestOptions | undefined,
  onOther: (message: JSONRPCMessage) => void,
): Promise<unknown> {
  const callerSignal = options?.signal;
  if (callerSignal?.aborted) throw callerSignal.reason;
  const timeoutMs = options?.timeout ?? DEFAULT_TIMEOUT_MS;
  const controller = new AbortController();
  let failure: unknown;
  const abort = (reason: unknown) => {
    failure ??= reason;
    controller.abort(reason);
  };
  const timer = setTimeout(
    () =>
      abort(new SdkError(SdkErrorCode.RequestTimeout, 'Request timed out', { timeout: timeoutMs })),
    timeoutMs,
  );
  const onAbort = () => abort(callerSignal?.reason);
  callerSignal?.addEventListener('abort', onAbort);
  try {
    let answer: Response | WholeAnswer;
    try {
      answer = await fetchImplementation(url, {
        method: 'POST',
        headers: request.headers,
        body: request.body,
        signal: controller.signal,
        // No `redirect`: the peer's fetch applies the connector's policy (redirects refused, in
        // the way the runtime's fetch takes it: create-peer-connector.ts `withoutRedirects`).
        // The node peer fetch then answers JSON as bytes, without building a Response.
        [WHOLE_ANSWER]: true,
      } as RequestInit);
    } catch (error) {
      if (failure !== undefined) throw failure;
      // The hub's own error (a refused redirect names the peer) reaches the caller as it is.
      if (FedmcpError.isInstance(error)) throw error;
      throw new SdkError(SdkErrorCode.SendFailed, 'Sending the request to the peer failed.', {
        cause: error,
      });
    }
    if (isWholeAnswer(answer)) {
      const { status, statusText, contentType, body } = answer;
      return settle(status, statusText, contentType, decoder.decode(body), request.id);
    }
    const type = answer.headers.get('content-type') ?? '';
    if (answer.ok && SSE_TYPE.test(type) && answer.body) {
      return await readEvents(answer.body, request.id, controller.signal, onOther);
    }
    const text = await answer.text();
    return settle(answer.status, answer.statusText, type, text, request.id);
  } catch (error) {
    throw failure ?? error;
  } finally {
    clearTimeout(timer);
    callerSignal?.removeEventListener('abort', onAbort);
  }
}

const decoder = new TextDecoder();

/** The result of a whole answer (see {@link post}); throws what the SDK would. */
function settle(status: number, statusText: string, type: string, text: string, id: string) {
  if (status < 200 || status > 299) {
    // 2026-07-28: a request refused before it ran answers its JSON-RPC error with a 4xx.
    if (status === 400 && JSON_TYPE.test(type)) {
      const error = parsedOrUndefined(text);
      if (isRecord(error) && error.id === id && 'error' in error) return resultOf(error, id);
    }
    throw new SdkHttpError(
      SdkErrorCode.ClientHttpNotImplemented,
      `Error POSTing to endpoint: ${text}`,
      {
        status,
        statusText,
        text,
      },
    );
  }
  if (!JSON_TYPE.test(type)) {
    throw new SdkError(
      SdkErrorCode.InvalidResult,
      `The peer answered tools/call with content type "${type}" (expected JSON or SSE).`,
    );
  }
  let message: unknown;
  try {
    message = JSON.parse(text);
  } catch (error) {
    throw new SdkError(SdkErrorCode.InvalidResult, 'The peer answered with invalid JSON.', {
      cause: error,
    });
  }
  return resultOf(message, id);
}

function parsedOrUndefined(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

/**
 * Reads an SSE answer up to the response to `id`, then closes the stream. Every other message
 * on it (a peer's notification) goes to `onOther`, the client's inbound side, as the SDK
 * transport delivers it. (A plain call asks for no progress and no log level, and a 2026-07-28
 * server asks its questions as `input_required`: a peer seldom streams such a call.)
 * @throws {SdkError} `ConnectionClosed` when the stream ends before the response.
 */
async function readEvents(
  body: ReadableStream<Uint8Array>,
  id: string,
  signal: AbortSignal,
  onOther: (message: JSONRPCMessage) => void,
): Promise<unknown> {
  const reader = body.getReader();
  const streamDecoder = new TextDecoder();
  let buffer = '';
  let data: string[] = [];
  try {
    for (;;) {
      if (signal.aborted) throw signal.reason;
      const { value, done } = await reader.read();
      if (done) break;
      buffer += streamDecoder.decode(value, { stream: true });
      let end = buffer.search(/\r\n|\r|\n/);
      while (end >= 0) {
        const line = buffer.slice(0, end);
        buffer = buffer.slice(end + (buffer.startsWith('\r\n', end) ? 2 : 1));
        if (line === '') {
          const event = data.join('\n');
          data = [];
          if (event !== '') {
            const message = parsedOrUndefined(event);
            if (isRecord(message) && message.id === id && !('method' in message)) {
              return resultOf(message, id);
            }
            if (isRecord(message) && message.jsonrpc === '2.0') {
              onOther(message as unknown as JSONRPCMessage);
            }
          }
        } else if (line.startsWith('data:')) {
          data.push(line.slice(line.startsWith('data: ') ? 6 : 5));
        }
        end = buffer.search(/\r\n|\r|\n/);
      }
    }
    throw new SdkError(
      SdkErrorCode.ConnectionClosed,
      'The peer closed the call’s stream before answering it.',
    );
  } finally {
    reader.cancel().catch(() => {});
  }
}
