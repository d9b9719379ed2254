/**
 * What the routes of an MCP host share: resolved options, the session table, and the request
 * steps every route runs (authenticate, read a JSON body under the size limit).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { FedmcpError, type Logger } from '@fedmcp/protocol';
import { type AuthInfo, isJsonContentType } from '@modelcontextprotocol/server';
import {
  authenticationErrorResponse,
  isAuthInfoShaped,
  type McpAuthenticate,
  runAuthenticate,
} from '../authenticate.js';
import type { ClusterSessions } from '../cluster-sessions.js';
import { checkJsonDepth } from '../json-depth.js';
import { createJsonRpcError, JsonRpcErrorCode } from '../json-rpc-error.js';
import type { CreateMcpServer, McpFastRequestHandler } from '../mcp-session-context.js';
import type { SessionEventStores } from '../session-event-store.js';
import { sendJson, sendJsonRpcError, sendWebResponse } from './host-http-responses.js';
import type { HostSessionRegistry } from './host-session-registry.js';
import type { McpHttpHostPaths } from './mcp-http-host-options.js';
import { toAuthRequest } from './node-auth-request.js';
import { drainRequest, RequestBodyTooLargeError, readBodyNow } from './read-body.js';

/** Shared state and steps of a host's routes. */
export interface HostContext {
  paths: McpHttpHostPaths;
  maxBodyBytes: number;
  /** A request body that sends nothing for this long is answered 408; `0` disables. */
  bodyIdleTimeoutMs: number;
  /** Deepest nesting of objects and arrays accepted in one JSON-RPC message. */
  maxJsonDepth: number;
  keepAliveMs: number;
  /** Event stores of the 2025-era sessions (scoped per session), if resumability is on. */
  eventStores: SessionEventStores | undefined;
  /** Client-carried sessions any replica can serve (`McpHttpHostOptions.cluster`), if on. */
  cluster: ClusterSessions | undefined;
  /** The view a route serves (`/mcp/<view>`); undefined for `/mcp` itself. */
  view?: string;
  logger: Logger;
  sessions: HostSessionRegistry;
  createServer: CreateMcpServer;
  /** The host's fast path (`McpHttpHostOptions.fastRequest`), if any. */
  fastRequest: McpFastRequestHandler | undefined;
  authenticateHook: McpAuthenticate | undefined;
  /** Key of the principal a session belongs to (see `McpHttpHostOptions.sessionOwner`). */
  sessionOwner: ((principal: unknown) => string | undefined) | undefined;
  /** Whether the host is shutting down (no new sessions). */
  isClosing(): boolean;
  /** Marks a response as a long-lived stream, which does not hold up a graceful shutdown. */
  markLongLived(response: ServerResponse): void;
  /**
   * Tells `watcher` once when `response` closes before {@link HostContext.unwatchClose} (the
   * client went away), through the host's one `close` listener of every response: no listener
   * added and removed per request. One watcher per response.
   */
  watchClose(response: ServerResponse, watcher: ResponseCloseWatcher): void;
  /** Stops telling the watcher of `response` (its request settled). */
  unwatchClose(response: ServerResponse): void;
  /** The key a new session of this principal counts against (its owner, else its address). */
  quotaKeyOf(principal: unknown, request: IncomingMessage): string;
}

/** Told when a watched response closes (see {@link HostContext.watchClose}). */
export interface ResponseCloseWatcher {
  responseClosed(): void;
}

/** A Node request that may carry SDK `AuthInfo` (read by the SDK's Node adapter). */
export type AuthenticatedRequest = IncomingMessage & { auth?: AuthInfo };

/** What {@link authenticateRequest} resolves with: the principal, or `undefined` once answered. */
export type AuthenticatedOutcome = { principal: unknown } | undefined;

const NO_PRINCIPAL: AuthenticatedOutcome = Object.freeze({ principal: undefined });

/**
 * Runs the host's authenticate hook. Returns the principal, or `undefined` after answering the
 * request itself (401/403/…). An `AuthInfo`-shaped principal is attached as `request.auth`. A hook
 * that answers at once (no promise) gets its outcome back at once too, without a promise: the
 * routes `await` either.
 */
export function authenticateRequest(
  context: HostContext,
  request: IncomingMessage,
  response: ServerResponse,
): AuthenticatedOutcome | Promise<AuthenticatedOutcome> {
  const hook = context.authenticateHook;
  if (hook === undefined) return NO_PRINCIPAL;
  const authRequest = toAuthRequest(request);
  let result: unknown;
  try {
    result = hook(authRequest);
  } catch (error) {
    return answered(response, authenticationErrorResponse(error));
  }
  if (isThenable(result)) {
    // runAuthenticate awaits it and maps a rejection as it maps a throw.
    return runAuthenticate(() => result, authRequest).then((outcome) =>
      outcome.kind === 'response'
        ? answered(response, outcome.response)
        : withPrincipal(request, outcome.principal),
    );
  }
  if (result instanceof Response) return answered(response, result);
  return withPrincipal(request, result);
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as { then?: unknown }).then === 'function'
  );
}

async function answered(response: ServerResponse, answer: Response): Promise<undefined> {
  await sendWebResponse(response, answer);
  return undefined;
}

function withPrincipal(request: IncomingMessage, principal: unknown): AuthenticatedOutcome {
  if (isAuthInfoShaped(principal)) (request as AuthenticatedRequest).auth = principal as AuthInfo;
  return { principal };
}

/** What {@link readJsonBody} resolves with: the parsed body, or `undefined` once answered. */
export type JsonBodyOutcome = { body: unknown } | undefined;

/**
 * Reads and parses a JSON POST body under `maxBodyBytes` and `maxJsonDepth`. Answers 415 (not
 * JSON), 413 (too large: after draining the upload, so the client reads it), 408 (the body
 * stalled), 400 with -32700 (not parseable) or 400 with -32600/-32602 (nested too deep) itself
 * and returns `undefined` then. A body that has all arrived is read and returned at once, without
 * a promise (the routes `await` either).
 */
export function readJsonBody(
  context: HostContext,
  request: IncomingMessage,
  response: ServerResponse,
): JsonBodyOutcome | Promise<JsonBodyOutcome> {
  if (!isJsonContentType(request.headers['content-type'])) {
    sendJsonRpcError(
      response,
      415,
      JsonRpcErrorCode.transportError,
      'Unsupported Media Type: send the JSON-RPC message with Content-Type: application/json',
    );
    return undefined;
  }
  let raw: Buffer | Promise<Buffer>;
  try {
    raw = readBodyNow(request, {
      limitBytes: context.maxBodyBytes,
      idleTimeoutMs: context.bodyIdleTimeoutMs,
    });
  } catch (error) {
    return refusedBody(context, request, response, error);
  }
  if (raw instanceof Promise) {
    return raw.then(
      (bytes) => parseJsonBody(context, request, response, bytes),
      (error: unknown) => refusedBody(context, request, response, error),
    );
  }
  return parseJsonBody(context, request, response, raw);
}

/** Answers a body the host could not read (413, 408), or throws any other failure on. */
async function refusedBody(
  context: HostContext,
  request: IncomingMessage,
  response: ServerResponse,
  error: unknown,
): Promise<undefined> {
  if (error instanceof RequestBodyTooLargeError) {
    await refuseBody(context, request, response, 413, error.message);
    return undefined;
  }
  if (FedmcpError.isInstance(error) && error.code === 'REQUEST_TIMEOUT') {
    await refuseBody(context, request, response, 408, error.message);
    return undefined;
  }
  throw error;
}

function parseJsonBody(
  context: HostContext,
  request: IncomingMessage,
  response: ServerResponse,
  raw: Buffer,
): JsonBodyOutcome {
  let body: unknown;
  try {
    body = JSON.parse(raw.toString('utf8'));
  } catch {
    sendJsonRpcError(
      response,
      400,
      JsonRpcErrorCode.parseError,
      'Parse error: the request body is not valid JSON',
    );
    return undefined;
  }
  const tooDeep = mayNestDeeper(raw, context.maxJsonDepth)
    ? checkJsonDepth(body, context.maxJsonDepth)
    : undefined;
  if (tooDeep) {
    context.logger.warn(
      { remoteAddress: request.socket.remoteAddress, maxJsonDepth: context.maxJsonDepth },
      'Refused a JSON-RPC message nested too deep',
    );
    sendJson(response, 400, tooDeep);
    return undefined;
  }
  return { body };
}

/**
 * Whether a JSON text might nest deeper than `maxDepth`: no value nests deeper than the text has
 * `{` and `[` bytes (in strings too), so a text with at most `maxDepth` of them — every usual
 * request — skips the walk of the parsed value.
 */
function mayNestDeeper(raw: Buffer, maxDepth: number): boolean {
  if (raw.length <= maxDepth) return false;
  let openings = 0;
  for (const byte of OPENINGS) {
    for (let at = raw.indexOf(byte); at !== -1; at = raw.indexOf(byte, at + 1)) {
      openings += 1;
      if (openings > maxDepth) return true;
    }
  }
  return false;
}

const OPENINGS = [0x7b, 0x5b]; // `{`, `[`

/**
 * Answers a body the host will not read (413 too large, 408 stalled) so the client sees the
 * status: the whole answer is written first, then the rest of the upload is drained (up to twice
 * the body limit or 5 s) before the connection is closed. Closing mid-upload makes clients
 * report a broken pipe instead of the answer.
 */
async function refuseBody(
  context: HostContext,
  request: IncomingMessage,
  response: ServerResponse,
  status: 408 | 413,
  message: string,
): Promise<void> {
  context.logger.warn(
    {
      status,
      remoteAddress: request.socket.remoteAddress,
      contentLength: request.headers['content-length'],
      limitBytes: context.maxBodyBytes,
    },
    status === 413
      ? 'Refused a request body over maxBodyBytes (413)'
      : 'Gave up on a stalled request body (408)',
  );
  if (response.headersSent) {
    response.end();
    request.socket.destroy();
    return;
  }
  const text = JSON.stringify(createJsonRpcError(JsonRpcErrorCode.transportError, message));
  response.writeHead(status, {
    'content-type': 'application/json',
    'content-length': String(Buffer.byteLength(text)),
    connection: 'close',
  });
  response.write(text);
  const complete =
    status === 413 &&
    (await drainRequest(request, { maxBytes: 2 * context.maxBodyBytes, maxMs: 5_000 }));
  response.end();
  if (!complete) response.once('finish', () => request.socket.destroy());
}

/** The owner key of a principal, or `undefined` when sessions are not bound to principals. */
export function ownerOf(context: HostContext, principal: unknown): string | undefined {
  return context.sessionOwner?.(principal);
}
