/**
 * Which open session created each task the hub created: an upstream task (MCP 2025-11-25 tasks
 * are bound to their requestor: only it can list, get, await or cancel them) or a hub-managed one
 * (bound to its principal in the store; the session only gets its status notifications), by
 * exposed task id.
 */
import type { HubSession } from './session-registry.js';

/** Task ownership; see the file comment. */
export class TaskOwners {
  readonly #owners = new Map<string, HubSession>();

  /** Records that `session` created the task exposed as `taskId`. */
  set(taskId: string, session: HubSession): void {
    this.#owners.set(taskId, session);
  }

  /** Whether `session` owns the task exposed as `taskId`. */
  owns(taskId: string, session: HubSession): boolean {
    return this.#owners.get(taskId) === session;
  }

  /** The session that created the task exposed as `taskId`, while it is open. */
  sessionOf(taskId: string): HubSession | undefined {
    return this.#owners.get(taskId);
  }

  /** Whether `session` owns any task whose exposed id starts with `head`. */
  ownsAny(head: string, session: HubSession): boolean {
    for (const [taskId, owner] of this.#owners) {
      if (owner === session && taskId.startsWith(head)) return true;
    }
    return false;
  }

  /** Forgets the tasks of a closed session. */
  dropSession(session: HubSession): void {
    for (const [taskId, owner] of this.#owners) {
      if (owner === session) this.#owners.delete(taskId);
    }
  }
}
