/**
 * The cheap request view a Node MCP host hands its `authenticate` hook: `method`, `url` and
 * `headers` of the `IncomingMessage`, with nothing built until it is read. A web `Request` built
 * per MCP request only for the hook cost some 6 µs (issue #13's profile: 5.7% of the gateway's busy
 * time), while fedmcp's own hooks read one or two headers and, for an audit record, the URL.
 *
 * - `headers.get()`/`has()` read the Node header record directly (Node lower-cases the names and
 *   joins repeated headers, except `set-cookie`, which is joined with `, ` as `Headers` does);
 *   iteration and the mutating methods build a real `Headers` once and use it from then on.
 * - `url` is made on first read, the same string `toBodylessRequest` gives (`scheme://Host` and
 *   the target; an absolute-form target or an odd `Host` resolved the same way).
 * - `peerCertificateOf(view)` answers as it does for a `Request` the host made.
 */
import type { IncomingMessage } from 'node:http';
import type { McpAuthRequest } from '../authenticate.js';
import { attachPeerCertificate } from './peer-certificate.js';

type NodeHeaderRecord = IncomingMessage['headers'];

/** The value of a Node header as `Headers.get` gives it, or `null`. */
function joined(value: unknown): string | null {
  if (typeof value === 'string') return value;
  if (Array.isArray(value)) return value.join(', ');
  return null;
}

/** A web `Headers` with the headers of a Node header record. */
function headersOf(raw: NodeHeaderRecord): Headers {
  const headers = new Headers();
  for (const name of Object.keys(raw)) {
    const value = joined(raw[name]);
    if (value !== null) headers.set(name, value);
  }
  return headers;
}

/** A `Headers` over a Node header record, materialised only for iteration or writes. */
class NodeRequestHeaders implements Headers {
  readonly #raw: NodeHeaderRecord;
  #headers: Headers | undefined;

  constructor(raw: NodeHeaderRecord) {
    this.#raw = raw;
  }

  #full(): Headers {
    this.#headers ??= headersOf(this.#raw);
    return this.#headers;
  }

  get(name: string): string | null {
    if (this.#headers !== undefined) return this.#headers.get(name);
    const key = name.toLowerCase();
    return Object.hasOwn(this.#raw, key) ? joined(this.#raw[key]) : null;
  }

  has(name: string): boolean {
    return this.get(name) !== null;
  }

  getSetCookie(): string[] {
    return this.#full().getSetCookie();
  }

  append(name: string, value: string): void {
    this.#full().append(name, value);
  }

  set(name: string, value: string): void {
    this.#full().set(name, value);
  }

  delete(name: string): void {
    this.#full().delete(name);
  }

  forEach(
    callback: (value: string, key: string, parent: Headers) => void,
    thisArg?: unknown,
  ): void {
    this.#full().forEach((value, key) => {
      callback.call(thisArg, value, key, this);
    });
  }

  entries(): HeadersIterator<[string, string]> {
    return this.#full().entries();
  }

  keys(): HeadersIterator<string> {
    return this.#full().keys();
  }

  values(): HeadersIterator<string> {
    return this.#full().values();
  }

  [Symbol.iterator](): HeadersIterator<[string, string]> {
    return this.#full()[Symbol.iterator]();
  }
}

/** A `Host` header that joins `scheme://` and an origin-form target as is (no `/`, `\\`, `?`, `#`, `@`). */
const PLAIN_HOST = /^[A-Za-z0-9.:[\]-]+$/;

/**
 * The absolute URL of a Node request, as a web `Request` made from it reads it: the target
 * resolved against `scheme://Host` (`localhost` when the Host header is missing or unusable).
 */
export function requestUrlOf(request: IncomingMessage): string {
  const scheme = (request.socket as { encrypted?: boolean } | undefined)?.encrypted
    ? 'https'
    : 'http';
  const target = request.url ?? '/';
  const host = request.headers.host;
  // An origin-form target ("/mcp?…") and a plain host make the URL string directly.
  if (
    host !== undefined &&
    PLAIN_HOST.test(host) &&
    target.startsWith('/') &&
    target[1] !== '/' &&
    target[1] !== '\\'
  ) {
    try {
      return new URL(`${scheme}://${host}${target}`).href;
    } catch {
      // an invalid port or IPv6 literal: the general path below decides
    }
  }
  try {
    return new URL(target, `${scheme}://${host ?? 'localhost'}`).href;
  } catch {
    return new URL(target, `${scheme}://localhost`).href;
  }
}

/** The request view of {@link toAuthRequest}. */
class NodeAuthRequest implements McpAuthRequest {
  readonly method: string;
  readonly headers: Headers;
  readonly #request: IncomingMessage;
  #url: string | undefined;

  constructor(request: IncomingMessage) {
    this.#request = request;
    this.method = request.method ?? 'GET';
    this.headers = new NodeRequestHeaders(request.headers);
  }

  get url(): string {
    this.#url ??= requestUrlOf(this.#request);
    return this.#url;
  }
}

/**
 * The view of a Node request an MCP host passes to its `authenticate` hook: `method`, `url` (made
 * when read) and `headers` (read from the Node record), without building a web `Request`. Use it
 * in `onRequest` routes that run the hook themselves; `toBodylessRequest` when a real `Request`
 * is needed.
 *
 * @example
 * ```ts
 * const outcome = await runAuthenticate(authenticate, toAuthRequest(request));
 * ```
 */
export function toAuthRequest(request: IncomingMessage): McpAuthRequest {
  const view = new NodeAuthRequest(request);
  attachPeerCertificate(request, view);
  return view;
}
