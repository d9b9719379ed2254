/**
 * What `tools/list` tells a 2025-11-25 client about running a tool as a task
 * (`execution.taskSupport`): every catalog tool may be called task-augmented, because the hub runs
 * any call its upstream cannot run as a task itself (a hub-managed task), so the list says
 * `'optional'`, except where the upstream runs tasks itself and says otherwise (e.g. `'required'`,
 * kept: the client must then send `task`).
 */
import type { ClientCapabilities, Tool } from '@modelcontextprotocol/server';
import type { CatalogRoute } from '../catalog.js';

/** Whether the upstream behind a route runs task-augmented calls of this tool itself. */
export function upstreamRunsTask(route: CatalogRoute<Tool>): boolean {
  const support = route.item.execution?.taskSupport;
  return Boolean(
    route.upstream.serverCapabilities.tasks?.requests?.tools?.call &&
      support &&
      support !== 'forbidden',
  );
}

/**
 * The tools of a 2025-era list with their `execution.taskSupport` as this hub honours it, for a
 * client that declared the `tasks` capability (others get the tools as they are). Tools the
 * catalog does not route (the hub's meta-tools) are left as they are.
 */
export function withTaskSupport<T extends Tool>(
  tools: T[],
  routes: ReadonlyMap<string, CatalogRoute<Tool>>,
  capabilities: ClientCapabilities,
): T[] {
  if (!(capabilities as { tasks?: unknown }).tasks) return tools;
  return tools.map((tool) => {
    const route = routes.get(tool.name);
    if (!route || upstreamRunsTask(route)) return tool;
    return { ...tool, execution: { ...tool.execution, taskSupport: 'optional' } };
  });
}
