/**
 * MCP over stdio for both protocol eras: the SDK's `serveStdio` entry picks the era from the
 * client's opening message (`initialize` → 2025 era, `server/discover` or an enveloped request →
 * 2026-07-28) and pins one server instance for the connection (mcp-sdk-v2 notes §4).
 */
import type { Readable, Writable } from 'node:stream';
import { FedmcpError } from '@fedmcp/protocol';
import type { ServerEventBus } from '@modelcontextprotocol/server';
import { StdioServerTransport, serveStdio } from '@modelcontextprotocol/server/stdio';
import { DEFAULT_MAX_JSON_DEPTH } from '../json-depth.js';
import type { CreateMcpServer } from '../mcp-session-context.js';
import { listenObserverOf } from './observe-listen.js';
import { chainOnClose, observeListensOn } from './sdk-seams.js';
import { guardStdioInput } from './stdio-input-guard.js';

/** Options for {@link createStdioHost}. */
export interface StdioHostOptions {
  /** Builds the MCP server once the client's opening message has fixed the era. */
  createServer: CreateMcpServer;
  /** Where messages come from. @default process.stdin */
  stdin?: Readable;
  /** Where messages go; nothing else may be written to it. @default process.stdout */
  stdout?: Writable;
  /**
   * Largest message (one line) accepted, in bytes; a longer one is answered with -32600 and
   * dropped (the connection stays open), and reported through `onError`.
   * @default 10485760 (10 MiB, the SDK default)
   */
  maxMessageBytes?: number;
  /**
   * Deepest nesting of objects and arrays accepted in one message; a deeper one is answered with
   * -32600 (or -32602 when only its params are that deep) and reported through `onError`.
   * @default 64
   */
  maxJsonDepth?: number;
  /** Out-of-band errors, refused messages included (for logs; never written to stdout). */
  onError?: (error: Error) => void;
  /**
   * Change-event bus. The pinned server instance feeds this connection's 2026-07-28 listen
   * streams itself (its `send*ListChanged()` / `sendResourceUpdated()`), so only a bus's
   * `observeListen` is used here: it is told when the client opens a `subscriptions/listen`
   * stream (see `ListenObservingServerEventBus`; pass the federation hub's `hub.bus`).
   */
  bus?: ServerEventBus;
}

/** A running stdio host. */
export interface StdioHost {
  /** Resolves when the connection has ended (stdin closed, or {@link StdioHost.close}). */
  readonly closed: Promise<void>;
  /** Ends the connection: closes the server instance and the transport. */
  close(): Promise<void>;
  [Symbol.asyncDispose](): Promise<void>;
}

/**
 * Serves MCP over stdio to clients of both protocol eras.
 *
 * @example
 * ```ts
 * // bin.ts — run by an MCP client as a child process
 * const host = createStdioHost({ createServer: (context) => buildServer(context) });
 * await host.closed;
 * ```
 */
export function createStdioHost(options: StdioHostOptions): StdioHost {
  const stdin = options.stdin ?? process.stdin;
  const stdout = options.stdout ?? process.stdout;
  const guard = guardStdioInput({
    stdin,
    stdout,
    maxMessageBytes: options.maxMessageBytes ?? 10 * 1024 * 1024,
    maxJsonDepth: options.maxJsonDepth ?? DEFAULT_MAX_JSON_DEPTH,
    onRefused: (error) => options.onError?.(error),
  });
  // The guard hands the transport whole lines within the limit only; the SDK's own buffer limit
  // (which closes the connection) must never be the one that trips.
  const transport = new StdioServerTransport(guard.input, stdout, {
    maxBufferSize: Number.MAX_SAFE_INTEGER,
  });
  let resolveClosed: () => void = () => {};
  const closed = new Promise<void>((resolve) => {
    resolveClosed = resolve;
  });
  // serveStdio installs its own onclose on the transport; chain ours behind it.
  chainOnClose(transport, () => resolveClosed());
  const observe = options.bus ? listenObserverOf(options.bus) : undefined;
  if (observe) {
    observeListensOn(transport, observe, { transport: 'stdio' }, (error) =>
      options.onError?.(error instanceof Error ? error : FedmcpError.from(error)),
    );
  }
  const handle = serveStdio(
    (sdkContext) => options.createServer({ transport: 'stdio', era: sdkContext.era }),
    {
      transport,
      legacy: 'serve',
      ...(options.onError ? { onerror: options.onError } : {}),
    },
  );
  const host: StdioHost = {
    closed,
    async close() {
      await handle.close();
      guard.detach();
      resolveClosed();
    },
    [Symbol.asyncDispose]() {
      return host.close();
    },
  };
  return host;
}
