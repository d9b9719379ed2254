/**
 * `notifications/tasks` on 2026-07-28 `subscriptions/listen` streams (the tasks extension
 * `io.modelcontextprotocol/tasks`): a listen request whose filter names `taskIds` is served here,
 * not by the SDK's listen router (SDK 2.4.0 strips `taskIds` from the filter and only relays the
 * four change-event kinds of its bus). The stream is the SDK's in shape: the acknowledgement
 * (with the honoured `taskIds`), then each followed task's `DetailedTask` as it is now and after
 * each status change (made by any hub on the same store), the change events the filter asks for
 * from the hub's bus, keep-alive comments, and a graceful close once every followed task is
 * terminal and nothing else is followed. A task id the caller does not own is never followed:
 * it is left out of the acknowledgement, like an unknown one. A task forwarded to its upstream
 * (tasks/forwarded-tasks.ts) is followed by polling the upstream at the task's poll interval.
 */
import {
  SERVER_INFO_META_KEY,
  type ServerEvent,
  type ServerEventBus,
  SUBSCRIPTION_ID_META_KEY,
} from '@modelcontextprotocol/server';
import { principalKey } from '../pipeline/meta.js';
import { type HubTaskRecord, isHubTaskId, isTerminal, toDetailedTask } from './hub-task.js';
import type { TaskEngine } from './task-engine.js';
import { TASKS_EXTENSION } from './tasks-extension.js';

type Params = Record<string, unknown>;

/** The most task ids one listen stream may follow. */
export const MAX_LISTEN_TASK_IDS = 100;

/** The most listen streams of tasks one hub serves at once (the SDK's own listen router: 1024). */
export const MAX_TASK_LISTENS = 1024;

/** Open listen streams of tasks, per hub (its engine). */
const openListens = new WeakMap<TaskEngine, number>();

/** A `subscriptions/listen` request a host hands to the hub (see `McpListenRequest`). */
export interface TaskListenRequest {
  /** The JSON-RPC request as it arrived. */
  message: unknown;
  /** What the host's authentication returned (the tasks' owner must match it). */
  principal: unknown;
  /** Aborts when the client goes away. */
  signal: AbortSignal;
  /** Keep-alive comment interval, in ms. @default 15_000 */
  keepAliveMs?: number;
  /** The hub's `serverInfo`, stamped on the graceful close. */
  serverInfo?: Params;
}

/** What a listen stream of tasks needs of the hub. */
export interface TaskListenDeps {
  engine: TaskEngine;
  /** The hub's change-event bus (list changes, resource updates). */
  bus: ServerEventBus;
  /**
   * The state of a task forwarded to an upstream (tasks/forwarded-tasks.ts) as the extension's
   * `DetailedTask`, if `owner` owns it; read by polling (the upstream pushes nothing the hub could
   * relay), every `pollIntervalMs` of the task (at least {@link MIN_FORWARDED_POLL_MS}).
   */
  forwardedState?: (
    taskId: string,
    owner: string,
    signal: AbortSignal,
  ) => Promise<Params | undefined>;
  /**
   * Follows a forwarded task on its upstream's own listen stream (tasks/forwarded-task-follow.ts),
   * calling `onState` with each state; resolves `false` when the upstream cannot be followed that
   * way (then the task is polled).
   */
  forwardedFollow?: (
    taskId: string,
    owner: string,
    signal: AbortSignal,
    onState: (state: Params) => void,
    onNotification: (method: string, params: Params) => void,
  ) => Promise<boolean>;
}

/** The shortest interval at which a listen stream polls an upstream for a forwarded task. */
export const MIN_FORWARDED_POLL_MS = 250;

/** The change kinds of a filter, as the hub honours them (it declares all four). */
interface ChangeFilter {
  toolsListChanged?: true;
  promptsListChanged?: true;
  resourcesListChanged?: true;
  resourceSubscriptions?: string[];
}

/** Who owns the tasks a 2026-07-28 request of `principal` creates (as `taskOwnerOf` says). */
function ownerOfPrincipal(principal: unknown): string {
  return principal !== undefined && principal !== null
    ? principalKey(principal)
    : 'anonymous-request';
}

function jsonRpcError(id: unknown, code: number, message: string, data?: unknown): Response {
  // As the SDK's listen router answers a refused listen: a JSON-RPC error over HTTP 200.
  const error = { code, message, ...(data === undefined ? {} : { data }) };
  return Response.json({ jsonrpc: '2.0', id: id ?? null, error }, { status: 200 });
}

function changeFilterOf(filter: Params): ChangeFilter {
  const honored: ChangeFilter = {};
  if (filter.toolsListChanged === true) honored.toolsListChanged = true;
  if (filter.promptsListChanged === true) honored.promptsListChanged = true;
  if (filter.resourcesListChanged === true) honored.resourcesListChanged = true;
  const uris = filter.resourceSubscriptions;
  if (Array.isArray(uris) && uris.length > 0 && uris.every((uri) => typeof uri === 'string')) {
    honored.resourceSubscriptions = [...uris];
  }
  return honored;
}

function accepts(filter: ChangeFilter, event: ServerEvent): boolean {
  switch (event.kind) {
    case 'tools_list_changed':
      return filter.toolsListChanged === true;
    case 'prompts_list_changed':
      return filter.promptsListChanged === true;
    case 'resources_list_changed':
      return filter.resourcesListChanged === true;
    case 'resource_updated':
      return filter.resourceSubscriptions?.includes(event.uri) === true;
    default:
      return false;
  }
}

function notificationOf(event: ServerEvent): { method: string; params: Params } {
  const params = (event.params ?? {}) as Params;
  switch (event.kind) {
    case 'tools_list_changed':
      return { method: 'notifications/tools/list_changed', params };
    case 'prompts_list_changed':
      return { method: 'notifications/prompts/list_changed', params };
    case 'resources_list_changed':
      return { method: 'notifications/resources/list_changed', params };
    default:
      return { method: 'notifications/resources/updated', params: { ...params, uri: event.uri } };
  }
}

/**
 * Serves a `subscriptions/listen` request that names `taskIds`, or resolves `undefined` for any
 * other (the SDK serves it). Refusals are JSON-RPC errors: -32021 for a client that did not
 * declare the tasks extension on the request (the extension's rule), -32602 for a bad `taskIds`.
 */
export async function serveTaskListen(
  deps: TaskListenDeps,
  request: TaskListenRequest,
): Promise<Response | undefined> {
  const message = request.message as { id?: unknown; params?: Params } | null;
  const params = message?.params;
  const filter = params?.notifications as Params | undefined;
  if (typeof filter !== 'object' || filter === null || !('taskIds' in filter)) return undefined;
  const id = message?.id;
  const envelope = (params?._meta as Params | undefined)?.[
    'io.modelcontextprotocol/clientCapabilities'
  ] as { extensions?: Params } | undefined;
  if (!envelope?.extensions?.[TASKS_EXTENSION]) {
    return jsonRpcError(id, -32021, 'Missing required client capability', {
      requiredCapabilities: { extensions: { [TASKS_EXTENSION]: {} } },
    });
  }
  const requested = filter.taskIds;
  if (
    !Array.isArray(requested) ||
    !requested.every((taskId) => typeof taskId === 'string') ||
    requested.length > MAX_LISTEN_TASK_IDS
  ) {
    return jsonRpcError(
      id,
      -32602,
      `Invalid params: notifications.taskIds must be an array of at most ${MAX_LISTEN_TASK_IDS} task ids (strings).`,
    );
  }
  const { engine, bus } = deps;
  const open = openListens.get(engine) ?? 0;
  if (open >= MAX_TASK_LISTENS) {
    return jsonRpcError(id, -32603, 'Subscription limit reached; close a listen stream and retry.');
  }
  const owner = ownerOfPrincipal(request.principal);
  // Only the caller's own hub-managed tasks; another principal's is unknown here, as in tasks/get.
  const followed = new Map<string, HubTaskRecord>();
  const forwarded = new Map<string, Params>();
  for (const taskId of new Set(requested as string[])) {
    if (isHubTaskId(taskId)) {
      const record = await engine.records.get(taskId);
      if (record && record.owner === owner) followed.set(taskId, record);
      continue;
    }
    const state = await deps.forwardedState?.(taskId, owner, request.signal).catch(() => undefined);
    if (state) forwarded.set(taskId, state);
  }
  const changes = changeFilterOf(filter);
  const honored = { ...changes, taskIds: [...followed.keys(), ...forwarded.keys()] };
  const subscriptionId = id;
  const stamp = (notification: { method: string; params: Params }) => ({
    jsonrpc: '2.0',
    method: notification.method,
    params: {
      ...notification.params,
      _meta: {
        ...(notification.params._meta as Params | undefined),
        [SUBSCRIPTION_ID_META_KEY]: subscriptionId,
      },
    },
  });
  const encoder = new TextEncoder();
  const stops: Array<() => void> = [];
  let closed = false;
  let stream: ReadableStreamDefaultController<Uint8Array> | undefined;
  const write = (frame: string) => {
    if (closed || !stream) return;
    try {
      stream.enqueue(encoder.encode(frame));
    } catch {
      // The reader is gone: its cancel tears the stream down.
    }
  };
  const send = (payload: unknown) => write(`event: message\ndata: ${JSON.stringify(payload)}\n\n`);
  let counted = false;
  const teardown = (graceful: boolean) => {
    if (closed) return;
    if (counted) openListens.set(engine, (openListens.get(engine) ?? 1) - 1);
    if (graceful) {
      // The spec's graceful close: the listen request's (empty) result.
      const meta = {
        [SUBSCRIPTION_ID_META_KEY]: subscriptionId,
        ...(request.serverInfo ? { [SERVER_INFO_META_KEY]: request.serverInfo } : {}),
      };
      send({ jsonrpc: '2.0', id: subscriptionId, result: { resultType: 'complete', _meta: meta } });
    }
    closed = true;
    for (const stop of stops.splice(0)) stop();
    try {
      stream?.close();
    } catch {
      // Already closed by its reader.
    }
  };
  const pending = new Set<string>();
  for (const record of followed.values()) {
    if (!isTerminal(record.status)) pending.add(record.taskId);
  }
  for (const [taskId, state] of forwarded) {
    if (!isTerminal(state.status as HubTaskRecord['status'])) pending.add(taskId);
  }
  const followsChanges = Object.keys(changes).length > 0;
  const lastSent = new Map<string, { status: string; lastUpdatedAt: string }>();
  /** Sends a task's `DetailedTask` once per state, never an older state after a newer one. */
  const sendDetailed = (detailed: Params) => {
    const taskId = String(detailed.taskId);
    const status = String(detailed.status) as HubTaskRecord['status'];
    const lastUpdatedAt = String(detailed.lastUpdatedAt);
    // A change may be seen twice (this hub's own, and again through the store), and a read may
    // resolve after a newer one.
    const last = lastSent.get(taskId);
    if (
      closed ||
      (last &&
        (isTerminal(last.status as HubTaskRecord['status']) ||
          lastUpdatedAt < last.lastUpdatedAt ||
          (lastUpdatedAt === last.lastUpdatedAt && status === last.status)))
    ) {
      return;
    }
    lastSent.set(taskId, { status, lastUpdatedAt });
    send(stamp({ method: 'notifications/tasks', params: detailed }));
    if (isTerminal(status)) pending.delete(taskId);
    if (pending.size === 0 && !followsChanges) teardown(true);
  };
  const sendTask = (record: HubTaskRecord) => {
    if (record.owner === owner) sendDetailed(toDetailedTask(record));
  };
  /** Polls the upstream of a forwarded task until it is terminal or the stream ends. */
  const pollForwarded = (taskId: string, state: Params) => {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const next = (current: Params) => {
      if (closed || isTerminal(current.status as HubTaskRecord['status'])) return;
      const interval = Number(current.pollIntervalMs);
      timer = setTimeout(
        async () => {
          const latest = await deps
            .forwardedState?.(taskId, owner, request.signal)
            .catch(() => undefined);
          if (!latest) return; // gone upstream (expired): nothing more to tell
          sendDetailed({ ...latest, taskId });
          next(latest);
        },
        Math.max(MIN_FORWARDED_POLL_MS, Number.isFinite(interval) ? interval : 1000),
      );
    };
    stops.push(() => clearTimeout(timer));
    sendDetailed({ ...state, taskId });
    next(state);
  };

  /** Follows a forwarded task on its upstream's listen stream when it can, else polls it. */
  const followForwarded = (taskId: string, state: Params) => {
    const follow = deps.forwardedFollow;
    if (!follow) return pollForwarded(taskId, state);
    sendDetailed({ ...state, taskId });
    const poll = () => {
      if (!closed) pollForwarded(taskId, state);
    };
    const relay = (method: string, params: Params) => {
      if (!closed) send(stamp({ method, params }));
    };
    void follow(
      taskId,
      owner,
      request.signal,
      (latest) => sendDetailed({ ...latest, taskId }),
      relay,
    )
      .then((done) => done || poll())
      .catch(poll);
  };

  const body = new ReadableStream<Uint8Array>({
    start(controller) {
      stream = controller;
      counted = true;
      openListens.set(engine, (openListens.get(engine) ?? 0) + 1);
      send(
        stamp({
          method: 'notifications/subscriptions/acknowledged',
          params: { notifications: honored },
        }),
      );
      if (pending.size === 0 && !followsChanges) {
        // Nothing to follow, or only tasks already done: their state, then the graceful close.
        for (const record of followed.values()) {
          send(stamp({ method: 'notifications/tasks', params: toDetailedTask(record) }));
        }
        for (const [taskId, state] of forwarded) {
          send(stamp({ method: 'notifications/tasks', params: { ...state, taskId } }));
        }
        teardown(true);
        return;
      }
      for (const taskId of followed.keys()) {
        stops.push(engine.watch(taskId, sendTask));
      }
      if (followsChanges) {
        stops.push(
          bus.subscribe((event) => {
            if (!closed && accepts(changes, event)) send(stamp(notificationOf(event)));
          }),
        );
      }
      const keepAlive = setInterval(() => write(': keepalive\n\n'), request.keepAliveMs ?? 15_000);
      stops.push(() => clearInterval(keepAlive));
      const onAbort = () => teardown(false);
      const onClosing = () => teardown(true);
      request.signal.addEventListener('abort', onAbort, { once: true });
      engine.closing.addEventListener('abort', onClosing, { once: true });
      stops.push(() => {
        request.signal.removeEventListener('abort', onAbort);
        engine.closing.removeEventListener('abort', onClosing);
      });
      if (request.signal.aborted || engine.closing.aborted) {
        teardown(!request.signal.aborted);
        return;
      }
      for (const [taskId, state] of forwarded) followForwarded(taskId, state);
      // Each task as it is now (it may have changed since the client learnt its id), read again
      // after the watch is in place so no change falls between the two.
      void (async () => {
        for (const taskId of followed.keys()) {
          const record = (await engine.records.get(taskId).catch(() => undefined)) ?? undefined;
          if (record) sendTask(record);
        }
      })();
    },
    cancel() {
      teardown(false);
    },
  });
  return new Response(body, {
    status: 200,
    headers: {
      'content-type': 'text/event-stream',
      'cache-control': 'no-cache, no-transform',
      connection: 'keep-alive',
      'x-accel-buffering': 'no',
    },
  });
}
