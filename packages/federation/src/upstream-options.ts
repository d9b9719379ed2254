import type { Logger } from '@fedmcp/protocol';
import type { UpstreamSpec } from '@fedmcp/transports';
import type { Client } from '@modelcontextprotocol/client';
import type { ClientCapabilities, Implementation } from '@modelcontextprotocol/server';
import type { ToolFilter } from './tool-filter.js';

/** Where an upstream lives, in Claude Desktop's format: the spec types of `@fedmcp/transports`. */
export type { RemoteUpstreamSpec, StdioUpstreamSpec, UpstreamSpec } from '@fedmcp/transports';

/** How the hub treats one upstream. */
export interface UpstreamOptions {
  /**
   * Prefix of this upstream's tool and prompt names (`<prefix>__<name>`) and resource URIs
   * (`fedmcp://<prefix>/<uri>`); `false` exposes them unchanged (a collision with another upstream is
   * then a startup error naming both).
   * @default the upstream id
   */
  prefix?: string | false;
  /**
   * `'shared'`: all downstream sessions share this upstream's connections (idle sessions cost
   * nothing upstream). `'per-session'`: each 2025-era downstream session gets its own
   * connection, for servers that keep per-user state.
   * @default 'shared'
   */
  isolation?: 'shared' | 'per-session';
  /**
   * Most connections (stdio: processes) open at once to this upstream. Concurrent interactive
   * calls each lease one exclusively; extra connections are reaped when idle.
   * @default 4
   */
  maxConnections?: number;
  /** Per-call timeout, reset by progress. @default the hub's `timeoutMs` (60 000) */
  timeoutMs?: number;
  /** Behaviour when this upstream is down; overrides the hub's `failureMode`. */
  failureMode?: 'open' | 'closed';
  /**
   * Which of the upstream's tools to expose: globs over its own tool names (`*` any run, `?`
   * one character); deny wins. A filtered-out tool is absent from `tools/list` and a call to
   * it gets -32602 (unknown tool).
   * @default every tool
   * @example { allow: ['read_*', 'search'], deny: ['*_admin'] }
   */
  tools?: ToolFilter;
}

/** What the hub hands a connector for one upstream connection. */
export interface UpstreamConnectOptions {
  /** The client identity to announce. */
  clientInfo: Implementation;
  /** The capabilities to declare upstream (what the hub can forward). */
  capabilities: ClientCapabilities;
  /**
   * Registers the hub's request and notification handlers on the client. Call it after
   * constructing the client and before connecting it (an upstream may send `roots/list` right
   * after `initialize`).
   */
  configure(client: Client): void;
  /** Handshake timeout in milliseconds. */
  timeoutMs: number;
  logger: Logger;
  /**
   * Era verdicts learnt on first connects (keyed per upstream), so reconnects skip the probe.
   * A `Map` will do.
   */
  verdictCache: Map<string, unknown>;
}

/**
 * Opens one connected upstream client. The default handles remote specs (web-standard); the
 * `@fedmcp/federation/node` entry adds stdio. Inject your own to use another transport or, in
 * tests, an in-memory pair.
 */
export type UpstreamConnector = (
  spec: UpstreamSpec,
  options: UpstreamConnectOptions,
) => Promise<Client>;
