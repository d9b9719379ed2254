/**
 * Stage 1 of the pipeline — which upstream serves a request, and under which of its own names
 * or URIs: tools and prompts by exposed name (waiting for a catalog guard review of their lists,
 * refusing what it holds back, saying "unavailable" rather than "unknown" for a withdrawn tool of
 * a down upstream), resources by URI, completion references, and tasks by exposed id (only for
 * the session that created them). In `failureMode: 'closed'` nothing resolves while a
 * closed-mode upstream is down.
 */
import type { Prompt, Tool } from '@modelcontextprotocol/server';
import type { CatalogRoute } from '../catalog.js';
import { hubError } from '../errors.js';
import { NAME_SEPARATOR } from '../namespacing.js';
import type { HubCatalog } from '../services/hub-catalog.js';
import type { HubSession } from '../services/session-registry.js';
import type { TaskOwners } from '../services/task-owners.js';
import type { UpstreamSet } from '../services/upstream-set.js';
import type { Upstream } from '../upstream.js';

/** What resolving needs: the upstreams, the catalog and task ownership. */
export interface ResolveContext {
  readonly upstreams: UpstreamSet;
  readonly catalog: HubCatalog;
  readonly tasks: TaskOwners;
}

/** A resolved target: the upstream and its own name or URI for what the client named. */
export interface Target {
  upstream: Upstream;
  /** The upstream's own name, URI or task id. */
  name: string;
}

/** Refuses every request while a `failureMode: 'closed'` upstream is down. */
export function assertOpen(context: ResolveContext): void {
  context.upstreams.assertOpen();
}

async function settleReviewOf(
  context: ResolveContext,
  kind: 'tool' | 'prompt',
  name: string,
  signal: AbortSignal,
): Promise<void> {
  const reviews = context.catalog.reviews;
  if (!reviews?.inFlight) return; // the common case: nothing to wait for, no lookups
  const catalog = context.catalog.current;
  const section = kind === 'tool' ? catalog.tools : catalog.prompts;
  const upstream =
    section.byName.get(name)?.upstream ??
    catalog.quarantined.get(name)?.upstream ??
    context.upstreams.byNamePrefix(name, NAME_SEPARATOR);
  if (upstream && reviews.pending(upstream.id)) await reviews.settle(upstream.id, signal);
}

/** Refuses a tool or prompt a catalog guard holds back, naming the change. */
function assertNotQuarantined(
  context: ResolveContext,
  kind: 'tool' | 'prompt',
  name: string,
): void {
  const held = context.catalog.current.quarantined.get(name);
  if (!held || held.item.kind !== kind) return;
  throw hubError(
    'POLICY_DENIED',
    `The ${kind} ${name} is quarantined (${held.item.reason}) until an operator reviews it: \`fedmcp tools diff\`, then \`fedmcp tools approve ${held.upstream.id} ${held.item.name}${kind === 'prompt' ? ' --prompt' : ''}\`.`,
    {
      quarantined: true,
      upstream: held.upstream.id,
      reason: held.item.reason,
      ...(held.item.data ?? {}),
    },
  );
}

/**
 * The route of an exposed tool name.
 * @throws FedmcpError NOT_FOUND, POLICY_DENIED (quarantined), UPSTREAM_UNAVAILABLE.
 */
export async function resolveTool(
  context: ResolveContext,
  name: string,
  signal: AbortSignal,
): Promise<CatalogRoute<Tool>> {
  assertOpen(context);
  // A tool list under review: its verdict decides this call.
  await settleReviewOf(context, 'tool', name, signal);
  assertNotQuarantined(context, 'tool', name);
  const route = context.catalog.current.tools.byName.get(name);
  if (!route) {
    // A withdrawn tool of a down upstream: say so, rather than "unknown".
    const owner = context.upstreams.byNamePrefix(name, NAME_SEPARATOR);
    if (owner && !owner.available) throw owner.unavailable();
    throw hubError('NOT_FOUND', `Unknown tool: ${name}`, { name });
  }
  if (!route.upstream.available) throw route.upstream.unavailable();
  return route;
}

/** The exposed name `<namespace>__<name>` of a sibling `name` of an exposed tool. */
function siblingOf(tool: string, name: string): string | undefined {
  const cut = tool.lastIndexOf(NAME_SEPARATOR);
  return cut < 0 ? undefined : `${tool.slice(0, cut + NAME_SEPARATOR.length)}${name}`;
}

/**
 * MCP Apps: the exposed name of a tool that an app's view calls by its own server's bare name
 * (the view's code names `get-time`; the host relays its `tools/call` to the hub as written).
 * A name the catalog exposes is kept as it is; a bare name that exactly one app server's tools
 * have (beside a tool pointing at a `ui://` resource) becomes that tool's exposed name; when
 * several app servers have it, the app the session opened last (`lastApp`, its exposed `ui://`
 * URI) decides. Anything else is left for {@link resolveTool} to refuse.
 * @throws FedmcpError NOT_FOUND when several apps have the name and none was opened last.
 */
export function resolveAppToolName(
  context: ResolveContext,
  name: string,
  lastApp: string | undefined,
): string {
  const catalog = context.catalog.current;
  if (catalog.appTools.size === 0 || catalog.tools.byName.has(name)) return name;
  if (catalog.quarantined.has(name) || name.includes(NAME_SEPARATOR)) return name;
  const candidates = new Set<string>();
  for (const tools of catalog.appTools.values()) {
    for (const tool of tools) {
      const sibling = siblingOf(tool, name);
      if (sibling !== undefined && catalog.tools.byName.has(sibling)) candidates.add(sibling);
    }
  }
  if (candidates.size <= 1) return candidates.values().next().value ?? name;
  for (const tool of (lastApp && catalog.appTools.get(lastApp)) || []) {
    const sibling = siblingOf(tool, name);
    if (sibling !== undefined && candidates.has(sibling)) return sibling;
  }
  throw hubError(
    'NOT_FOUND',
    `Unknown tool: ${name}. Several apps have a tool of that name (${[...candidates].join(', ')}); call it by its exposed name, or open the app first.`,
    { name, candidates: [...candidates] },
  );
}

/** The route of an exposed prompt name. @throws FedmcpError NOT_FOUND, POLICY_DENIED. */
export async function resolvePrompt(
  context: ResolveContext,
  name: string,
  signal: AbortSignal,
): Promise<CatalogRoute<Prompt>> {
  assertOpen(context);
  await settleReviewOf(context, 'prompt', name, signal);
  assertNotQuarantined(context, 'prompt', name);
  const route = context.catalog.current.prompts.byName.get(name);
  if (!route) throw hubError('NOT_FOUND', `Unknown prompt: ${name}`);
  return route;
}

/** The upstream behind an exposed resource URI. @throws FedmcpError NOT_FOUND. */
export function resolveResource(context: ResolveContext, uri: string): Target {
  const { upstream, uri: original } = context.catalog.current.routeUri(
    uri,
    context.upstreams.list(),
  );
  return { upstream, name: original };
}

/** A `completion/complete` reference (`ref/prompt` or `ref/resource`) and its upstream form. */
export function resolveCompletionRef(
  context: ResolveContext,
  ref: { type: string; name?: string; uri?: string },
): Target & { ref: Record<string, unknown> } {
  const catalog = context.catalog.current;
  if (ref.type === 'ref/prompt') {
    const route = catalog.prompts.byName.get(ref.name ?? '');
    if (!route) throw hubError('NOT_FOUND', `Unknown prompt: ${ref.name}`);
    return { upstream: route.upstream, name: route.name, ref: { ...ref, name: route.name } };
  }
  const template = catalog.templates.byName.get(ref.uri ?? '');
  const routed = template
    ? { upstream: template.upstream, uri: template.name }
    : catalog.routeUri(ref.uri ?? '', context.upstreams.list());
  return { upstream: routed.upstream, name: routed.uri, ref: { ...ref, uri: routed.uri } };
}

/**
 * The upstream and upstream task id of an exposed task id. Another session's task is answered
 * as if it did not exist (MCP 2025-11-25 tasks are bound to their requestor).
 * @throws FedmcpError INVALID_PARAMS for an unknown task.
 */
export function resolveTask(context: ResolveContext, session: HubSession, taskId: unknown): Target {
  if (typeof taskId === 'string' && context.tasks.owns(taskId, session)) {
    for (const upstream of context.upstreams.list()) {
      const head = `${upstream.id}${NAME_SEPARATOR}`;
      if (taskId.startsWith(head)) return { upstream, name: taskId.slice(head.length) };
    }
  }
  throw hubError('INVALID_PARAMS', `Unknown task: ${String(taskId)}`);
}
