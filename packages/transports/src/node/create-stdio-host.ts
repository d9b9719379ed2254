/**
 * MCP over stdio for both protocol eras: the SDK's `serveStdio` entry picks the era from the
 * client's opening message (`initialize` → 2025 era, `server/discover` or an enveloped request →
 * 2026-07-28) and pins one server instance for the connection (mcp-sdk-v2 notes §4).
 */
import type { Readable, Writable } from 'node:stream';
import { FedmcpError } from '@fedmcp/protocol';
import type { ServerEventBus } from '@modelcontextprotocol/server';
import { StdioServerTransport, serveStdio } from '@modelcontextprotocol/server/stdio';
import type { CreateMcpServer } from '../mcp-session-context.js';
import { listenObserverOf } from './observe-listen.js';
import { chainOnClose, observeListensOn } from './sdk-seams.js';

/** Options for {@link createStdioHost}. */
export interface StdioHostOptions {
  /** Builds the MCP server once the client's opening message has fixed the era. */
  createServer: CreateMcpServer;
  /** Where messages come from. @default process.stdin */
  stdin?: Readable;
  /** Where messages go; nothing else may be written to it. @default process.stdout */
  stdout?: Writable;
  /** Largest message accepted, in bytes. @default 10485760 (10 MiB, the SDK default) */
  maxMessageBytes?: number;
  /** Out-of-band errors (for logs; never written to stdout). */
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
  const transport = new StdioServerTransport(
    options.stdin,
    options.stdout,
    options.maxMessageBytes === undefined ? undefined : { maxBufferSize: options.maxMessageBytes },
  );
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
      resolveClosed();
    },
    [Symbol.asyncDispose]() {
      return host.close();
    },
  };
  return host;
}
