/**
 * The open sessions of an MCP host, over all transports: the `maxSessions` budget (counting
 * sessions still being set up), activity tracking and the idle sweep.
 */
import type { Logger } from '@fedmcp/protocol';
import type { McpTransportKind } from '../mcp-session-context.js';

/** One open session. */
export interface HostSession {
  id: string;
  kind: McpTransportKind;
  /** Ends the session (closes its server and transport). */
  close(): Promise<void>;
}

interface SessionState extends HostSession {
  lastActivity: number;
  inFlight: number;
}

/** Options for {@link createHostSessionRegistry}. */
export interface HostSessionRegistryOptions {
  maxSessions: number;
  /** `0` disables the idle sweep. */
  idleTimeoutMs: number;
  logger: Logger;
}

/** The session table of a host. */
export interface HostSessionRegistry {
  readonly size: number;
  /** Reserves a place for a session being set up; `undefined` when the host is full. */
  reserve(): (() => void) | undefined;
  add(session: HostSession): void;
  /** Forgets a session (it closed itself); does not close it. */
  remove(id: string): void;
  /** Records activity; with `inFlight` ±1 tracks a request the idle sweep must wait for. */
  touch(id: string, inFlight?: 1 | -1): void;
  /** Closes and forgets every session, and stops the idle sweep. */
  closeAll(): Promise<void>;
}

/** Creates a host's session table. */
export function createHostSessionRegistry(
  options: HostSessionRegistryOptions,
): HostSessionRegistry {
  const { logger } = options;
  const sessions = new Map<string, SessionState>();
  let pending = 0;

  const sweep = () => {
    const now = Date.now();
    for (const session of sessions.values()) {
      if (session.inFlight > 0 || now - session.lastActivity <= options.idleTimeoutMs) continue;
      logger.info({ sessionId: session.id, transport: session.kind }, 'Closing idle MCP session');
      sessions.delete(session.id);
      session
        .close()
        .catch((error: unknown) => logger.warn({ err: error }, 'Closing a session failed'));
    }
  };
  const sweeper =
    options.idleTimeoutMs > 0
      ? setInterval(sweep, Math.max(100, Math.min(options.idleTimeoutMs / 2, 60_000)))
      : undefined;
  sweeper?.unref();

  return {
    get size() {
      return sessions.size;
    },
    reserve() {
      if (sessions.size + pending >= options.maxSessions) return undefined;
      pending += 1;
      let released = false;
      return () => {
        if (released) return;
        released = true;
        pending -= 1;
      };
    },
    add(session) {
      sessions.set(session.id, { ...session, lastActivity: Date.now(), inFlight: 0 });
      logger.debug({ sessionId: session.id, transport: session.kind }, 'MCP session opened');
    },
    remove(id) {
      if (sessions.delete(id)) logger.debug({ sessionId: id }, 'MCP session closed');
    },
    touch(id, inFlight) {
      const session = sessions.get(id);
      if (!session) return;
      session.lastActivity = Date.now();
      if (inFlight) session.inFlight += inFlight;
    },
    async closeAll() {
      if (sweeper) clearInterval(sweeper);
      const open = [...sessions.values()];
      sessions.clear();
      await Promise.allSettled(open.map((session) => session.close()));
    },
  };
}
