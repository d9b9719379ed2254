import type { Logger } from '@fedmcp/protocol';
import type { UpstreamSpec } from '@fedmcp/transports';
import type { Client, FetchLike } from '@modelcontextprotocol/client';
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
   * connection. `'per-principal'`: each authenticated caller (in either era, over all its
   * sessions) gets its own connection, opened with its own {@link UpstreamOptions.credentials},
   * asked its own roots, and closed when idle for the hub's `idleConnectionMs` — for servers
   * that keep per-user state or need per-user credentials.
   * @default 'shared'
   */
  isolation?: 'shared' | 'per-session' | 'per-principal';
  /**
   * With `isolation: 'per-principal'`: the caller's own credentials for its connection —
   * headers added to a remote upstream's requests, environment variables of a stdio upstream's
   * process. Called once per connection opened; a rejection refuses the caller's call with its
   * message (say what the caller or operator must do). The caller's own token is never among
   * them unless you put it there: never pass a client's token through.
   * @default none
   */
  credentials?: UpstreamCredentials;
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
  /**
   * `'all'`: this upstream's tools are listed in `tools/list`. `'search'`: they are not; sessions
   * get the hub's `find_tools` and `call_tool` meta-tools instead (tool search, for large
   * catalogs), and can still call a found tool directly by its name. A session's view may
   * override this (`CatalogViewOptions.exposure`).
   * @default 'all'
   */
  exposure?: 'all' | 'search';
  /**
   * Client capabilities some of this upstream's tools need, by the upstream's own tool name: a
   * client that lacks one does not see the tool in `tools/list` (as if the upstream had marked it
   * with the `io.fedmcp/requiresClientCapabilities` `_meta` hint, which the hub then adds). Values
   * are `ClientCapabilities` keys (`sampling`, `elicitation`, `roots`) or dotted paths
   * (`elicitation.url`).
   * @default none
   * @example { 'trigger-sampling-request': ['sampling'], 'get-roots-list': ['roots'] }
   */
  requiresClientCapabilities?: Record<string, string[]>;
}

/**
 * The credentials of one caller's connection (see {@link UpstreamOptions.credentials}). Give the
 * function a `key` that changes when what it returns would change: `hub.upstreams.sync` compares
 * it to tell whether a reloaded upstream must reconnect.
 */
export type UpstreamCredentials = ((
  principal: unknown,
  upstreamId: string,
) => Promise<{ headers?: Record<string, string>; env?: Record<string, string> }>) & {
  readonly key?: string;
};

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
  /**
   * The fetch of a remote upstream's HTTP requests (an OAuth connector wraps it to add the
   * holder's token: `createOAuthUpstreamConnector`).
   * @default globalThis.fetch
   */
  fetch?: FetchLike;
  /**
   * The caller whose own connection this is (`isolation: 'per-principal'`): a connector that
   * holds per-user credentials (per-user OAuth) picks that caller's. Absent on shared connections
   * (the primary, which lists the catalog, among them).
   * @default absent
   */
  caller?: { principal: unknown };
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
