/**
 * What an upstream needs from the hub that owns it (`UpstreamHost`), and the types of its
 * lifecycle and timings.
 */
import type { FedmcpError, Logger } from '@fedmcp/protocol';
import type { Client } from '@modelcontextprotocol/client';
import type { ServerRequestMethod } from './sdk-seams.js';
import type { Upstream } from './upstream.js';
import type { UpstreamConnection } from './upstream-connection.js';
import type {
  UpstreamConnectOptions,
  UpstreamConnector,
  UpstreamSpec,
} from './upstream-options.js';

/** The lifecycle state of an upstream. */
export type UpstreamState = 'connecting' | 'ready' | 'degraded' | 'down' | 'closed';

/** The kinds of catalog entries. */
export type CatalogKind = 'tools' | 'prompts' | 'resources' | 'templates';

/** Timing knobs shared by every upstream of a hub (see `HubOptions`). */
export interface UpstreamTimings {
  timeoutMs: number;
  connectTimeoutMs: number;
  healthIntervalMs: number;
  healthTimeoutMs: number;
  reconnectBaseMs: number;
  reconnectMaxMs: number;
  failureThreshold: number;
  idleConnectionMs: number;
}

/** What an upstream needs from the hub that owns it. */
export interface UpstreamHost {
  readonly logger: Logger;
  readonly timings: UpstreamTimings;
  readonly connector: UpstreamConnector;
  connectOptions(configure: (client: Client) => void): UpstreamConnectOptions;
  onStateChange(upstream: Upstream, previous: UpstreamState): void;
  onCatalogChange(upstream: Upstream): void;
  onNotification(
    upstream: Upstream,
    method: string,
    params: Record<string, unknown>,
    connection?: UpstreamConnection,
  ): void;
  /**
   * A server→client request (sampling, elicitation, roots) arrived on a connection: the hub
   * routes it to the call holding the connection, or to the session owning it, or refuses it.
   */
  onServerRequest(
    connection: UpstreamConnection,
    method: ServerRequestMethod,
    params: Record<string, unknown>,
  ): Promise<unknown>;
  /** A connection closed: whatever was running on it ends with `error`. */
  onConnectionClosed(connection: UpstreamConnection, error: FedmcpError): void;
  onReconnect(upstream: Upstream): void;
  /**
   * The spec of a connection owned by `owner` (per-session or per-principal isolation): the
   * upstream's spec, with a caller's own credentials added.
   */
  specFor(upstream: Upstream, owner: object): Promise<UpstreamSpec>;
  /** Whether an idle connection of `owner` is closed like an extra one (a caller's, not a session's). */
  reapsIdle(owner: object): boolean;
}
