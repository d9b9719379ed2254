/**
 * The 2026-07-28 tasks extension (`io.modelcontextprotocol/tasks`): whether the client behind a
 * request declared it (per request, in its capabilities).
 */
import type { ServerContext } from '@modelcontextprotocol/server';
import { clientCapabilities, type SessionScope } from '../handlers/session-scope.js';

/** The 2026-07-28 tasks extension's identifier. */
export const TASKS_EXTENSION = 'io.modelcontextprotocol/tasks';

/** Whether the client behind a request declared the 2026-07-28 tasks extension. */
export function declaresTasksExtension(scope: SessionScope, ctx: ServerContext): boolean {
  const capabilities = clientCapabilities(ctx, scope.session) as {
    extensions?: Record<string, unknown>;
  };
  return Boolean(capabilities.extensions?.[TASKS_EXTENSION]);
}
