/**
 * `connectUpstream`: from a Claude-Desktop-style entry to a connected SDK v2 `Client`. This is the
 * web-standard part (URL upstreams: Streamable HTTP with a fallback to legacy SSE, WebSocket);
 * `@fedmcp/transports/node` adds stdio upstreams with a supervised child process.
 */
import { childLogger, FEDMCP_VERSION, FedmcpError, type Logger } from '@fedmcp/protocol';
import type {
  ClientCapabilities,
  ClientOptions,
  FetchLike,
  Implementation,
  PriorDiscovery,
  Transport,
  VersionNegotiationOptions,
} from '@modelcontextprotocol/client';
import { SSEClientTransport, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { UpstreamClient, type UpstreamRequestDefaults } from './upstream-client.js';
import {
  isStdioUpstreamSpec,
  type RemoteUpstreamSpec,
  requestedRemoteTransport,
  type UpstreamSpec,
  type UpstreamTransportKind,
  upstreamCacheKey,
} from './upstream-spec.js';
import {
  createWebSocketClientTransport,
  type WebSocketConstructor,
} from './websocket-client-transport.js';

/**
 * Which protocol era to speak: `auto` probes with `server/discover` and falls back to
 * `initialize`; `legacy` runs the 2025 `initialize` handshake only; `2026-07-28` insists on the
 * modern era (no fallback).
 */
export type UpstreamEra = 'auto' | 'legacy' | '2026-07-28';

/** What was learnt about an upstream on its first connect, so later connects skip the probing. */
export interface UpstreamVerdict {
  /** The transport that worked (after any Streamable HTTP → SSE fallback). */
  transport: UpstreamTransportKind;
  /**
   * The era, as learnt by an `auto` probe (or implied by SSE, which is 2025-era only); passed to
   * the SDK's `connect({ prior })`. Absent when the connect did not probe (`era: 'legacy'`).
   */
  prior?: PriorDiscovery;
}

/**
 * Where verdicts are kept, keyed per upstream (and authorization context). A
 * `Map<string, UpstreamVerdict>` will do; a store-backed one lets replicas share them.
 */
export interface UpstreamVerdictCache {
  get(key: string): UpstreamVerdict | undefined;
  set(key: string, verdict: UpstreamVerdict): unknown;
  delete?(key: string): unknown;
}

/** Options of {@link connectUpstream} and {@link createUpstreamClient}. */
export interface ConnectUpstreamOptions extends UpstreamRequestDefaults {
  /**
   * The client's name and version, sent to the server.
   * @default { name: 'fedmcp', version: FEDMCP_VERSION }
   */
  clientInfo?: Implementation;
  /**
   * Capabilities to declare (`sampling`, `elicitation`, `roots`, …). Declare only what your
   * request handlers (registered in `onClientCreated`) answer.
   * @default {}
   */
  capabilities?: ClientCapabilities;
  /**
   * Further SDK `Client` options (`listChanged`, `inputRequired`, `responseCacheStore`, …).
   * @default {}
   */
  clientOptions?: Omit<ClientOptions, 'capabilities' | 'versionNegotiation'>;
  /**
   * Called with the new, not yet connected client: register request handlers
   * (`sampling/createMessage`, `elicitation/create`, `roots/list`) and notification handlers here.
   * Handlers stay registered across stdio restarts.
   */
  onClientCreated?: (client: UpstreamClient) => void | Promise<void>;
  /**
   * The protocol era to negotiate.
   * @default 'auto' for Streamable HTTP; 'legacy' for stdio, SSE and WebSocket
   */
  era?: UpstreamEra;
  /**
   * How long the `auto` era probe waits for an answer, in milliseconds.
   * @default 5_000
   */
  probeTimeoutMs?: number;
  /**
   * Where the first connect's verdict (transport and era) is kept; later connects to the same
   * key skip the probing and the fallback, and concurrent first connects run one at a time
   * (no double spawns).
   * @default undefined (nothing cached)
   */
  verdictCache?: UpstreamVerdictCache;
  /**
   * The verdict cache key.
   * @default the URL (remote) or the command line and cwd (stdio)
   */
  cacheKey?: string;
  /**
   * Headers sent on every HTTP request and on the WebSocket handshake, on top of the spec's.
   * @default {}
   */
  headers?: Record<string, string>;
  /**
   * The fetch used for Streamable HTTP and SSE.
   * @default globalThis.fetch
   */
  fetch?: FetchLike;
  /**
   * The WebSocket implementation for ws/wss upstreams.
   * @default globalThis.WebSocket (the /node entry passes `ws`)
   */
  WebSocket?: WebSocketConstructor;
  /**
   * Logger for connection events (and, for stdio, the server's stderr).
   * @default silent
   */
  logger?: Logger;
  /** Aborts the connect. */
  signal?: AbortSignal;
}

/** The client name sent when none is given. */
export const DEFAULT_UPSTREAM_CLIENT_INFO: Implementation = {
  name: 'fedmcp',
  version: FEDMCP_VERSION,
};

/** The default `auto` probe timeout. */
export const DEFAULT_PROBE_TIMEOUT_MS = 5_000;

/**
 * Creates the SDK v2 client for an upstream, not yet connected, and runs `onClientCreated` on it.
 * Use it with {@link createUpstreamTransport} when you drive `client.connect` yourself.
 */
export async function createUpstreamClient(
  options: ConnectUpstreamOptions = {},
): Promise<UpstreamClient> {
  const client = new UpstreamClient(options.clientInfo ?? DEFAULT_UPSTREAM_CLIENT_INFO, {
    ...options.clientOptions,
    capabilities: options.capabilities ?? {},
    requestDefaults: {
      timeoutMs: options.timeoutMs,
      resetTimeoutOnProgress: options.resetTimeoutOnProgress,
      maxTotalTimeoutMs: options.maxTotalTimeoutMs,
    },
  });
  await options.onClientCreated?.(client);
  return client;
}

/**
 * Creates the transport for a remote spec without connecting it: WebSocket for ws/wss URLs or
 * `type: "ws"`, SSE for `type: "sse"`, Streamable HTTP otherwise (no fallback; that is
 * {@link connectUpstream}'s job). Headers and fetch are applied.
 */
export function createUpstreamTransport(
  spec: RemoteUpstreamSpec,
  options: Pick<ConnectUpstreamOptions, 'headers' | 'fetch' | 'WebSocket'> & {
    kind?: Exclude<UpstreamTransportKind, 'stdio'>;
  } = {},
): Transport {
  const requested = requestedRemoteTransport(spec);
  const kind = options.kind ?? (requested === 'auto' ? 'streamable-http' : requested);
  const headers = { ...spec.headers, ...options.headers };
  const url = new URL(spec.url);
  if (kind === 'websocket') {
    return createWebSocketClientTransport({
      url,
      headers,
      ...(options.WebSocket && { WebSocket: options.WebSocket }),
    });
  }
  const fetch = withHeaders(options.fetch, headers);
  const requestInit: RequestInit = { headers };
  if (kind === 'sse') return new SSEClientTransport(url, { fetch, requestInit });
  return new StreamableHTTPClientTransport(url, { fetch, requestInit });
}

/**
 * Connects to an upstream MCP server described by a Claude-Desktop-style entry and returns the
 * connected SDK v2 client. URLs get Streamable HTTP first and fall back to the legacy HTTP+SSE
 * transport when the server answers the POST like an SSE-only server (400, 404 or 405; MCP
 * 2025-11-25 basic/transports, backwards compatibility); ws/wss URLs get WebSocket.
 * This root entry handles URLs only; stdio specs need `@fedmcp/transports/node`.
 *
 * @throws FedmcpError `UPSTREAM_UNAVAILABLE` when no transport connects; `INVALID_CONFIG` for a
 * stdio spec here.
 * @example
 * ```ts
 * const client = await connectUpstream({ url: 'https://mcp.example.com/mcp' }, { timeoutMs: 30_000 });
 * const { tools } = await client.listTools();
 * await client.close();
 * ```
 */
export async function connectUpstream(
  spec: UpstreamSpec,
  options: ConnectUpstreamOptions = {},
): Promise<UpstreamClient> {
  if (isStdioUpstreamSpec(spec)) {
    throw new FedmcpError(
      'INVALID_CONFIG',
      `Cannot start "${spec.command}" here: stdio upstreams need Node.js; import connectUpstream from "@fedmcp/transports/node".`,
    );
  }
  const client = await createUpstreamClient(options);
  try {
    await connectRemoteUpstream(client, spec, options);
  } catch (error) {
    await client.close().catch(() => {});
    throw error;
  }
  return client;
}

/**
 * Connects an existing client to a remote spec (transport choice, fallback, era, verdict cache).
 * @internal shared with the /node entry
 */
export async function connectRemoteUpstream(
  client: UpstreamClient,
  spec: RemoteUpstreamSpec,
  options: ConnectUpstreamOptions,
): Promise<void> {
  const key = options.cacheKey ?? upstreamCacheKey(spec);
  const logger = childLogger(options.logger, { upstream: spec.url });
  const requested = requestedRemoteTransport(spec);
  // Only probing connects (era or transport fallback) are worth running one at a time.
  const probing = requested === 'auto' || options.era !== 'legacy';
  await withFirstConnectLock(probing ? options.verdictCache : undefined, key, async () => {
    const cached = options.verdictCache?.get(key);
    const first = requested === 'auto' ? (cached?.transport ?? 'streamable-http') : requested;
    const attempt = async (kind: Exclude<UpstreamTransportKind, 'stdio'>) => {
      const transport = createUpstreamTransport(spec, { ...options, kind });
      await connectWithVerdict(client, transport, kind, key, options, cached);
    };
    if (first !== 'streamable-http' || requested !== 'auto') {
      await attempt(first === 'stdio' ? 'streamable-http' : first);
      return;
    }
    try {
      await attempt('streamable-http');
    } catch (error) {
      if (!looksLikeSseOnlyServer(error)) throw toUnavailable(error, spec.url);
      logger.info(
        { status: httpStatusOf(error) },
        'Streamable HTTP refused; falling back to the legacy HTTP+SSE transport',
      );
      await attempt('sse');
    }
  }).catch((error: unknown) => {
    throw canceledIfAborted(error, options.signal) ?? toUnavailable(error, spec.url);
  });
  logger.debug(
    { transport: client.transportKind, era: client.getProtocolEra() },
    'upstream connected',
  );
}

/**
 * Connects `client` over `transport` with the era settings and the cached verdict, then records
 * the verdict. A failed connect with a cached verdict drops it, so the next connect probes again.
 * @internal shared with the /node entry
 */
export async function connectWithVerdict(
  client: UpstreamClient,
  transport: Transport,
  kind: UpstreamTransportKind,
  key: string,
  options: ConnectUpstreamOptions,
  cached: UpstreamVerdict | undefined = options.verdictCache?.get(key),
): Promise<void> {
  const era = options.era ?? (kind === 'streamable-http' ? 'auto' : 'legacy');
  const negotiation: VersionNegotiationOptions =
    era === 'legacy'
      ? { mode: 'legacy' }
      : {
          mode: era === 'auto' ? 'auto' : { pin: era },
          probe: { timeoutMs: options.probeTimeoutMs ?? DEFAULT_PROBE_TIMEOUT_MS },
        };
  const cachedPrior = cached?.transport === kind ? cached.prior : undefined;
  const prior =
    era !== 'legacy' && (era === 'auto' || cachedPrior?.kind === 'modern')
      ? cachedPrior
      : undefined;
  client.setVersionNegotiation(negotiation);
  try {
    await client.connectAttempt(transport, {
      ...(prior && { prior }),
      ...(options.timeoutMs !== undefined && { timeout: options.timeoutMs }),
      ...(options.signal && { signal: options.signal }),
    });
  } catch (error) {
    // A verdict that led to a failed connect may be stale: the next connect probes afresh.
    if (cached) options.verdictCache?.delete?.(key);
    await transport.close().catch(() => {});
    throw error;
  }
  client.transportKind = kind;
  const discover = client.getDiscoverResult();
  const learnt: PriorDiscovery | undefined = discover
    ? { kind: 'modern', discover }
    : era !== 'legacy' || kind === 'sse'
      ? { kind: 'legacy' }
      : cachedPrior;
  options.verdictCache?.set(key, { transport: kind, ...(learnt && { prior: learnt }) });
}

const firstConnects = new WeakMap<UpstreamVerdictCache, Map<string, Promise<unknown>>>();

/**
 * Runs `connect` alone while `key` has no verdict yet: concurrent first connects to one upstream
 * wait for the first, then reuse its verdict (typescript-sdk#2514: `auto` probes racing each
 * other spawn a stdio server several times).
 * @internal
 */
export async function withFirstConnectLock<T>(
  cache: UpstreamVerdictCache | undefined,
  key: string,
  connect: () => Promise<T>,
): Promise<T> {
  if (!cache || cache.get(key)) return connect();
  let inFlight = firstConnects.get(cache);
  if (!inFlight) {
    inFlight = new Map();
    firstConnects.set(cache, inFlight);
  }
  for (let pending = inFlight.get(key); pending; pending = inFlight.get(key)) {
    await pending.catch(() => {});
    if (cache.get(key)) return connect();
  }
  const running = connect();
  inFlight.set(key, running);
  try {
    return await running;
  } finally {
    if (inFlight.get(key) === running) inFlight.delete(key);
  }
}

/**
 * True when a failed Streamable HTTP connect looks like an SSE-only (2024-11-05) server: the
 * POST got 400, 404 or 405 (MCP 2025-11-25 basic/transports §backwards-compatibility).
 */
export function looksLikeSseOnlyServer(error: unknown): boolean {
  const status = httpStatusOf(error);
  return status === 400 || status === 404 || status === 405;
}

function httpStatusOf(error: unknown): number | undefined {
  for (let current = error, depth = 0; current && depth < 5; depth++) {
    const candidate = current as { status?: unknown; data?: { status?: unknown }; cause?: unknown };
    if (typeof candidate.status === 'number') return candidate.status;
    if (typeof candidate.data?.status === 'number') return candidate.data.status;
    current = candidate.cause;
  }
  return undefined;
}

/**
 * A `CANCELED` error when `signal` was aborted (the SDK reports an aborted connect as a
 * timeout), else `undefined`.
 * @internal shared with the /node entry
 */
export function canceledIfAborted(
  error: unknown,
  signal: AbortSignal | undefined,
): FedmcpError | undefined {
  if (!signal?.aborted) return undefined;
  return new FedmcpError('CANCELED', 'Connecting to the upstream was canceled.', {
    cause: error,
  });
}

function toUnavailable(error: unknown, url: string): unknown {
  if (FedmcpError.isInstance(error)) return error;
  const reason = error instanceof Error ? error.message : String(error);
  if ((error as { name?: string })?.name === 'AbortError') return FedmcpError.from(error);
  return new FedmcpError(
    'UPSTREAM_UNAVAILABLE',
    `Cannot connect to the MCP server at ${url}: ${reason}. Check the URL, that the server is up, and its credentials.`,
    { cause: error, data: { url, ...(httpStatusOf(error) && { status: httpStatusOf(error) }) } },
  );
}

/**
 * True where `fetch` is undici's (Node): undici adds an abort listener to the signal of each
 * request and removes it only once the request is garbage-collected.
 */
const undiciFetch =
  (globalThis as { process?: { versions?: { undici?: string } } }).process?.versions?.undici !==
    undefined && typeof AbortSignal.any === 'function';

/**
 * `init` with a signal of its own for this one request, following the caller's. An SDK client
 * transport hands its one long-lived abort signal to every fetch; on undici thousands of
 * listeners piled up on it under load, and Node printed a MaxListenersExceededWarning per request
 * past 1,500 (#18). `AbortSignal.any` links the request's signal without a listener on the
 * transport's, so undici's listener lives and dies with the request.
 */
function withOwnSignal(init: RequestInit | undefined): RequestInit | undefined {
  if (!undiciFetch || !init?.signal) return init;
  return { ...init, signal: AbortSignal.any([init.signal]) };
}

function withHeaders(fetch: FetchLike | undefined, headers: Record<string, string>): FetchLike {
  const base: FetchLike = fetch ?? ((url, init) => globalThis.fetch(url, init));
  const names = Object.entries(headers);
  return (url, requestInit) => {
    const init = withOwnSignal(requestInit);
    if (names.length === 0) return base(url, init);
    const merged = new Headers(init?.headers);
    for (const [name, value] of names) {
      // Transport-managed headers (session id, protocol version, auth provider) win.
      if (!merged.has(name)) merged.set(name, value);
    }
    return base(url, { ...init, headers: merged });
  };
}
