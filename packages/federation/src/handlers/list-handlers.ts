/**
 * `tools/list`, `prompts/list`, `resources/list` and `resources/templates/list`: answered from
 * the hub's merged catalog (as this caller may see it, when the access hook filters lists),
 * in pages with hub-issued cursors. No upstream is asked.
 */
import type { Server, Tool } from '@modelcontextprotocol/server';
import type { HubListAction } from '../hub-access.js';
import { paginate } from '../pagination.js';
import { assertOpen } from '../pipeline/resolve.js';
import { setHubRequestHandler } from '../sdk-seams.js';
import { withTaskSupport } from '../tasks/task-support.js';
import { clientCapabilities, type SessionScope } from './session-scope.js';

const LISTS: ReadonlyArray<{
  action: HubListAction;
  section: 'tools' | 'prompts' | 'resources' | 'templates';
  field: string;
}> = [
  { action: 'tools/list', section: 'tools', field: 'tools' },
  { action: 'prompts/list', section: 'prompts', field: 'prompts' },
  { action: 'resources/list', section: 'resources', field: 'resources' },
  { action: 'resources/templates/list', section: 'templates', field: 'resourceTemplates' },
];

/** Registers the list handlers of a session. */
export function registerListHandlers(server: Server, scope: SessionScope): void {
  const { services, session } = scope;
  for (const { action, section, field } of LISTS) {
    setHubRequestHandler(server, action, (request, ctx) => {
      assertOpen(services);
      // Tools behind tool search are not listed; the meta-tools that find them are.
      const visible =
        action === 'tools/list'
          ? services.search.listTools(session)
          : services.views.filtering
            ? services.views.items(session, action)
            : services.catalog.current[section].list;
      // Tools that need a client capability this caller lacks are left out.
      const capabilities = clientCapabilities(ctx, session);
      const usable =
        action === 'tools/list'
          ? services.views.usableTools(visible as Tool[], capabilities)
          : visible;
      // A 2025-11-25 client that handles tasks may call any tool as one (hub-managed tasks).
      const items =
        action === 'tools/list' && session.era === 'legacy'
          ? withTaskSupport(usable as Tool[], services.catalog.current.tools.byName, capabilities)
          : usable;
      const page = paginate(items, section, request.params?.cursor, services.settings.pageSize);
      return { [field]: page.items, ...(page.nextCursor ? { nextCursor: page.nextCursor } : {}) };
    });
  }
}
