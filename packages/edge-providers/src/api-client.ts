/**
 * The HTTP client the providers share: JSON and multipart requests with a bearer token, error
 * answers turned into {@link EdgeProviderError}s, and every request recorded with the token and
 * secret values redacted (with `dryRun`, recorded and not sent).
 */
import { EdgeProviderError, explainProviderError } from './edge-provider-error.js';
import type { ProgressEvent, ProviderId, RecordedRequest } from './provider.js';

/** One part of a multipart body. */
export interface FormPart {
  name: string;
  content: string | Uint8Array;
  filename?: string;
  contentType?: string;
}

/** One API request. */
export interface ApiRequest {
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  /** Appended to the base URL (`/accounts/…`). */
  path: string;
  query?: Record<string, string>;
  json?: unknown;
  form?: FormPart[];
  headers?: Record<string, string>;
  /** What the request does, for the error message, e.g. `Upload of the Worker script`. */
  what: string;
  /** Answer `undefined` for a 404 instead of throwing. @default false */
  allowNotFound?: boolean;
  /** Another base URL than the client's (Fly's logs live on api.fly.io). */
  baseUrl?: string;
}

/** Options of {@link createApiClient}. */
export interface ApiClientOptions {
  provider: ProviderId;
  baseUrl: string;
  /** The authorization header value, e.g. `Bearer <token>`. */
  authorization: string;
  fetch?: typeof fetch;
  dryRun?: boolean;
  /** Values to redact in recorded bodies (secrets). */
  secrets?: () => readonly string[];
}

/** The client {@link createApiClient} returns. */
export interface ApiClient {
  /** Sends (or with `dryRun` records) a request; resolves to the parsed JSON answer. */
  send<T>(request: ApiRequest): Promise<T | undefined>;
  /** The requests so far, redacted. */
  readonly requests: RecordedRequest[];
}

const REDACTED = '[redacted]';

function redact(text: string, secrets: readonly string[]): string {
  let result = text;
  for (const secret of secrets) if (secret.length > 0) result = result.split(secret).join(REDACTED);
  return result;
}

/** A part's content as text: UTF-8 source as it is, binary content (wasm) as its size. */
function partText(content: string | Uint8Array): string {
  if (typeof content === 'string') return content;
  try {
    const text = new TextDecoder('utf-8', { fatal: true }).decode(content);
    if (!text.includes('\u0000')) return text;
  } catch {
    // not UTF-8: binary
  }
  return `<${content.byteLength} bytes>`;
}

/** Builds a URL from a base, a path and a query. */
export function apiUrl(baseUrl: string, path: string, query?: Record<string, string>): string {
  const url = new URL(`${baseUrl.replace(/\/$/, '')}${path}`);
  for (const [key, value] of Object.entries(query ?? {})) url.searchParams.set(key, value);
  return url.toString();
}

/** Creates an {@link ApiClient}. */
export function createApiClient(options: ApiClientOptions): ApiClient {
  const doFetch = options.fetch ?? globalThis.fetch;
  const requests: RecordedRequest[] = [];
  const scheme = options.authorization.split(' ')[0] ?? 'Bearer';

  function record(request: ApiRequest, url: string, headers: Record<string, string>): void {
    const secrets = options.secrets?.() ?? [];
    const entry: RecordedRequest = {
      method: request.method,
      url,
      headers: { ...headers, authorization: `${scheme} ${REDACTED}` },
    };
    if (request.json !== undefined) {
      entry.json = JSON.parse(redact(JSON.stringify(request.json), secrets));
    }
    if (request.form !== undefined) {
      entry.parts = request.form.map((part) => ({
        name: part.name,
        ...(part.filename === undefined ? {} : { filename: part.filename }),
        ...(part.contentType === undefined ? {} : { contentType: part.contentType }),
        content: redact(partText(part.content), secrets),
      }));
    }
    requests.push(entry);
  }

  async function send<T>(request: ApiRequest): Promise<T | undefined> {
    const url = apiUrl(request.baseUrl ?? options.baseUrl, request.path, request.query);
    const headers: Record<string, string> = { accept: 'application/json', ...request.headers };
    let body: BodyInit | undefined;
    if (request.json !== undefined) {
      headers['content-type'] = 'application/json';
      body = JSON.stringify(request.json);
    } else if (request.form !== undefined) {
      const form = new FormData();
      for (const part of request.form) {
        if (part.filename === undefined) form.append(part.name, partText(part.content));
        else {
          const blob = new Blob(
            [typeof part.content === 'string' ? part.content : new Uint8Array(part.content)],
            {
              type: part.contentType ?? 'application/octet-stream',
            },
          );
          form.append(part.name, blob, part.filename);
        }
      }
      body = form;
    }
    record(request, url, headers);
    if (options.dryRun) return undefined;
    const response = await doFetch(url, {
      method: request.method,
      headers: { ...headers, authorization: options.authorization },
      ...(body === undefined ? {} : { body }),
    }).catch((error: unknown) => {
      const reason =
        (error as { cause?: { code?: string } }).cause?.code ?? (error as Error).message;
      throw new EdgeProviderError(
        options.provider,
        'PROVIDER_ERROR',
        `${request.what} failed: ${new URL(url).host} could not be reached (${reason}). Check the network, or the API URL override.`,
      );
    });
    const received = await response.text();
    // A platform may echo what it was sent: an error answer is redacted like a recorded request.
    const text = response.ok
      ? received
      : redact(received, [
          ...(options.secrets?.() ?? []),
          options.authorization.slice(scheme.length + 1),
        ]);
    let parsed: unknown = text;
    try {
      parsed = text.length === 0 ? undefined : JSON.parse(text);
    } catch {
      // a plain-text answer stays text
    }
    if (response.status === 404 && request.allowNotFound) return undefined;
    if (!response.ok)
      throw explainProviderError(options.provider, request.what, response.status, parsed);
    return parsed as T;
  }

  return { send, requests };
}

/** Runs `work` between a `start` and a `done` progress event. */
export async function step<T>(
  onProgress: ((event: ProgressEvent) => void) | undefined,
  name: string,
  work: () => Promise<T>,
  detail?: (result: T) => string | undefined,
): Promise<T> {
  onProgress?.({ step: name, state: 'start' });
  const result = await work();
  const said = detail?.(result);
  onProgress?.({ step: name, state: 'done', ...(said === undefined ? {} : { detail: said }) });
  return result;
}

/** Waits `ms`, or less when `signal` aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}

/** Asks the hub's `/healthz`: `ok`, `HTTP <status>` or `unreachable: <reason>`. */
export async function hubHealth(fetcher: typeof fetch, baseUrl: string): Promise<string> {
  try {
    const response = await fetcher(`${baseUrl.replace(/\/$/, '')}/healthz`, {
      signal: AbortSignal.timeout(10_000),
    });
    await response.body?.cancel();
    return response.ok ? 'ok' : `HTTP ${response.status}`;
  } catch (error) {
    return `unreachable: ${(error as Error).message}`;
  }
}
