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
import { directRequestUrl, resolvedRequestUrl } from './request-url.js';

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

/**
 * The absolute URL of a Node request, as a web `Request` made from it reads it: the target
 * resolved against `scheme://Host` (`localhost` when the Host header is missing or unusable).
 */
export function requestUrlOf(request: IncomingMessage): string {
  const direct = directRequestUrl(request);
  if (direct !== undefined) {
    try {
      return new URL(direct).href;
    } catch {
      // an invalid port or IPv6 literal: the general path decides
    }
  }
  return resolvedRequestUrl(request).href;
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
