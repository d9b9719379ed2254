/**
 * Reading requests and writing responses for the admin API and the REST facade, web-standard
 * (`Request` / `Response`): the same code serves the Node host (through `create-admin-api.ts`) and
 * the edge hub. No `node:` import.
 */
import { readBodyBytes } from '@fedmcp/protocol';
import type { Principal } from '@fedmcp/proxy-auth';
import { type McpAuthenticate, type McpAuthRequest, runAuthenticate } from '@fedmcp/transports';
import { ProblemError } from './problem.js';

/** The largest JSON body the admin API reads. */
export const MAX_BODY_BYTES = 1024 * 1024;

/**
 * The caller of a request, through the hub's authentication (API keys, OAuth, mTLS).
 * @throws ProblemError 401 without credentials, or the authenticator's own refusal status.
 */
export async function authenticateCaller(
  authenticate: McpAuthenticate | undefined,
  request: McpAuthRequest,
): Promise<Principal> {
  const outcome = await runAuthenticate(authenticate, request);
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
export async function readJsonBody(request: Request): Promise<unknown> {
  const bytes = await readBodyBytes(request, MAX_BODY_BYTES);
  if (!bytes) throw new ProblemError(413, `The body is over ${MAX_BODY_BYTES} bytes.`);
  if (bytes.byteLength === 0) return undefined;
  const type = (request.headers.get('content-type') ?? '').split(';')[0]?.trim().toLowerCase();
  if (type !== 'application/json') {
    throw new ProblemError(415, 'Send the body as JSON (Content-Type: application/json).');
  }
  try {
    return JSON.parse(new TextDecoder().decode(bytes));
  } catch (error) {
    throw new ProblemError(400, `The body is not valid JSON: ${(error as Error).message}`);
  }
}

/** A JSON response (no body for 204). */
export function jsonResponse(status: number, body: unknown): Response {
  return new Response(status === 204 ? null : JSON.stringify(body), {
    status,
    headers: { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' },
  });
}

/** A Server-Sent Events stream being written. */
export interface EventStream {
  /** The streaming response to answer with. */
  response: Response;
  send(event: string, data: unknown, id?: string): void;
  /** Resolves when the client goes away (the body is cancelled or the request aborted). */
  closed: Promise<void>;
  /** Ends the stream. */
  end(): void;
}

/** Starts a Server-Sent Events response; write events with `send`, stop when `closed` resolves. */
export function startEventStream(request: Request): EventStream {
  const encoder = new TextEncoder();
  let controller: ReadableStreamDefaultController<Uint8Array> | undefined;
  let open = true;
  let resolveClosed: () => void = () => {};
  const closed = new Promise<void>((resolve) => {
    resolveClosed = () => {
      open = false;
      resolve();
    };
  });
  request.signal?.addEventListener('abort', () => resolveClosed(), { once: true });
  const body = new ReadableStream<Uint8Array>({
    start(streamController) {
      controller = streamController;
      streamController.enqueue(encoder.encode(': stream open\n\n'));
    },
    cancel() {
      resolveClosed();
    },
  });
  return {
    response: new Response(body, {
      status: 200,
      headers: {
        'content-type': 'text/event-stream; charset=utf-8',
        'cache-control': 'no-store',
        'x-accel-buffering': 'no',
      },
    }),
    send(event, data, id) {
      if (!open) return;
      controller?.enqueue(
        encoder.encode(
          `${id ? `id: ${id}\n` : ''}event: ${event}\ndata: ${JSON.stringify(data)}\n\n`,
        ),
      );
    },
    closed,
    end() {
      if (!open) return;
      resolveClosed();
      try {
        controller?.close();
      } catch {
        // already closed by the client
      }
    },
  };
}
