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
 *
 * Pages are also kept per audience ({@link ListAudience}): each aggregated item's
 * `io.fedmcp/origin` goes only to peer hubs (which use it to keep their own items from coming back
 * through a peer) and to in-process callers that ask for it (the admin API); other clients get the
 * items without it — about a quarter fewer bytes for small tools. The list without origins is
 * built once per list, so the audience is part of the pages' key.
 */
import { FedmcpError, ORIGIN_META_KEY } from '@fedmcp/protocol';
import type { McpModernFastSerializedResponse } from '@fedmcp/transports';
import type {
  ClientCapabilities,
  JSONRPCRequest,
  JSONRPCResponse,
  Server,
  Tool,
} from '@modelcontextprotocol/server';
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

/**
 * Who a list is for: `origins` — a peer hub, or an in-process caller that asked for them (the
 * admin API) — gets each item's `io.fedmcp/origin`; `clients` — everyone else — does not.
 */
export type ListAudience = 'origins' | 'clients';

/** The audience of a session's lists (see {@link ListAudience}). */
export function listAudience(principal: unknown, origins = false): ListAudience {
  const method = (principal as { authMethod?: unknown } | undefined)?.authMethod;
  return origins || method === 'peer' ? 'origins' : 'clients';
}

// Each list without its items' origins, built once per list (the list replaced by a rebuild or a
// new view takes it along); a list that has none is its own.
const withoutOrigins = new WeakMap<object, readonly unknown[]>();

function withoutOrigin(item: unknown): unknown {
  const meta = (item as { _meta?: Record<string, unknown> } | undefined)?._meta;
  if (!meta || !(ORIGIN_META_KEY in meta)) return item;
  const { [ORIGIN_META_KEY]: _origin, ...rest } = meta;
  const { _meta, ...fields } = item as Record<string, unknown>;
  return Object.keys(rest).length > 0 ? { ...fields, _meta: rest } : fields;
}

/** A list as its audience sees it. */
function forAudience(list: readonly unknown[], audience: ListAudience): readonly unknown[] {
  if (audience === 'origins') return list;
  let stripped = withoutOrigins.get(list);
  if (!stripped) {
    const items = list.map(withoutOrigin);
    stripped = items.every((item, index) => item === list[index]) ? list : items;
    withoutOrigins.set(list, stripped);
  }
  return stripped;
}

/** One `tools/list` page of a session, from the cached pages (the SDK handler and the fast paths). */
export function listToolsPage(
  scope: SessionScope,
  capabilities: ClientCapabilities,
  cursor: unknown,
  audience: ListAudience,
): Record<string, unknown> {
  return { ...sharedToolsPage(scope, capabilities, cursor, audience) };
}

/**
 * As {@link listToolsPage}, but the cached page itself: the same object for every request of this
 * page until its list is replaced (a catalog rebuild, a new view), so what is derived from it (the
 * 2026-07-28 fast path's serialised answer) is kept with it. Read it, never write it.
 * @throws {FedmcpError} `INVALID_PARAMS` for a cursor the hub did not issue.
 */
export function sharedToolsPage(
  scope: SessionScope,
  capabilities: ClientCapabilities,
  cursor: unknown,
  audience: ListAudience,
): Readonly<Record<string, unknown>> {
  const { services, session } = scope;
  // Tools behind tool search are not listed; the meta-tools that find them are.
  const visible = forAudience(services.search.listTools(session), audience);
  // A 2025-11-25 client that handles tasks may call any tool as one (hub-managed tasks).
  const tasks =
    session.era === 'legacy' && (capabilities as { tasks?: unknown }).tasks !== undefined;
  const capabilityBound = services.catalog.current.capabilityBound;
  const variant = toolsVariant(tasks, capabilityBound, capabilities);
  const { pageSize } = services.settings;
  return pages.shared(visible, variant, 'tools', 'tools', cursor, pageSize, () => {
    // Tools that need a client capability this caller lacks are left out.
    const usable = services.views.usableTools(visible as Tool[], capabilities);
    return tasks
      ? withTaskSupport(usable, services.catalog.current.tools.byName, capabilities)
      : usable;
  });
}

/**
 * The serialised 2025-era answers of the cached `tools/list` pages, keyed by the cached page
 * itself: a page replaced (its list changed upstream, a view's list rebuilt) takes its bytes with
 * it. Each holds the answer up to its id: `{"result":…,"jsonrpc":"2.0","id":`.
 */
const serializedPages = new WeakMap<object, Uint8Array>();
const encoder = new TextEncoder();

/**
 * A 2025-era session's `tools/list` on the fast path (fast-path.ts): the cached page the SDK
 * handler answers, sent by the host as one JSON answer, without the SDK server's dispatch and the
 * SSE stream it answers on (profiled in bench/gateway: with 1,000 tools, the SSE event's encoding
 * through a web stream came on top of the serialisation the direct server does too). The page is
 * serialised once, as the 2026-07-28 fast path does (modern-fast-path.ts): each request costs the
 * bytes of its id. Declines a request with a progress token (the SDK's to answer).
 */
export function fastListTools(
  scope: SessionScope,
  message: JSONRPCRequest,
): Promise<JSONRPCResponse | McpModernFastSerializedResponse> | undefined {
  const params = (message.params ?? {}) as {
    cursor?: unknown;
    _meta?: { progressToken?: unknown };
  };
  if (params._meta?.progressToken !== undefined) return undefined;
  const { session } = scope;
  const id = message.id;
  try {
    assertOpen(scope.services);
    const capabilities = session.server.getClientCapabilities() ?? {};
    const page = sharedToolsPage(
      scope,
      capabilities,
      params.cursor,
      listAudience(session.principal),
    );
    let prefix = serializedPages.get(page);
    if (prefix === undefined) {
      // In the SDK's key order (result, jsonrpc, id), as its transport would have sent it.
      const text = JSON.stringify({ result: page, jsonrpc: '2.0' });
      prefix = encoder.encode(`${text.slice(0, -1)},"id":`);
      serializedPages.set(page, prefix);
    }
    return Promise.resolve({ serialized: [prefix, encoder.encode(`${JSON.stringify(id)}}`)] });
  } catch (error) {
    const failure = FedmcpError.from(error);
    return Promise.resolve({
      jsonrpc: '2.0',
      id,
      error: failure.toJsonRpcError(),
    } as JSONRPCResponse);
  }
}

/** The prompts, resources or templates a session sees. */
function visibleItems(
  { services, session }: SessionScope,
  action: HubListAction,
  section: 'prompts' | 'resources' | 'templates',
): readonly unknown[] {
  return services.views.filtering
    ? services.views.items(session, action)
    : services.catalog.current[section].list;
}

/**
 * Registers the list handlers of a session; `origins`: an in-process caller asked for each item's
 * `io.fedmcp/origin` (peer hubs get it anyway).
 */
export function registerListHandlers(server: Server, scope: SessionScope, origins = false): void {
  const { services, session } = scope;
  const audience = listAudience(session.principal, origins);
  for (const { action, section, field } of LISTS) {
    setHubRequestHandler(server, action, (request, ctx) => {
      assertOpen(services);
      const cursor = request.params?.cursor;
      if (section === 'tools') {
        return listToolsPage(scope, clientCapabilities(ctx, session), cursor, audience);
      }
      const visible = forAudience(visibleItems(scope, action, section), audience);
      const { pageSize } = services.settings;
      return pages.page(visible, '', section, field, cursor, pageSize, () => visible as unknown[]);
    });
  }
}
