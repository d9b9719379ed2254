/**
 * Who owns each upstream task the hub created (MCP 2025-11-25 tasks are bound to their
 * requestor: only it can list, get, await or cancel them), by exposed task id.
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
