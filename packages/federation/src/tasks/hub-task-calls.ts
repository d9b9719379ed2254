/**
 * How a session's task-augmented `tools/call` becomes a hub-managed task (the upstream, or the
 * tool, knows nothing of tasks), how a task is run again after its hub died, and what the hub
 * does when a task changes: a status notification to the session that created it, and the signed
 * callback of a call that asked for one.
 */
import type { ClientCapabilities, Result, ServerContext, Tool } from '@modelcontextprotocol/server';
import type { CatalogRoute } from '../catalog.js';
import { hubError } from '../errors.js';
import { clientCapabilities, type SessionScope } from '../handlers/session-scope.js';
import { type Lease as ConnectionLease, callUpstream } from '../pipeline/call-upstream.js';
import { type Finish, finishing, startFinish } from '../pipeline/finish.js';
import { mapToolResult } from '../pipeline/map-result.js';
import { resolveTool } from '../pipeline/resolve.js';
import type { HubServices } from '../services/hub-services.js';
import { type HubTaskRecord, isTerminal, toDetailedTask, toTask } from './hub-task.js';
import { taskOwnerOf } from './hub-task-requests.js';
import type { TaskRun } from './task-engine.js';
import { resumedAccess, taskOrigin } from './task-recovery.js';
import { answersQuestions, interactiveTaskRun, questionCapabilities } from './task-run.js';
import { deliverWebhook } from './task-webhook.js';
import { declaresTasksExtension } from './tasks-extension.js';

type Params = Record<string, unknown>;

/** The `_meta` key in which a call names the URL its completion is POSTed to. */
export const CALLBACK_URL_META = 'io.fedmcp/callbackUrl';

/**
 * Whether the hub answers a 2026-07-28 call with a task: its client declared the tasks
 * extension and the tool is one of `HubTaskOptions.extensionTools`.
 */
export function wantsHubTask(scope: SessionScope, params: Params, ctx: ServerContext): boolean {
  if (scope.session.era !== 'modern') return false;
  const tools = scope.services.hubTasks.settings.extensionTools;
  if (tools.length === 0 || !declaresTasksExtension(scope, ctx)) return false;
  return tools.includes('*') || tools.includes(String(params.name));
}

/** A task-augmented call the upstream does not run as a task: what the hub runs instead. */
export interface HubTaskCall {
  route: CatalogRoute<Tool>;
  /** The tools/call params as they go upstream (without `task`). */
  params: Params;
  /** The client's own params (its `task`, its `_meta`). */
  requestParams: Params;
  finish: Finish;
  lease: ConnectionLease;
}

/**
 * Whether `url` lies under an allowed prefix: same origin (scheme, host, port — so
 * `https://hooks.example.com.evil.test` is not under `https://hooks.example.com`), a path below
 * the prefix's, and no credentials.
 */
function isUnder(url: URL, prefix: string): boolean {
  if (!URL.canParse(prefix)) return false;
  const allowed = new URL(prefix);
  return (
    url.origin === allowed.origin &&
    url.pathname.startsWith(allowed.pathname) &&
    url.username === '' &&
    url.password === ''
  );
}

/** The callback URL a call names, checked against the allowed prefixes. */
function callbackUrlOf(services: HubServices, requestParams: Params): string | undefined {
  const meta = requestParams._meta as Params | undefined;
  const url = meta?.[CALLBACK_URL_META];
  if (url === undefined) return undefined;
  const allowed = services.hubTasks.settings.callbacks?.allowedUrls ?? [];
  if (
    typeof url !== 'string' ||
    !URL.canParse(url) ||
    !allowed.some((prefix) => isUnder(new URL(url), prefix))
  ) {
    throw hubError(
      'INVALID_PARAMS',
      `_meta["${CALLBACK_URL_META}"] must be a URL under one of the hub's allowed callback prefixes (hub.tasks.callbacks.allowedUrls).`,
    );
  }
  return url;
}

/**
 * Creates a hub-managed task for a call and starts it: resolves with the `CreateTaskResult`
 * (2025-11-25 `{ task }`, or the 2026-07-28 extension's `resultType: 'task'`) once the task is
 * stored, before the call ends.
 */
export async function startHubTask(
  scope: SessionScope,
  call: HubTaskCall,
  ctx: ServerContext,
): Promise<Result> {
  const { services, session } = scope;
  const { route, requestParams } = call;
  const engine = services.hubTasks;
  const tool = String(requestParams.name);
  const { task, ...upstreamParams } = call.params;
  const ttl = (requestParams.task as { ttl?: unknown } | undefined)?.ttl;
  const capabilities = clientCapabilities(ctx, session);
  let record: HubTaskRecord;
  try {
    record = await engine.create(
      {
        owner: taskOwnerOf(session),
        tool,
        idempotent:
          route.item.annotations?.idempotentHint === true ||
          engine.settings.resumableTools.includes(tool),
        ...(requestParams.arguments ? { arguments: requestParams.arguments as Params } : {}),
        origin: taskOrigin(
          session.principal,
          upstreamParams._meta,
          questionCapabilities(capabilities),
        ),
        ...(typeof ttl === 'number' && ttl > 0 ? { ttlMs: ttl } : {}),
        ...optional('callbackUrl', callbackUrlOf(services, requestParams)),
      },
      (created, signal, onprogress) =>
        finishing(call.finish, async () => {
          const { upstream } = route;
          const upstreamCall = { upstream, method: 'tools/call', params: upstreamParams };
          const result = answersQuestions(capabilities)
            ? await interactiveTaskRun(
                services,
                session.principal,
                created.owner,
                { ...upstreamCall, lease: { ...call.lease, interactive: true } },
                capabilities,
              )(created, signal, onprogress)
            : await callUpstream({ ...upstreamCall, signal, lease: call.lease, onprogress });
          return mapToolResult(upstream, result);
        }),
    );
  } catch (error) {
    // Refused before it started (a limit, a bad callback URL): recorded as such.
    await call.finish({ ok: false, error });
    throw error;
  }
  // Its status notifications go to the session while it is open (a 2026-07-28 HTTP request's
  // server ends with the request: nothing to notify, and nothing to forget later).
  if (session.era === 'legacy' || session.pinned) services.tasks.set(record.taskId, session);
  if (session.era === 'modern' && declaresTasksExtension(scope, ctx)) {
    return { resultType: 'task', ...toDetailedTask(record) } as Result;
  }
  return { task: toTask(record) } as Result;
}

function optional<K extends string, V>(key: K, value: V | undefined): { [P in K]?: V } {
  return (value === undefined ? {} : { [key]: value }) as { [P in K]?: V };
}

/**
 * Runs a task again after its hub died (an idempotent tool): no session and no gate (it passed),
 * but the original call's hop trail and on-behalf-of go upstream again, and the run is audited
 * as the original caller's.
 */
export function resumeRunner(services: HubServices): TaskRun {
  return async (record, signal, onprogress) => {
    const route = await resolveTool(services, record.tool, signal);
    const meta = record.origin?.meta;
    const finish = startFinish(services.access, resumedAccess(record, route));
    const params = { name: route.name, arguments: record.arguments ?? {} };
    const call = {
      upstream: route.upstream,
      method: 'tools/call',
      params: { ...params, ...(meta ? { _meta: meta } : {}) },
    };
    // A client that could answer questions gets them again (through the task, as before).
    const capabilities = (record.origin?.capabilities ?? {}) as ClientCapabilities;
    const principal = record.origin?.principal;
    return finishing(finish, async () => {
      const result = answersQuestions(capabilities)
        ? await interactiveTaskRun(
            services,
            principal,
            record.owner,
            { ...call, lease: { interactive: true } },
            capabilities,
          )(record, signal, onprogress)
        : await callUpstream({ ...call, signal, lease: { interactive: false }, onprogress });
      return mapToolResult(route.upstream, result);
    });
  };
}

/** What the hub does when one of its tasks changes (see the file comment). */
export function onHubTaskChange(services: HubServices, record: HubTaskRecord): void {
  const session = services.tasks.sessionOf(record.taskId);
  if (session) {
    // MCP 2025-11-25 `notifications/tasks/status`; the 2026-07-28 extension's `notifications/tasks`.
    const notification =
      session.era === 'legacy'
        ? { method: 'notifications/tasks/status', params: toTask(record) }
        : { method: 'notifications/tasks', params: toDetailedTask(record) };
    session.server.notification(notification as never).catch(() => {});
  }
  const callbacks = services.hubTasks.settings.callbacks;
  if (record.callbackUrl && callbacks && isTerminal(record.status)) {
    void deliverWebhook({
      url: record.callbackUrl,
      secret: callbacks.secret,
      id: `msg_${record.taskId}`,
      payload: {
        type: `task.${record.status}`,
        timestamp: record.lastUpdatedAt,
        data: toDetailedTask(record),
      },
      fetch: services.hubTasks.settings.fetch,
      logger: services.logger,
    });
  }
}
