/**
 * `tools/list`, `prompts/list`, `resources/list` and `resources/templates/list`: answered from
 * the hub's merged catalog (as this caller may see it, when the access hook filters lists),
 * in pages with hub-issued cursors. No upstream is asked.
 *
 * Pages are built once and kept with the list they page (see {@link ListPages}): the catalog's own
 * list when nothing filters it — shared by every session and request until the catalog is rebuilt
 * (an upstream's `list_changed`, an upstream coming or going, a pin review) — or the session's
 * filtered view, which the session views rebuild when the catalog or the access decisions change
 * (a policy reload). A list that changed is a new array: its pages are built anew, and the old
 * ones go with the old array. So a listing costs a lookup, however many upstreams there are.
 */
import type { ClientCapabilities, Server, Tool } from '@modelcontextprotocol/server';
import type { HubListAction } from '../hub-access.js';
import { ListPages } from '../pagination.js';
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

// Keyed by the list arrays themselves (never by a session or a principal), so one hub's pages
// cannot answer another's, and a view's pages cannot answer another view.
const pages = new ListPages();

/**
 * What, besides the list and the cursor, decides a tools page: task support marked for a
 * 2025-era client that handles tasks, and — when some tools need client capabilities — the
 * capabilities the client declared.
 */
function toolsVariant(
  tasks: boolean,
  capabilityBound: boolean,
  capabilities: ClientCapabilities,
): string {
  return `${tasks ? 't' : '-'}${capabilityBound ? JSON.stringify(capabilities) : ''}`;
}

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
      const { pageSize } = services.settings;
      const cursor = request.params?.cursor;
      if (action !== 'tools/list') {
        return pages.page(visible, '', section, field, cursor, pageSize, () => visible);
      }
      const capabilities = clientCapabilities(ctx, session);
      // A 2025-11-25 client that handles tasks may call any tool as one (hub-managed tasks).
      const tasks =
        session.era === 'legacy' && (capabilities as { tasks?: unknown }).tasks !== undefined;
      const capabilityBound = services.catalog.current.capabilityBound;
      const variant = toolsVariant(tasks, capabilityBound, capabilities);
      return pages.page(visible, variant, section, field, cursor, pageSize, () => {
        // Tools that need a client capability this caller lacks are left out.
        const usable = services.views.usableTools(visible as Tool[], capabilities);
        return tasks
          ? withTaskSupport(usable, services.catalog.current.tools.byName, capabilities)
          : usable;
      });
    });
  }
}
