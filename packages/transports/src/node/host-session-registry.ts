/**
 * The open sessions of an MCP host, over all transports: the `maxSessions` budget and the
 * per-principal quota (both counting sessions still being set up), activity tracking and the
 * idle sweep. Streamable HTTP, legacy SSE and WebSocket sessions count the same way.
 */
import type { Logger } from '@fedmcp/protocol';
import type { McpTransportKind } from '../mcp-session-context.js';

/** One open session. */
export interface HostSession {
  id: string;
  kind: McpTransportKind;
  /** The quota key the session counts against (from {@link HostSessionRegistry.reserve}). */
  quotaKey: string;
  /**
   * The session is a stream for as long as it is open (legacy SSE, WebSocket): the idle sweep
   * leaves it alone; its transport's keep-alive finds dead peers.
   */
  streaming?: boolean;
  /** Ends the session (closes its server and transport). */
  close(): Promise<void>;
}

/**
 * A session in the table: the route's own object, kept as it is (not copied: its methods, such as
 * `close`, may live on a prototype shared by all sessions of a route), and the table's counters.
 */
interface SessionState {
  session: Omit<HostSession, 'quotaKey'>;
  quotaKey: string;
  lastActivity: number;
  inFlight: number;
}

/** Options for {@link createHostSessionRegistry}. */
export interface HostSessionRegistryOptions {
  maxSessions: number;
  /** Sessions one quota key (a principal, or an address for anonymous clients) may hold. */
  maxSessionsPerPrincipal: number;
  /** `0` disables the idle sweep. */
  idleTimeoutMs: number;
  logger: Logger;
}

/** Why a session could not be reserved. */
export type SessionRefusal = 'full' | 'quota';

/** A place held for a session being set up. */
export interface SessionReservation {
  /**
   * Adds the session in the reserved place (it keeps counting against the same quota key). The
   * object is kept as given, not copied: a route may pass one object per session whose methods
   * live on a shared prototype.
   */
  commit(session: Omit<HostSession, 'quotaKey'>): void;
  /** Gives the place back; does nothing after {@link SessionReservation.commit}. */
  release(): void;
}

/** The session table of a host. */
export interface HostSessionRegistry {
  readonly size: number;
  /** Sessions refused so far, by reason. */
  readonly refused: Readonly<Record<SessionRefusal, number>>;
  /**
   * Reserves a place for a session being set up under `quotaKey` (commit it once the session is
   * open, release it when setting up failed), or says why there is no place.
   */
  reserve(quotaKey: string): SessionReservation | SessionRefusal;
  /** Forgets a session (it closed itself); does not close it. */
  remove(id: string): void;
  /**
   * Records activity; with `inFlight` ±1 tracks a request or an open stream that the idle sweep
   * must wait for.
   */
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
  // Sessions and reservations per quota key.
  const held = new Map<string, number>();
  const refused: Record<SessionRefusal, number> = { full: 0, quota: 0 };
  let pending = 0;
  let lastRefusalLog = 0;

  const count = (key: string, delta: 1 | -1) => {
    const next = (held.get(key) ?? 0) + delta;
    if (next <= 0) held.delete(key);
    else held.set(key, next);
  };
  const forget = (state: SessionState) => {
    sessions.delete(state.session.id);
    count(state.quotaKey, -1);
  };
  const refuse = (reason: SessionRefusal, quotaKey: string) => {
    refused[reason] += 1;
    // One line per second at most: a flood must not flood the log too.
    const now = Date.now();
    if (now - lastRefusalLog < 1_000) return reason;
    lastRefusalLog = now;
    logger.warn(
      {
        reason,
        quotaKey,
        sessions: sessions.size,
        maxSessions: options.maxSessions,
        maxSessionsPerPrincipal: options.maxSessionsPerPrincipal,
        refusedFull: refused.full,
        refusedQuota: refused.quota,
      },
      reason === 'full'
        ? 'New MCP session refused: the host is at maxSessions'
        : 'New MCP session refused: the principal is at maxSessionsPerPrincipal',
    );
    return reason;
  };

  // What a reservation does when it settles: one object for the registry, so a reservation (kept
  // by its session's setup for the session's life) holds two fields instead of its own closures.
  const settle: ReservationSettle = {
    commit(session, quotaKey) {
      pending -= 1;
      sessions.set(session.id, { session, quotaKey, lastActivity: Date.now(), inFlight: 0 });
      logger.debug({ sessionId: session.id, transport: session.kind }, 'MCP session opened');
    },
    release(quotaKey) {
      pending -= 1;
      count(quotaKey, -1);
    },
  };

  const sweep = () => {
    const now = Date.now();
    for (const state of sessions.values()) {
      const { session } = state;
      if (session.streaming || state.inFlight > 0) continue;
      if (now - state.lastActivity <= options.idleTimeoutMs) continue;
      logger.info({ sessionId: session.id, transport: session.kind }, 'Closing idle MCP session');
      forget(state);
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
    refused,
    reserve(quotaKey) {
      if (sessions.size + pending >= options.maxSessions) return refuse('full', quotaKey);
      if ((held.get(quotaKey) ?? 0) >= options.maxSessionsPerPrincipal) {
        return refuse('quota', quotaKey);
      }
      pending += 1;
      count(quotaKey, 1);
      return new Reservation(settle, quotaKey);
    },
    remove(id) {
      const state = sessions.get(id);
      if (!state) return;
      forget(state);
      logger.debug({ sessionId: id }, 'MCP session closed');
    },
    touch(id, inFlight) {
      const state = sessions.get(id);
      if (!state) return;
      state.lastActivity = Date.now();
      if (inFlight) state.inFlight = Math.max(0, state.inFlight + inFlight);
    },
    async closeAll() {
      if (sweeper) clearInterval(sweeper);
      const open = [...sessions.values()];
      sessions.clear();
      held.clear();
      await Promise.allSettled(open.map((state) => state.session.close()));
    },
  };
}

interface ReservationSettle {
  commit(session: Omit<HostSession, 'quotaKey'>, quotaKey: string): void;
  release(quotaKey: string): void;
}

/** A place held for a session being set up; see {@link SessionReservation}. */
class Reservation implements SessionReservation {
  private settled = false;

  constructor(
    private readonly settle: ReservationSettle,
    private readonly quotaKey: string,
  ) {}

  commit(session: Omit<HostSession, 'quotaKey'>): void {
    if (this.settled) return;
    this.settled = true;
    this.settle.commit(session, this.quotaKey);
  }

  release(): void {
    if (this.settled) return;
    this.settled = true;
    this.settle.release(this.quotaKey);
  }
}
