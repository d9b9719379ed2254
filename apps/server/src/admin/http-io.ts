/** Reading requests and writing JSON for the admin API and the REST facade. */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Principal } from '@fedmcp/proxy-auth';
import { type McpAuthenticate, runAuthenticate } from '@fedmcp/transports';
import { toBodylessRequest } from '@fedmcp/transports/node';
import { ProblemError } from './problem.js';

/** The largest JSON body the admin API reads. */
export const MAX_BODY_BYTES = 1024 * 1024;

/**
 * The caller of a request, through the hub's authentication (API keys, OAuth, mTLS).
 * @throws ProblemError 401 without credentials, or the authenticator's own refusal status.
 */
export async function authenticateCaller(
  authenticate: McpAuthenticate,
  request: IncomingMessage,
): Promise<Principal> {
  const outcome = await runAuthenticate(authenticate, toBodylessRequest(request));
  if (outcome.kind === 'response') {
    const challenge = outcome.response.headers.get('www-authenticate');
    const status = outcome.response.status;
    throw new ProblemError(
      status,
      status === 401 ? 'Send credentials: Authorization: Bearer <API key or token>.' : 'Refused.',
      challenge ? { headers: { 'www-authenticate': challenge } } : {},
    );
  }
  const principal = outcome.principal as Principal | undefined;
  if (!principal || principal.authMethod === 'anonymous') {
    throw new ProblemError(401, 'Send credentials: Authorization: Bearer <API key or token>.', {
      headers: { 'www-authenticate': 'Bearer' },
    });
  }
  return principal;
}

/** Reads a JSON body (at most {@link MAX_BODY_BYTES}); `undefined` when there is none. */
export async function readJsonBody(request: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) {
      throw new ProblemError(413, `The body is over ${MAX_BODY_BYTES} bytes.`);
    }
    chunks.push(chunk as Buffer);
  }
  if (size === 0) return undefined;
  const type = (request.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase();
  if (type !== 'application/json') {
    throw new ProblemError(415, 'Send the body as JSON (Content-Type: application/json).');
  }
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch (error) {
    throw new ProblemError(400, `The body is not valid JSON: ${(error as Error).message}`);
  }
}

/** Writes a JSON response. */
export function sendJson(response: ServerResponse, status: number, body: unknown): void {
  response.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'cache-control': 'no-store',
  });
  response.end(status === 204 ? undefined : JSON.stringify(body));
}

/** Starts a Server-Sent Events response; returns a writer of events, stopped with `onClose`. */
export function startEventStream(
  request: IncomingMessage,
  response: ServerResponse,
): { send(event: string, data: unknown, id?: string): void; closed: Promise<void> } {
  response.writeHead(200, {
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-store',
    'x-accel-buffering': 'no',
  });
  response.write(': stream open\n\n');
  const closed = new Promise<void>((resolve) => {
    request.socket.once('close', () => resolve());
    response.once('close', () => resolve());
  });
  return {
    send(event, data, id) {
      if (response.writableEnded || response.destroyed) return;
      response.write(
        `${id ? `id: ${id}\n` : ''}event: ${event}\ndata: ${JSON.stringify(data)}\n\n`,
      );
    },
    closed,
  };
}
