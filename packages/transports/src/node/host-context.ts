/**
 * What the routes of an MCP host share: resolved options, the session table, and the request
 * steps every route runs (authenticate, read a JSON body under the size limit).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from '@fedmcp/protocol';
import { type AuthInfo, type EventStore, isJsonContentType } from '@modelcontextprotocol/server';
import { isAuthInfoShaped, type McpAuthenticate, runAuthenticate } from '../authenticate.js';
import { JsonRpcErrorCode } from '../json-rpc-error.js';
import type { CreateMcpServer, McpFastRequestHandler } from '../mcp-session-context.js';
import { sendJsonRpcError, sendWebResponse, toBodylessRequest } from './host-http-responses.js';
import type { HostSessionRegistry } from './host-session-registry.js';
import type { McpHttpHostPaths } from './mcp-http-host-options.js';
import { RequestBodyTooLargeError, readBody } from './read-body.js';

/** Shared state and steps of a host's routes. */
export interface HostContext {
  paths: McpHttpHostPaths;
  maxBodyBytes: number;
  keepAliveMs: number;
  eventStore: EventStore | undefined;
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
}

/** A Node request that may carry SDK `AuthInfo` (read by the SDK's Node adapter). */
export type AuthenticatedRequest = IncomingMessage & { auth?: AuthInfo };

/**
 * Runs the host's authenticate hook. Returns the principal, or `undefined` after answering the
 * request itself (401/403/…). An `AuthInfo`-shaped principal is attached as `request.auth`.
 */
export async function authenticateRequest(
  context: HostContext,
  request: IncomingMessage,
  response: ServerResponse,
): Promise<{ principal: unknown } | undefined> {
  if (context.authenticateHook === undefined) return { principal: undefined };
  const outcome = await runAuthenticate(context.authenticateHook, toBodylessRequest(request));
  if (outcome.kind === 'response') {
    await sendWebResponse(response, outcome.response);
    return undefined;
  }
  if (isAuthInfoShaped(outcome.principal)) {
    (request as AuthenticatedRequest).auth = outcome.principal as AuthInfo;
  }
  return { principal: outcome.principal };
}

/**
 * Reads and parses a JSON POST body under `maxBodyBytes`. Answers 415 (not JSON), 413 (too
 * large) or 400 with -32700 (not parseable) itself and returns `undefined` then.
 */
export async function readJsonBody(
  context: HostContext,
  request: IncomingMessage,
  response: ServerResponse,
): Promise<{ body: unknown } | undefined> {
  if (!isJsonContentType(request.headers['content-type'])) {
    sendJsonRpcError(
      response,
      415,
      JsonRpcErrorCode.transportError,
      'Unsupported Media Type: send the JSON-RPC message with Content-Type: application/json',
    );
    return undefined;
  }
  let raw: Buffer;
  try {
    raw = await readBody(request, { limitBytes: context.maxBodyBytes });
  } catch (error) {
    if (!(error instanceof RequestBodyTooLargeError)) throw error;
    sendJsonRpcError(response, 413, JsonRpcErrorCode.transportError, error.message, {
      connection: 'close',
    });
    return undefined;
  }
  try {
    return { body: JSON.parse(raw.toString('utf8')) };
  } catch {
    sendJsonRpcError(
      response,
      400,
      JsonRpcErrorCode.parseError,
      'Parse error: the request body is not valid JSON',
    );
    return undefined;
  }
}

/** The owner key of a principal, or `undefined` when sessions are not bound to principals. */
export function ownerOf(context: HostContext, principal: unknown): string | undefined {
  return context.sessionOwner?.(principal);
}
