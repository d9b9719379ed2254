/**
 * The services of one hub, built once by `createHub` and shared by every session it serves:
 * each owns its state and exposes methods (see packages/federation/ARCHITECTURE.md).
 */
import { FedmcpError, type Logger } from '@fedmcp/protocol';
import { createMemoryStore } from '@fedmcp/store';
import {
  createRequestStateCodec,
  type Implementation,
  InMemoryServerEventBus,
  type RequestStateCodec,
  type RequestStateCodecOptions,
  type ServerEventBus,
} from '@modelcontextprotocol/server';
import type { CatalogGuard } from '../catalog-guard.js';
import type { CatalogViewOptions } from '../catalog-view.js';
import { createFlowForwarding, type FlowForwardingOptions } from '../cluster/flow-forwarding.js';
import { DiscoverCache } from '../discover/discover-cache.js';
import { SessionInstructions } from '../discover/session-instructions.js';
import type { HubAccess } from '../hub-access.js';
import { principalKey } from '../pipeline/meta.js';
import { followForwardedTask } from '../tasks/forwarded-task-follow.js';
import { forwardedTaskState } from '../tasks/forwarded-tasks.js';
import { type HubTaskOptions, taskSettings } from '../tasks/hub-task-options.js';
import { TaskEngine } from '../tasks/task-engine.js';
import { serveTaskListen, type TaskListenRequest } from '../tasks/task-listen.js';
import type { UpstreamTimings } from '../upstream.js';
import type { UpstreamSignIns } from '../upstream-oauth/sign-in-rounds.js';
import type { UpstreamConnector } from '../upstream-options.js';
import { AccessQuestions } from './access-questions.js';
import { CatalogViews } from './catalog-views.js';
import { FlowRegistry } from './flow-registry.js';
import { HubCatalog } from './hub-catalog.js';
import { NotificationRouter } from './notification-router.js';
import { PrincipalOwners } from './principal-owners.js';
import { SessionRegistry } from './session-registry.js';
import { SessionViews } from './session-views.js';
import { type ObservedListen, SubscriptionRouter } from './subscription-router.js';
import { TaskOwners } from './task-owners.js';
import { ToolSearch } from './tool-search.js';
import { UpstreamEvents } from './upstream-events.js';
import { UpstreamSet } from './upstream-set.js';

/** The settings of a hub, resolved from `HubOptions`. */
export interface HubSettings {
  serverInfo: Implementation;
  clientInfo: Implementation;
  instructions: string | undefined;
  /** The cap of the merged instructions (the hub's and its upstreams'), in characters. */
  maxInstructionsChars: number;
  timings: UpstreamTimings;
  roundTimeoutMs: number;
  pageSize: number;
  listChangedDebounceMs: number;
  failureMode: 'open' | 'closed';
  connector: UpstreamConnector;
  logger: Logger;
  bus: ServerEventBus | undefined;
  /** `HubOptions.requestStateKey`: one key, or the current key first and previous ones after. */
  requestStateKey: RequestStateKeys | undefined;
  /** Retries of flows another replica holds go to it (`HubOptions.flowForwarding`). */
  flowForwarding?: FlowForwardingOptions | undefined;
  access: HubAccess | undefined;
  guard: CatalogGuard | undefined;
  /** This hub's id in hop trails and origin paths; undefined = no federation `_meta`. */
  hubId: () => string | undefined;
  maxHops: number;
  /** Whether plain tools/calls may take the raw forwarding fast path. */
  fastPath: boolean;
  /** Named subsets of the catalog (`HubOptions.views`). */
  views: Record<string, CatalogViewOptions> | undefined;
  /** Hub-managed durable tasks (`HubOptions.tasks`). */
  tasks?: HubTaskOptions;
  /** The upstream connect verdicts and discover results (`HubOptions.discoverCache`). */
  discoverCache?: DiscoverCache;
  /** In-call sign-ins of per-user OAuth upstreams (`HubOptions.upstreamSignIns`). */
  signIns?: UpstreamSignIns;
}

/** The services of a hub; see the file comment. */
export interface HubServices {
  readonly settings: HubSettings;
  readonly logger: Logger;
  readonly upstreams: UpstreamSet;
  readonly events: UpstreamEvents;
  readonly catalog: HubCatalog;
  readonly sessions: SessionRegistry;
  readonly views: SessionViews;
  /** The merged instructions of the hub's initialize and server/discover answers, per view and caller. */
  readonly instructions: SessionInstructions;
  /** The hub's views: named subsets of the catalog a session may be opened on. */
  readonly catalogViews: CatalogViews;
  /** Tool search: the meta-tools' list entries and the search index. */
  readonly search: ToolSearch;
  readonly subscriptions: SubscriptionRouter;
  readonly notifications: NotificationRouter;
  readonly questions: AccessQuestions;
  readonly flows: FlowRegistry;
  readonly tasks: TaskOwners;
  /** Hub-managed durable tasks: run by the hub for tools whose upstream knows nothing of tasks. */
  readonly hubTasks: TaskEngine;
  /** The owners of callers' own connections (`isolation: 'per-principal'`). */
  readonly principals: PrincipalOwners;
  readonly codec: RequestStateCodec<string>;
  /** The change-event bus of 2026-07-28 listen streams (hosts report listens through it). */
  readonly bus: ServerEventBus;
  /** The access hook, if any. */
  readonly access: HubAccess | undefined;
  close(): Promise<void>;
}

function randomKey(): Uint8Array {
  const key = new Uint8Array(32);
  crypto.getRandomValues(key);
  return key;
}

/** A `requestState` key, or keys (the current one first, then previous ones that still open). */
export type RequestStateKeys = string | Uint8Array | readonly (string | Uint8Array)[];

/**
 * The `requestState` codec over several keys: mints with the first (current) one, verifies with
 * any, so rounds started before a key rotation still complete. A state no key opens is refused
 * with the reason of the key that signed it (e.g. `expired`), else the current key's (`mac`).
 */
function createRotatingCodec(
  keys: RequestStateKeys,
  options: Omit<RequestStateCodecOptions, 'key'>,
): RequestStateCodec<string> {
  const list = typeof keys === 'string' || keys instanceof Uint8Array ? [keys] : [...keys];
  const [current, ...previous] = list.map((key) =>
    createRequestStateCodec<string>({ ...options, key }),
  );
  if (!current) throw new RangeError('requestStateKey: at least one key is needed');
  if (previous.length === 0) return current;
  return {
    mint: (payload, ctx) => current.mint(payload, ctx),
    async verify(state, ctx) {
      let refusal: unknown;
      for (const codec of [current, ...previous]) {
        try {
          return await codec.verify(state, ctx);
        } catch (error) {
          // Another reason than the MAC (expired, bound elsewhere, malformed): this key's answer.
          if (!(error instanceof Error && error.message === 'mac')) throw error;
          refusal ??= error;
        }
      }
      throw refusal;
    },
  };
}

/** Builds the services of a hub. */
export function createHubServices(settings: HubSettings): HubServices {
  const { logger } = settings;
  const innerBus = settings.bus ?? new InMemoryServerEventBus();
  const upstreams = new UpstreamSet(settings.failureMode);
  const sessions = new SessionRegistry();
  const flows = new FlowRegistry(
    settings.flowForwarding
      ? { forwarding: createFlowForwarding({ logger, ...settings.flowForwarding }) }
      : {},
  );
  const tasks = new TaskOwners();
  const taskStore = settings.tasks?.store;
  const hubTasks = new TaskEngine(
    taskStore ?? createMemoryStore(),
    taskSettings(settings.tasks),
    logger,
  );
  let notifications: NotificationRouter | undefined;
  const catalog = new HubCatalog({
    upstreams,
    guard: settings.guard,
    logger,
    hubId: settings.hubId,
    onListsChanged: (kinds) => notifications?.listsChanged(kinds),
  });
  let subscriptions: SubscriptionRouter | undefined;
  // Hosts that see a listen stream open tell the hub through the bus (`observeListen`).
  const serverInfo = { ...settings.serverInfo };
  const bus = {
    publish: (event) => innerBus.publish(event),
    subscribe: (listener) => innerBus.subscribe(listener),
    observeListen: (listen: ObservedListen) => subscriptions!.observeListen(listen),
    // A listen that names task ids (the 2026 tasks extension) is served by the hub itself.
    serveListen: (request: TaskListenRequest) =>
      serveTaskListen(
        {
          engine: hubTasks,
          bus: innerBus,
          forwardedState: (taskId, owner, signal) =>
            forwardedTaskState(
              { upstreams: upstreams.list(), forwarded: hubTasks.forwarded },
              taskId,
              owner,
              signal,
            ),
          forwardedFollow: (taskId, owner, signal, onState, onNotification) =>
            followForwardedTask(
              { upstreams: upstreams.list(), forwarded: hubTasks.forwarded },
              taskId,
              owner,
              signal,
              onState,
              onNotification,
            ),
        },
        { serverInfo, ...request },
      ),
  } as ServerEventBus;
  subscriptions = new SubscriptionRouter(upstreams, () => catalog.current, sessions, bus, logger);
  const catalogViews = new CatalogViews(settings.views);
  const views = new SessionViews(catalog, settings.access, catalogViews);
  const search = new ToolSearch({ catalog, views, catalogViews });
  notifications = new NotificationRouter({
    sessions,
    views,
    flows,
    upstreams,
    bus,
    debounceMs: settings.listChangedDebounceMs,
  });
  const events = new UpstreamEvents({
    logger,
    timings: settings.timings,
    connector: settings.connector,
    clientInfo: settings.clientInfo,
    catalog,
    sessions,
    flows,
    notifications,
    subscriptions,
    discoverCache: settings.discoverCache ?? new DiscoverCache(),
  });
  const questions = new AccessQuestions({
    ttlMs: settings.roundTimeoutMs,
    callerOf: (request) => principalKey(request.principal),
  });
  const codec = createRotatingCodec(settings.requestStateKey ?? randomKey(), {
    ttlSeconds: Math.ceil(settings.roundTimeoutMs / 1000),
    bind: (ctx) => ctx.mcpReq.method,
  });
  const router = subscriptions;
  const notifier = notifications;
  sessions.onClose(async (session) => {
    tasks.dropSession(session);
    notifier.dropSession(session);
    flows.cancelSession(session, new FedmcpError('CANCELED', 'The client session closed.'));
    await Promise.allSettled([
      router.dropSession(session),
      ...upstreams
        .list()
        .filter((upstream) => upstream.options.isolation === 'per-session')
        .map((upstream) => upstream.releaseOwner(session)),
    ]);
  });
  return {
    settings,
    logger,
    upstreams,
    events,
    catalog,
    sessions,
    views,
    instructions: new SessionInstructions(settings, views, () => upstreams.list()),
    catalogViews,
    search,
    subscriptions: router,
    notifications: notifier,
    questions,
    flows,
    tasks,
    hubTasks,
    principals: new PrincipalOwners(),
    codec,
    bus,
    access: settings.access,
    async close() {
      catalog.close();
      await hubTasks.close();
      // A private memory store is the hub's own; a given store belongs to the caller.
      if (!taskStore) await hubTasks.closeStore();
      questions.close();
      notifier.close();
      await flows.close(new FedmcpError('CANCELED', 'The hub is shutting down.'));
      await Promise.allSettled(upstreams.list().map((upstream) => upstream.close()));
    },
  };
}
