/**
 * The open downstream sessions of this hub (2025-era HTTP sessions, SSE, WebSocket, stdio), for
 * `GET /admin/v1/sessions` and closing one (`DELETE /admin/v1/sessions/{id}`).
 */
import type { HubSessionContext } from '@fedmcp/federation';

/**
 * What the tracker needs of a session's server (the SDK's `Server` has it). Structural, so the
 * published `@fedmcp/server/admin` types need no `@modelcontextprotocol/server`.
 */
export interface TrackableServer {
  onclose?: (() => void) | undefined;
  close(): Promise<void>;
}

/** One open session, as the admin API shows it. */
export interface TrackedSession {
  id: string;
  transport: string;
  era: 'legacy' | 'modern';
  /** The caller's subject (`anonymous` without credentials). */
  subject: string;
  view?: string;
  openedAt: string;
}

/** See {@link createSessionTracker}. */
export interface SessionTracker {
  /** Wraps a session's server as the HTTP or stdio host creates it; returns the same server. */
  track<S extends TrackableServer>(server: S, context: HubSessionContext): S;
  list(): TrackedSession[];
  /** Closes a session; `false` when none has that id. */
  close(id: string): Promise<boolean>;
}

function subjectOf(principal: unknown): string {
  const subject = (principal as { subject?: unknown } | undefined)?.subject;
  return typeof subject === 'string' ? subject : 'anonymous';
}

/** Tracks sessions from their creation to their close (per-request 2026 servers are not sessions). */
export function createSessionTracker(now: () => number = Date.now): SessionTracker {
  const open = new Map<string, { session: TrackedSession; server: TrackableServer }>();
  return {
    track(server, context) {
      const era = context.era ?? 'legacy';
      const pinned = context.transport === 'stdio' || context.transport === 'websocket';
      if (era === 'modern' && !pinned) return server;
      const id = context.sessionId ?? globalThis.crypto.randomUUID();
      const session: TrackedSession = {
        id,
        transport: context.transport ?? 'unknown',
        era,
        subject: subjectOf(context.principal),
        ...(context.view ? { view: context.view } : {}),
        openedAt: new Date(now()).toISOString(),
      };
      open.set(id, { session, server });
      const previous = server.onclose;
      server.onclose = () => {
        open.delete(id);
        previous?.();
      };
      return server;
    },
    list: () => [...open.values()].map(({ session }) => session),
    async close(id) {
      const entry = open.get(id);
      if (!entry) return false;
      open.delete(id);
      await entry.server.close();
      return true;
    },
  };
}
