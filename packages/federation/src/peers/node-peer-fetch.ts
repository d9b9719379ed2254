/**
 * A lighter fetch for peers at plain `http://` URLs on Node (issue #18). A hop's request to the
 * next hub through Node's global `fetch` (undici) builds a `Request`, a body stream, a fetch
 * controller, and parses the answer with undici's WebAssembly parser; in the profile of a hop
 * (bench/federation-hops/profile-hop.ts) that was ~20% of the hub's CPU time per call, and a
 * POST of an MCP request over `node:http` with a keep-alive agent costs about a third of the CPU
 * of the same POST through `fetch`. This fetch sends such requests with `node:http` and answers
 * with a standard `Response`: a JSON answer read whole (one buffer), an SSE answer streamed.
 *
 * It takes only what a peer's MCP transport sends (a URL, `redirect: 'error'` or `'manual'`, a
 * string or byte body); anything else (https, a `Request`, followed redirects, stream bodies) goes
 * to the runtime's fetch. Outside Node (workerd, Deno, Bun) there is no such fetch.
 */

/** The part of `node:http`'s answer used here. */
interface NodeResponse {
  statusCode?: number;
  statusMessage?: string;
  rawHeaders: string[];
  on(event: 'data', listener: (chunk: Uint8Array) => void): this;
  on(event: 'end' | 'close', listener: () => void): this;
  on(event: 'error', listener: (error: Error) => void): this;
  pause(): this;
  resume(): this;
  destroy(error?: Error): this;
}
/** The part of `node:http`'s request used here. */
interface NodeRequest {
  on(event: 'response', listener: (response: NodeResponse) => void): this;
  on(event: 'error', listener: (error: Error) => void): this;
  end(body?: string | Uint8Array): this;
  destroy(error?: Error): this;
}
interface NodeHttp {
  Agent: new (options: Record<string, unknown>) => { destroy(): void };
  request(options: Record<string, unknown>): NodeRequest;
}

const NULL_BODY_STATUSES = new Set([101, 204, 205, 304]);

function nodeHttp(): NodeHttp | undefined {
  const global = globalThis as {
    process?: { versions?: { node?: string }; getBuiltinModule?: (id: string) => unknown };
    Deno?: unknown;
    Bun?: unknown;
    navigator?: { userAgent?: string };
  };
  // Only Node's own http: other runtimes' node:http is built on their fetch.
  if (global.Deno !== undefined || global.Bun !== undefined) return undefined;
  if (global.navigator?.userAgent === 'Cloudflare-Workers') return undefined;
  if (global.process?.versions?.node === undefined) return undefined;
  return global.process.getBuiltinModule?.('node:http') as NodeHttp | undefined;
}

function plainHeaders(headers: HeadersInit | undefined): Record<string, string> | undefined {
  if (headers === undefined) return {};
  const plain: Record<string, string> = {};
  if (headers instanceof Headers) {
    for (const [name, value] of headers) plain[name] = value;
    return plain;
  }
  if (Array.isArray(headers)) return undefined;
  for (const [name, value] of Object.entries(headers)) plain[name.toLowerCase()] = value;
  return plain;
}

function responseHeaders(rawHeaders: readonly string[]): Headers {
  const headers = new Headers();
  for (let index = 0; index + 1 < rawHeaders.length; index += 2) {
    headers.append(rawHeaders[index] as string, rawHeaders[index + 1] as string);
  }
  return headers;
}

const encoder = new TextEncoder();

/** The value of header `name` (lower case) among `rawHeaders`, repeated values joined; or `''`. */
function headerOf(rawHeaders: readonly string[], name: string): string {
  let value: string | undefined;
  for (let index = 0; index + 1 < rawHeaders.length; index += 2) {
    const key = rawHeaders[index] as string;
    if (key.length === name.length && key.toLowerCase() === name) {
      value = value === undefined ? rawHeaders[index + 1] : `${value}, ${rawHeaders[index + 1]}`;
    }
  }
  return value ?? '';
}

/**
 * Set to `true` in a request's init to have this fetch resolve a whole (not streamed) answer as a
 * {@link WholeAnswer} instead of a `Response` (whose construction, with its `Headers`, was most
 * of this fetch's own CPU for a small JSON answer). A streamed (SSE) or bodiless answer is still
 * a `Response`; another fetch ignores the key. Used by direct-peer-calls.ts.
 */
export const WHOLE_ANSWER: unique symbol = Symbol('fedmcp.wholeAnswer');

/** A whole answer as bytes (see {@link WHOLE_ANSWER}). */
export interface WholeAnswer {
  readonly [WHOLE_ANSWER]: true;
  readonly status: number;
  readonly statusText: string;
  /** The `Content-Type` header, or `''`. */
  readonly contentType: string;
  readonly body: Uint8Array;
}

function wholeAnswer(answer: Omit<WholeAnswer, typeof WHOLE_ANSWER>): WholeAnswer {
  return { [WHOLE_ANSWER]: true, ...answer };
}

/** Whether a fetch resolved with a {@link WholeAnswer}. */
export function isWholeAnswer(answer: unknown): answer is WholeAnswer {
  return (answer as { [WHOLE_ANSWER]?: unknown } | undefined)?.[WHOLE_ANSWER] === true;
}

function concat(chunks: readonly Uint8Array[]): Uint8Array {
  if (chunks.length === 1) return chunks[0] as Uint8Array;
  const whole = new Uint8Array(chunks.reduce((length, chunk) => length + chunk.byteLength, 0));
  let offset = 0;
  for (const chunk of chunks) {
    whole.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return whole;
}

/** Where a URL points, as `node:http` takes it: kept per URL object (a transport reuses its own). */
const targets = new WeakMap<URL, { href: string; hostname: string; port: string; path: string }>();
function targetOf(url: URL) {
  let target = targets.get(url);
  if (target?.href !== url.href) {
    target = {
      href: url.href,
      // An IPv6 literal comes bracketed in `hostname`; node:http wants it bare.
      hostname: url.hostname.replace(/^\[(.*)\]$/, '$1'),
      port: url.port || '80',
      path: `${url.pathname}${url.search}`,
    };
    targets.set(url, target);
  }
  const { hostname, port, path } = target;
  return { hostname, port, path };
}

/** The error `fetch` rejects with when the network fails. */
const networkError = (cause: unknown) => new TypeError('fetch failed', { cause });

/**
 * A fetch over `node:http` for `http://` peers (see the file comment), or `undefined` outside
 * Node. Its keep-alive agent keeps idle connections 4 s, unreferenced (they never hold the
 * process open).
 */
export function createNodePeerFetch(
  fallback: typeof fetch = (input, init) => globalThis.fetch(input, init),
): typeof fetch | undefined {
  const http = nodeHttp();
  if (!http) return undefined;
  // An idle connection is closed after 4 s (sooner when the peer's `Keep-Alive: timeout` hint, less
  // 1 s, is shorter), before a Node peer's 5 s keep-alive timeout closes it under a new request.
  // Without `timeout` the agent ignores that hint. On a connection in use it only emits events.
  const agent = new http.Agent({ keepAlive: true, keepAliveMsecs: 1000, timeout: 4000 });
  return (input, init) => {
    const url = input instanceof URL ? input : typeof input === 'string' ? new URL(input) : input;
    const redirect = init?.redirect;
    const body = init?.body;
    const headers = plainHeaders(init?.headers);
    if (
      !(url instanceof URL) ||
      url.protocol !== 'http:' ||
      (redirect !== 'error' && redirect !== 'manual') ||
      !(
        body === undefined ||
        body === null ||
        typeof body === 'string' ||
        body instanceof Uint8Array
      ) ||
      headers === undefined
    ) {
      return fallback(input, init);
    }
    const signal = init?.signal ?? undefined;
    if (signal?.aborted) return Promise.reject(signal.reason);
    const bytes = typeof body === 'string' ? encoder.encode(body) : (body ?? undefined);
    if (bytes !== undefined) headers['content-length'] = String(bytes.byteLength);
    return new Promise<Response>((resolve, reject) => {
      const request = http.request({
        ...targetOf(url),
        method: init?.method ?? 'GET',
        headers,
        agent,
      });
      let answered = false;
      let onAbortOfBody: ((reason: unknown) => void) | undefined;
      const onAbort = () => {
        const reason = signal?.reason;
        request.destroy(reason instanceof Error ? reason : undefined);
        if (onAbortOfBody) onAbortOfBody(reason);
        else reject(reason);
      };
      const done = () => signal?.removeEventListener('abort', onAbort);
      signal?.addEventListener('abort', onAbort, { once: true });
      request.on('error', (error) => {
        done();
        if (!answered) reject(signal?.aborted ? signal.reason : networkError(error));
      });
      request.on('response', (response) => {
        answered = true;
        const status = response.statusCode ?? 0;
        const statusText = response.statusMessage ?? '';
        const responseInit = () => ({
          status,
          statusText,
          headers: responseHeaders(response.rawHeaders),
        });
        if (redirect === 'error' && status >= 300 && status < 400 && status !== 304) {
          done();
          response.destroy();
          reject(networkError(new Error('unexpected redirect')));
          return;
        }
        const type = headerOf(response.rawHeaders, 'content-type');
        if (NULL_BODY_STATUSES.has(status) || init?.method === 'HEAD') {
          response.on('end', done).resume();
          resolve(new Response(null, responseInit()));
        } else if (/^text\/event-stream/i.test(type)) {
          resolve(
            new Response(
              streamOf(response, done, (abort) => (onAbortOfBody = abort)),
              responseInit(),
            ),
          );
        } else {
          const whole = (init as { [WHOLE_ANSWER]?: unknown } | undefined)?.[WHOLE_ANSWER] === true;
          const chunks: Uint8Array[] = [];
          onAbortOfBody = reject;
          response.on('data', (chunk) => chunks.push(chunk));
          response.on('error', (error) => {
            done();
            reject(signal?.aborted ? signal.reason : networkError(error));
          });
          response.on('end', () => {
            done();
            const body = concat(chunks);
            resolve(
              whole
                ? (wholeAnswer({
                    status,
                    statusText,
                    contentType: type,
                    body,
                  }) as unknown as Response)
                : new BufferedResponse(body, responseInit()),
            );
          });
        }
      });
      request.end(bytes);
    });
  };
}

const decoder = new TextDecoder();
const unusable = () => new TypeError('Body is unusable: Body has already been read');

/**
 * A whole answer already in memory. `new Response(bytes)` wraps them in a byte stream (a
 * transferable `ReadableStream`, then read back through it: ~25% of this fetch's CPU in the
 * profile of a hop); here `text()`, `json()`, `arrayBuffer()` and `blob()` read the bytes
 * directly, and the `body` stream is made only when asked for.
 */
class BufferedResponse extends Response {
  #bytes: Uint8Array;
  #used = false;
  #stream: ReadableStream<Uint8Array<ArrayBuffer>> | null | undefined;

  constructor(bytes: Uint8Array, init: ResponseInit) {
    super(null, init);
    this.#bytes = bytes;
  }

  override get body(): ReadableStream<Uint8Array<ArrayBuffer>> | null {
    if (this.#stream === undefined) {
      this.#stream = this.#used ? null : new Response(this.#bytes as Uint8Array<ArrayBuffer>).body;
    }
    return this.#stream;
  }

  override get bodyUsed(): boolean {
    return this.#used || (this.#stream?.locked ?? false);
  }

  #read<T>(decode: (bytes: Uint8Array) => T, fromStream: (response: Response) => Promise<T>) {
    if (this.#stream) return fromStream(new Response(this.#stream));
    if (this.#used) return Promise.reject(unusable());
    this.#used = true;
    try {
      return Promise.resolve(decode(this.#bytes));
    } catch (error) {
      return Promise.reject(error);
    }
  }

  override text(): Promise<string> {
    return this.#read(
      (bytes) => decoder.decode(bytes),
      (response) => response.text(),
    );
  }

  override json(): Promise<unknown> {
    return this.#read(
      (bytes) => JSON.parse(decoder.decode(bytes)) as unknown,
      (response) => response.json(),
    );
  }

  override arrayBuffer(): Promise<ArrayBuffer> {
    return this.#read(
      (bytes) => bytes.slice().buffer as ArrayBuffer,
      (response) => response.arrayBuffer(),
    );
  }

  override blob(): Promise<Blob> {
    return this.#read(
      (bytes) =>
        new Blob([bytes as Uint8Array<ArrayBuffer>], {
          type: this.headers.get('content-type') ?? '',
        }),
      (response) => response.blob(),
    );
  }

  override clone(): Response {
    if (this.bodyUsed) throw unusable();
    const init = { status: this.status, statusText: this.statusText, headers: this.headers };
    if (!this.#stream) return new BufferedResponse(this.#bytes, init);
    const [mine, theirs] = this.#stream.tee();
    this.#stream = mine;
    return new Response(theirs, init);
  }
}

/** The body of a streamed answer, with backpressure; an abort of the request errors it. */
function streamOf(
  response: NodeResponse,
  done: () => void,
  onAbort: (abort: (reason: unknown) => void) => void,
): ReadableStream<Uint8Array> {
  let settled = false;
  return new ReadableStream<Uint8Array>({
    start(controller) {
      const finish = (error?: unknown) => {
        if (settled) return;
        settled = true;
        done();
        if (error === undefined) controller.close();
        else controller.error(error);
      };
      onAbort((reason) =>
        finish(reason ?? new DOMException('The operation was aborted.', 'AbortError')),
      );
      response.on('data', (chunk) => {
        if (settled) return;
        controller.enqueue(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength));
        if ((controller.desiredSize ?? 1) <= 0) response.pause();
      });
      response.on('end', () => finish());
      response.on('error', (error) => finish(networkError(error)));
      response.on('close', () =>
        finish(settled ? undefined : networkError(new Error('terminated'))),
      );
    },
    pull() {
      response.resume();
    },
    cancel() {
      settled = true;
      done();
      response.destroy();
    },
  });
}
