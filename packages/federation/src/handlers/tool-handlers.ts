/**
 * `tools/call`: resolve the tool (stage 1), its upstream `_meta` (2), the gate (3), then one of
 * three ways upstream (4): task-augmented (MCP 2025-11-25 tasks, on the caller's connection),
 * plain (a shared lease), or interactive (an exclusive lease driven as a flow); mapped (5) and
 * recorded (6). A retry answering a round's questions resumes its flow.
 */
import { CreateTaskResultSchema } from '@modelcontextprotocol/core';
import type { Result, Server, ServerContext, Tool } from '@modelcontextprotocol/server';
import type { CatalogRoute } from '../catalog.js';
import { callUpstream } from '../pipeline/call-upstream.js';
import { finishing } from '../pipeline/finish.js';
import type { GateRequest } from '../pipeline/gate.js';
import { ASK_STATE, gate } from '../pipeline/gate.js';
import { resumeInteractiveCall, startInteractiveCall } from '../pipeline/interactive-call.js';
import { mapCreatedTask, mapToolResult } from '../pipeline/map-result.js';
import {
  downstreamLogLevel,
  droppedClaims,
  federationMeta,
  principalKey,
  stripDownstreamMeta,
  withUpstreamLogLevel,
} from '../pipeline/meta.js';
import { createProgressRelay } from '../pipeline/progress-relay.js';
import { resolveAppToolName, resolveTool } from '../pipeline/resolve.js';
import { setHubRequestHandler } from '../sdk-seams.js';
import { callWithSessionTaskProgress } from '../tasks/forwarded-task-progress.js';
import { forwardsTask, startForwardedTask } from '../tasks/forwarded-tasks.js';
import { startHubTask, wantsHubTask } from '../tasks/hub-task-calls.js';
import { upstreamRunsTask } from '../tasks/task-support.js';
import { recordUpstreamTask } from '../tasks/upstream-task-replicas.js';
import { signInRounds } from '../upstream-oauth/sign-in-rounds.js';
import { withCallerCapabilities } from './caller-capabilities.js';
import { callMetaTool } from './search-handlers.js';
import {
  callerOf,
  clientCapabilities,
  connectionOwner,
  type SessionScope,
} from './session-scope.js';

type Params = Record<string, unknown>;

const ownerOf = (owner: object | undefined) => (owner ? { owner } : {});

/**
 * A tools/call as it goes upstream (the tool's own name, the downstream's progress token and
 * era keys out of `_meta`, this hub's federation `_meta` in) and as the access hook sees it.
 */
export function prepareToolCall(
  scope: SessionScope,
  requestParams: Params,
  route: CatalogRoute<Tool>,
) {
  const name = requestParams.name;
  const _meta = requestParams._meta;
  // A tool outside the session's view is unknown there (no work for a session without a view:
  // this runs on every call, the fast path included).
  if (scope.session.view !== undefined) {
    scope.services.catalogViews.assertAdmits(scope.session, 'tools', {
      upstream: route.upstream.id,
      name: name as string,
      ...(route.item.annotations ? { annotations: route.item.annotations as Params } : {}),
    });
  }
  // The client's own keys out once, for both the upstream's `_meta` and the dropped claims.
  const clientMeta = stripDownstreamMeta(_meta).meta;
  const meta = federationMeta(clientMeta, scope.federation);
  const tool = route.item;
  // Built key by key, not with a rest pattern and conditional spreads (this runs on every call;
  // the same keys, in the same order, as before).
  const params: Params = {};
  for (const key of Object.keys(requestParams)) {
    if (key !== 'name' && key !== '_meta') params[key] = requestParams[key];
  }
  const callArguments = params.arguments;
  params.name = route.name;
  if (meta) params._meta = meta;
  const access: GateRequest = {
    action: 'tools/call',
    target: name as string,
    upstream: route.upstream.id,
    upstreamTarget: route.name,
  };
  if (callArguments) access.arguments = callArguments as Params;
  if (tool.annotations) access.annotations = tool.annotations as Params;
  if (tool.title) access.title = tool.title;
  if (tool.description) access.description = tool.description;
  if (meta) access.meta = meta;
  const dropped = droppedClaims(clientMeta, scope.federation);
  if (dropped) access.droppedClaims = dropped;
  return { params, access };
}

/**
 * One `tools/call` of a session through the pipeline (see the file comment): what the
 * `tools/call` handler runs, and what a hub meta-tool that calls a tool by name runs too.
 */
export async function callTool(
  scope: SessionScope,
  requestParams: Params,
  ctx: ServerContext,
): Promise<Result> {
  const { services, session } = scope;
  // Who made the call, for interactive calls only (their flows answer to no one else).
  const owner = () => principalKey(session.principal);
  const logLevel = downstreamLogLevel(ctx, session.era, services.notifications.logLevelOf(session));
  const round = { services, session, logLevel };
  const state = ctx.mcpReq.requestState<string>();
  if (state !== undefined && !state.startsWith(ASK_STATE)) {
    return resumeInteractiveCall(round, state, owner(), ctx);
  }
  // An app's view calls its server's tools by their bare names.
  const name = String(requestParams.name);
  const exposed = resolveAppToolName(services, name, services.views.lastApp(session));
  const named = exposed === name ? requestParams : { ...requestParams, name: exposed };
  const route = await resolveTool(services, exposed, ctx.mcpReq.signal);
  const upstream = route.upstream;
  const prepared = prepareToolCall(scope, named, route);
  const params = withUpstreamLogLevel(upstream.era, prepared.params, logLevel);
  const signal = ctx.mcpReq.signal;
  const gated = await gate(services, prepared.access, callerOf(scope, ctx), ctx);
  if ('reply' in gated) return gated.reply;
  const { finish } = gated;

  // A 2026-07-28 client's call of a tool its upstream runs as a task: the upstream's task.
  if (forwardsTask(scope, route, exposed, upstreamRunsTask(route), ctx)) {
    const started = await startForwardedTask(scope, { route, params, finish }, ctx);
    // None: a 2026-07-28 upstream asked the client first; its rounds take the ordinary path.
    if (started) return started;
  }
  if (params.task !== undefined || wantsHubTask(scope, named, ctx)) {
    // MCP 2025-11-25 tasks: forward params.task only where the upstream and the tool allow it
    // (§6.5), on a 2025-era session; any other task-augmented call is a hub-managed task.
    const upstreamRunsTasks =
      params.task !== undefined &&
      (session.era === 'legacy' || session.pinned) &&
      upstreamRunsTask(route);
    if (!upstreamRunsTasks) {
      const lease = { interactive: false, ...ownerOf(connectionOwner(scope, upstream)) };
      return startHubTask(scope, { route, params, requestParams: named, finish, lease }, ctx);
    }
    // Issue #21: an isolating upstream runs the task on the caller's own connection (as a plain
    // call), and the requests about it go there too (tasks/forwarded-task-lease.ts).
    const taskOwner = connectionOwner(scope, upstream);
    return finishing(finish, async () => {
      // Its progress token stays valid for the task's life (tasks/forwarded-task-progress.ts).
      const created = await callWithSessionTaskProgress(scope, upstream, params, ctx, (sent, on) =>
        callUpstream({
          upstream,
          method: 'tools/call',
          params: sent,
          signal,
          resultSchema: CreateTaskResultSchema,
          onConnection: on,
          ...(taskOwner ? { lease: { interactive: false, owner: taskOwner } } : {}),
        }),
      );
      const result = mapCreatedTask(upstream, created);
      services.tasks.set(String((result.task as Params).taskId), session);
      // The session's next request may land on another replica: the task is in the store too.
      await recordUpstreamTask(scope, upstream, result, taskOwner);
      return result;
    });
  }

  const capabilities = clientCapabilities(ctx, session);
  // A 2026-07-28 upstream logs on the call's own stream, but one shared connection mixes every
  // caller's messages: a client that asked for logs leases a connection so they reach it alone.
  const wantsLogs =
    upstream.era === 'modern' &&
    (session.era === 'legacy' ? services.notifications.logLevelOf(session) : logLevel) !==
      undefined;
  const interactive = Boolean(
    capabilities.sampling || capabilities.elicitation || capabilities.roots || wantsLogs,
  );
  const leaseOwner = connectionOwner(scope, upstream);
  const lease = { interactive, ...(leaseOwner ? { owner: leaseOwner } : {}) };
  const call = { upstream, method: 'tools/call', params, signal, lease };
  if (interactive) {
    const map = (result: Result) => mapToolResult(upstream, result);
    return startInteractiveCall(round, owner(), call, { upstream, map, finish }, ctx);
  }
  return finishing(finish, async () => {
    const relay = createProgressRelay(ctx, stripDownstreamMeta(requestParams._meta).progressToken);
    const result = await callUpstream({
      ...call,
      // A next hub learns that no question can come back, and may take its fast path.
      params: withCallerCapabilities(upstream, route.item, params, capabilities),
      ...(relay.onprogress ? { onprogress: relay.onprogress } : {}),
    });
    await relay.flush();
    return mapToolResult(upstream, result);
  });
}

/** Registers `tools/call` for a session: the tool search meta-tools, else the pipeline. */
export function registerToolHandlers(server: Server, scope: SessionScope): void {
  setHubRequestHandler(
    server,
    'tools/call',
    signInRounds(scope, (request, ctx) => {
      const params = request.params ?? {};
      return callMetaTool(scope, params, ctx, callTool) ?? callTool(scope, params, ctx);
    }),
  );
}
