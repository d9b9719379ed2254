/**
 * 2025-era (`initialize`) sessions of the web-standard hub: one SDK
 * `WebStandardStreamableHTTPServerTransport` per session, kept in memory in this isolate. A
 * session lives as long as the isolate that opened it: a runtime that routes the next request
 * to another isolate answers 404 and the client re-initializes (MCP 2025-11-25 transports).
 */

import { JsonRpcErrorCode } from '@fedmcp/transports';
import type { Server } from '@modelcontextprotocol/server';
import { WebStandardStreamableHTTPServerTransport } from '@modelcontextprotocol/server';
import { jsonRpcErrorResponse } from './responses.js';

/** Builds the server of a new session. */
export type CreateSessionServer = (context: {
  sessionId: string;
  principal: unknown;
}) => Server | Promise<Server>;

/** Options of {@link createLegacySessions}. */
export interface LegacySessionsOptions {
  createServer: CreateSessionServer;
  /** The owner of a principal's sessions: a session answers only its owner. */
  owner: (principal: unknown) => string | undefined;
  /** At most this many sessions at once; a new one over the limit gets 503. */
  maxSessions: number;
  /** A session unused this long is closed when a new one opens. */
  idleMs: number;
}

interface Session {
  transport: WebStandardStreamableHTTPServerTransport;
  owner: string | undefined;
  lastUsed: number;
}

/** The in-memory sessions of one isolate. */
export interface LegacySessions {
  /** Serves a request of a session (`Mcp-Session-Id`), or opens one with `initialize`. */
  serve(request: Request, body: unknown, principal: unknown): Promise<Response>;
  /** How many sessions are open. */
  readonly size: number;
  /** Closes every session. */
  close(): Promise<void>;
}

function containsInitialize(body: unknown): boolean {
  const messages = Array.isArray(body) ? body : [body];
  return messages.some(
    (message) =>
      typeof message === 'object' &&
      message !== null &&
      (message as { method?: unknown }).method === 'initialize',
  );
}

/** Creates the session table of one isolate. */
export function createLegacySessions(options: LegacySessionsOptions): LegacySessions {
  const sessions = new Map<string, Session>();

  // Sessions whose client went away without DELETE: closed lazily, when a new one opens.
  function closeIdle(): void {
    const now = Date.now();
    for (const [id, session] of sessions) {
      if (now - session.lastUsed < options.idleMs) continue;
      sessions.delete(id);
      void session.transport.close().catch(() => {});
    }
  }

  async function open(request: Request, body: unknown, principal: unknown): Promise<Response> {
    if (!containsInitialize(body)) {
      return jsonRpcErrorResponse(
        400,
        JsonRpcErrorCode.transportError,
        'Bad Request: Mcp-Session-Id header is required (send initialize first)',
      );
    }
    closeIdle();
    if (sessions.size >= options.maxSessions) {
      return jsonRpcErrorResponse(
        503,
        JsonRpcErrorCode.transportError,
        'Too many open sessions: retry later',
      );
    }
    const sessionId = crypto.randomUUID();
    const transport = new WebStandardStreamableHTTPServerTransport({
      sessionIdGenerator: () => sessionId,
      onsessioninitialized: () => {
        sessions.set(sessionId, {
          transport,
          owner: options.owner(principal),
          lastUsed: Date.now(),
        });
      },
      onsessionclosed: () => {
        sessions.delete(sessionId);
      },
    });
    transport.onclose = () => sessions.delete(sessionId);
    const server = await options.createServer({ sessionId, principal });
    await server.connect(transport);
    const response = await transport.handleRequest(request, { parsedBody: body });
    if (!sessions.has(sessionId)) await server.close(); // initialize failed: nothing to keep
    return response;
  }

  return {
    async serve(request, body, principal) {
      const sessionId = request.headers.get('mcp-session-id');
      if (sessionId === null) return open(request, body, principal);
      const session = sessions.get(sessionId);
      // A session of another principal is answered as if it did not exist (no hijacking by id).
      if (!session || session.owner !== options.owner(principal)) {
        return jsonRpcErrorResponse(
          404,
          JsonRpcErrorCode.sessionNotFound,
          'Session not found: it expired, was closed or lives in another isolate; start a new session with initialize',
        );
      }
      session.lastUsed = Date.now();
      return session.transport.handleRequest(
        request,
        body === undefined ? {} : { parsedBody: body },
      );
    },
    get size() {
      return sessions.size;
    },
    async close() {
      const open = [...sessions.values()];
      sessions.clear();
      await Promise.allSettled(open.map((session) => session.transport.close()));
    },
  };
}
