/**
 * The live downstream sessions of a hub: 2025-era sessions (one per connection, from
 * `initialized` to close) and 2026-07-28 sessions pinned to a connection (stdio, WebSocket).
 * A 2026-07-28 HTTP request's session lives for that request only and is never registered.
 */
import type { Server } from '@modelcontextprotocol/server';
import { principalKey as principalKeyOf } from '../pipeline/meta.js';

/** One downstream session (2025 era: one per connection; 2026-07-28: one per request). */
export interface HubSession {
  readonly server: Server;
  readonly era: 'legacy' | 'modern';
  /** The transport's session id (2025-era Streamable HTTP, SSE), if any. */
  readonly sessionId: string | undefined;
  /**
   * A 2026-07-28 session pinned to one connection (stdio, WebSocket): the SDK's entry routes
   * this server's change notifications onto the connection's listen streams.
   */
  readonly pinned: boolean;
  /** The authenticated caller (`HubSessionContext.principal`). */
  readonly principal: unknown;
  /** The view the session was opened on (`HubSessionContext.view`); undefined = the whole catalog. */
  readonly view?: string | undefined;
}

/** Called when a session closes, to release what it held. */
export type SessionCloseHook = (session: HubSession) => void | Promise<void>;

/** The registry of live sessions; see the file comment. */
export class SessionRegistry {
  readonly #legacy = new Set<HubSession>();
  readonly #pinned = new Set<HubSession>();
  readonly #bySessionId = new Map<string, HubSession>();
  readonly #closed = new WeakSet<HubSession>();
  readonly #closeHooks: SessionCloseHook[] = [];

  /** Registers a session that has started (2025: initialized; 2026-07-28 pinned: at once). */
  add(session: HubSession): void {
    if (this.#closed.has(session)) return;
    if (session.era === 'legacy') {
      this.#legacy.add(session);
      if (session.sessionId !== undefined) this.#bySessionId.set(session.sessionId, session);
    } else if (session.pinned) {
      this.#pinned.add(session);
    }
  }

  /** Runs `hook` for every session that closes from now on. */
  onClose(hook: SessionCloseHook): void {
    this.#closeHooks.push(hook);
  }

  /** Marks a session closed, unregisters it and runs the close hooks (once). */
  async remove(session: HubSession): Promise<void> {
    if (this.#closed.has(session)) return;
    this.#closed.add(session);
    this.#legacy.delete(session);
    this.#pinned.delete(session);
    if (session.sessionId !== undefined && this.#bySessionId.get(session.sessionId) === session) {
      this.#bySessionId.delete(session.sessionId);
    }
    await Promise.allSettled(this.#closeHooks.map((hook) => hook(session)));
  }

  /** Whether a session has closed. */
  isClosed(session: HubSession): boolean {
    return this.#closed.has(session);
  }

  /** A live 2025-era session by its transport session id. */
  bySessionId(sessionId: string): HubSession | undefined {
    return this.#bySessionId.get(sessionId);
  }

  /** The newest live 2025-era session of a caller (by principal key), if any. */
  newestLegacyOf(principalKey: string): HubSession | undefined {
    let newest: HubSession | undefined;
    for (const session of this.#legacy) {
      if (principalKeyOf(session.principal) === principalKey) newest = session;
    }
    return newest;
  }

  /** Live 2025-era sessions. */
  legacy(): Iterable<HubSession> {
    return this.#legacy;
  }

  /** Live 2025-era sessions and pinned 2026-07-28 sessions: everyone a notification can reach. */
  reachable(): HubSession[] {
    return [...this.#legacy, ...this.#pinned];
  }

  /** Live pinned 2026-07-28 sessions. */
  pinned(): Iterable<HubSession> {
    return this.#pinned;
  }
}
