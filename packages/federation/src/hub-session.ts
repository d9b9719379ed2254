/**
 * The downstream face of the hub: an SDK v2 low-level `Server` per 2025-era session or per
 * 2026-07-28 request, whose handlers are registered here and nowhere else. Handlers are written
 * once in MRTR style: interactive upstream questions come back as `input_required`, which the
 * SDK's legacy shim turns into real pushes for 2025-era clients.
 */
import type { Server, ServerOptions } from '@modelcontextprotocol/server';
import { registerCompletionHandlers } from './handlers/completion-handlers.js';
import { registerListHandlers } from './handlers/list-handlers.js';
import { registerLoggingHandlers } from './handlers/logging-handlers.js';
import { registerPromptResourceHandlers } from './handlers/prompt-resource-handlers.js';
import { createSessionScope, type SessionScope } from './handlers/session-scope.js';
import { registerTaskHandlers } from './handlers/task-handlers.js';
import { registerToolHandlers } from './handlers/tool-handlers.js';
import { type HandlerInstaller, HubServer } from './sdk-seams.js';
import type { HubServices } from './services/hub-services.js';
import type { HubSession } from './services/session-registry.js';

export { ACCESS_INPUT_KEY } from './pipeline/gate.js';

/** What the transport host knows about the session a server is built for. */
export interface HubSessionContext {
  /** `'legacy'` (2025 era, one server per session) or `'modern'` (2026-07-28, per request). @default 'legacy' */
  era?: 'legacy' | 'modern';
  transport?: 'streamable-http' | 'sse' | 'websocket' | 'stdio' | 'in-memory';
  sessionId?: string;
  principal?: unknown;
  /**
   * The view (`HubOptions.views`) the session was opened on, e.g. from the path `/mcp/<view>`:
   * its lists, calls, reads and prompts are limited to that subset of the catalog.
   * @default the whole catalog
   */
  view?: string;
  /**
   * Lists carry each aggregated item's `io.fedmcp/origin` (an in-process caller such as the admin
   * API; peer hubs always get it, other clients never).
   * @default false
   */
  origins?: boolean;
}

/**
 * What every session's server advertises, built once: the SDK copies the top level per server
 * and shares the rest, so an idle session does not hold its own copy.
 */
const SESSION_CAPABILITIES = {
  tools: { listChanged: true },
  prompts: { listChanged: true },
  resources: { subscribe: true, listChanged: true },
  logging: {},
  completions: {},
  tasks: { list: {}, cancel: {}, requests: { tools: { call: {} } } },
  // The 2026-07-28 tasks extension (tasks/hub-task-calls.ts, forwarded-tasks.ts, task-listen.ts).
  extensions: { 'io.modelcontextprotocol/tasks': {} },
};

/**
 * The session handlers, by group: each group registers all of its methods at once, the first
 * time a message asks for one of them (see {@link SessionHandlers}). `methods` lists exactly what
 * `register` registers (hub-session.test.ts checks it).
 */
const HANDLER_GROUPS: ReadonlyArray<{
  methods: readonly string[];
  register(server: Server, scope: SessionScope, origins: boolean): void;
}> = [
  {
    methods: ['tools/list', 'prompts/list', 'resources/list', 'resources/templates/list'],
    register: registerListHandlers,
  },
  { methods: ['tools/call'], register: registerToolHandlers },
  {
    methods: ['prompts/get', 'resources/read', 'resources/subscribe', 'resources/unsubscribe'],
    register: registerPromptResourceHandlers,
  },
  { methods: ['completion/complete'], register: registerCompletionHandlers },
  {
    methods: ['logging/setLevel', 'notifications/roots/list_changed'],
    register: registerLoggingHandlers,
  },
  {
    methods: ['tasks/get', 'tasks/result', 'tasks/cancel', 'tasks/update', 'tasks/list'],
    register: registerTaskHandlers,
  },
];

const GROUP_OF = new Map(
  HANDLER_GROUPS.flatMap((group) => group.methods.map((method) => [method, group] as const)),
);
const SESSION_METHODS: ReadonlySet<string> = new Set(GROUP_OF.keys());

/**
 * Installs a session's handlers group by group on first use: an idle session (most of a busy
 * hub's sessions) holds none of their closures, and a 2026-07-28 request's server only those of
 * its method.
 */
class SessionHandlers implements HandlerInstaller {
  get methods(): ReadonlySet<string> {
    return SESSION_METHODS;
  }

  /** Set once the session exists (its server is built with this installer). */
  scope: SessionScope | undefined;

  constructor(private readonly origins: boolean) {}

  install(server: HubServer, method: string): void {
    if (this.scope) GROUP_OF.get(method)?.register(server, this.scope, this.origins);
  }
}

// The requestState option of a hub's servers, one per hub (not a closure per session).
const requestStates = new WeakMap<HubServices, NonNullable<ServerOptions['requestState']>>();

function requestStateOf(services: HubServices): NonNullable<ServerOptions['requestState']> {
  let option = requestStates.get(services);
  if (!option) {
    option = { verify: (state, ctx) => services.codec.verify(state, ctx) };
    requestStates.set(services, option);
  }
  return option;
}

/** Registers every session handler at once (what the lazy installation adds up to). */
export function registerSessionHandlers(
  server: Server,
  scope: SessionScope,
  origins = false,
): void {
  for (const group of HANDLER_GROUPS) group.register(server, scope, origins);
}

/** The methods the session handlers register. */
export const sessionMethods: ReadonlySet<string> = SESSION_METHODS;

/** Builds the downstream `Server` of one session over the hub's services. */
export function createHubSessionServer(
  services: HubServices,
  context: HubSessionContext = {},
): Server {
  const { settings, sessions } = services;
  services.catalogViews.resolve(context.view); // an unknown view: NOT_FOUND, before anything else
  const handlers = new SessionHandlers(context.origins === true);
  const server = new HubServer(
    settings.serverInfo,
    {
      capabilities: SESSION_CAPABILITIES,
      // Only the upstreams the caller may use through its view lend their instructions.
      instructions: services.instructions.for({ principal: context.principal, view: context.view }),
      inputRequired: { roundTimeoutMs: settings.roundTimeoutMs },
      requestState: requestStateOf(services),
    },
    handlers,
  );
  const era = context.era ?? 'legacy';
  const session: HubSession = {
    server,
    era,
    sessionId: context.sessionId,
    pinned:
      era === 'modern' && (context.transport === 'stdio' || context.transport === 'websocket'),
    principal: context.principal,
    ...(context.view !== undefined ? { view: context.view } : {}),
  };
  handlers.scope = createSessionScope(services, session);
  server.oninitialized = () => sessions.add(session);
  // On HTTP a 2026-07-28 server lives for one request; its flows outlive it (the retry comes on
  // a new one). On stdio and WebSocket it is pinned to the connection and joins at once.
  if (session.pinned) sessions.add(session);
  if (session.era === 'legacy' || session.pinned) {
    server.onclose = () => void sessions.remove(session);
  }
  return server;
}
