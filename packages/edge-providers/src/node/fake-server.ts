/**
 * The HTTP server under every contract fake: 127.0.0.1, an ephemeral port, requests handed over
 * as web `Request`s (so multipart bodies parse with `formData()`), and the documented checks the
 * fakes share. A fake answers 400 naming what is wrong when a request breaks the documented API.
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** A running fake. */
export interface FakeServer {
  /** `http://127.0.0.1:<port>` */
  readonly url: string;
  readonly server: Server;
  /** Every request as `METHOD /path?query`, in order. */
  readonly seen: string[];
  close(): Promise<void>;
  [Symbol.asyncDispose](): Promise<void>;
}

/** A request broke the documented API: the fake answers `status` with `body`. */
export class ContractViolation extends Error {
  constructor(
    message: string,
    readonly status = 400,
    readonly body: unknown = undefined,
  ) {
    super(message);
  }
}

/** Throws a 400 {@link ContractViolation} saying `message` unless `condition`. */
export function check(condition: unknown, message: string): asserts condition {
  if (!condition) throw new ContractViolation(message);
}

/** A JSON response. */
export function json(status: number, body: unknown): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { 'content-type': 'application/json' },
  });
}

/** The parsed JSON body, or a 400 when the request does not carry JSON. */
export async function jsonBody(request: Request): Promise<unknown> {
  check(
    request.headers.get('content-type')?.startsWith('application/json'),
    'content-type must be application/json',
  );
  try {
    return await request.json();
  } catch {
    throw new ContractViolation('the body is not valid JSON');
  }
}

/** The multipart body, or a 400 when the request is not `multipart/form-data`. */
export async function formBody(request: Request): Promise<FormData> {
  check(
    request.headers.get('content-type')?.startsWith('multipart/form-data; boundary='),
    'content-type must be multipart/form-data with a boundary',
  );
  return request.formData();
}

function toRequest(message: IncomingMessage, body: Buffer, base: string): Request {
  const headers = new Headers();
  for (const [name, value] of Object.entries(message.headers)) {
    if (typeof value === 'string') headers.set(name, value);
    else if (Array.isArray(value)) for (const item of value) headers.append(name, item);
  }
  const method = message.method ?? 'GET';
  return new Request(`${base}${message.url ?? '/'}`, {
    method,
    headers,
    ...(method === 'GET' || method === 'HEAD' ? {} : { body: new Uint8Array(body) }),
  });
}

/**
 * Starts a fake; `handle` answers each request, `onViolation` turns a {@link ContractViolation}
 * into the platform's error envelope.
 */
export async function startFakeServer(
  handle: (request: Request, url: URL) => Promise<Response>,
  onViolation: (violation: ContractViolation) => Response,
): Promise<FakeServer> {
  const seen: string[] = [];
  let base = '';
  const server = createServer((message, response) => {
    const chunks: Buffer[] = [];
    message.on('data', (chunk: Buffer) => chunks.push(chunk));
    message.on('end', async () => {
      const request = toRequest(message, Buffer.concat(chunks), base);
      const url = new URL(request.url);
      seen.push(`${request.method} ${url.pathname}${url.search}`);
      let answer: Response;
      try {
        answer = await handle(request, url);
      } catch (error) {
        answer =
          error instanceof ContractViolation
            ? onViolation(error)
            : json(500, { error: `fake bug: ${(error as Error).message}` });
      }
      response.writeHead(answer.status, Object.fromEntries(answer.headers));
      response.end(Buffer.from(await answer.arrayBuffer()));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const close = () =>
    new Promise<void>((resolve, reject) => {
      server.closeAllConnections();
      server.close((error) => (error ? reject(error) : resolve()));
    });
  return { url: base, server, seen, close, [Symbol.asyncDispose]: close };
}

/** Whether `authorization` is one of the accepted schemes followed by `token`. */
export function hasToken(request: Request, token: string, schemes = ['Bearer']): boolean {
  const header = request.headers.get('authorization') ?? '';
  return schemes.some((scheme) => header === `${scheme} ${token}`);
}

/** The named segments of a route (only those its pattern has are set). */
export type RouteParams = Record<'name' | 'app' | 'id' | 'slug' | 'account' | 'ref', string>;

/** Matches `pattern` (with `:name` segments) against a path; the named segments, or undefined. */
export function route(
  method: string,
  pattern: string,
  request: Request,
  url: URL,
): RouteParams | undefined {
  if (request.method !== method) return undefined;
  const names: string[] = [];
  const source = pattern.replace(/:([a-z_]+)/gi, (_, name: string) => {
    names.push(name);
    return '([^/]+)';
  });
  const match = new RegExp(`^${source}$`).exec(url.pathname);
  if (match === null) return undefined;
  return Object.fromEntries(
    names.map((name, index) => [name, decodeURIComponent(match[index + 1] ?? '')]),
  ) as RouteParams;
}
