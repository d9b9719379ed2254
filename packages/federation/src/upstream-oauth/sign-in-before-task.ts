/**
 * In-call sign-in for task-augmented calls (`tools/call` with `task`, or a 2026-07-28 call the
 * hub answers with a task): the sign-in happens before the task is created. A task runs after
 * its `CreateTaskResult` went back, so a per-user upstream's `-32042` inside it could only fail
 * the task; instead the caller's own connection is opened first, and a caller who must sign in
 * gets the same URL elicitation round as a plain call (MCP 2025-11-25 client/elicitation: a URL
 * elicitation is answered before the request proceeds). The retry that answers it creates the
 * task, on the connection that now carries the caller's token.
 */
import type { ServerContext } from '@modelcontextprotocol/server';
import { upstreamError } from '../errors.js';
import { connectionOwner, type SessionScope } from '../handlers/session-scope.js';
import { resolveAppToolName, resolveTool } from '../pipeline/resolve.js';
import { wantsHubTask } from '../tasks/hub-task-calls.js';

type Params = Record<string, unknown>;

/**
 * Opens (or reuses) the caller's own connection of the upstream a task-augmented call goes to.
 * Does nothing for plain calls, shared upstreams, or a tool it cannot resolve (the call itself
 * says why).
 *
 * @throws the upstream's connect error — `-32042` with the sign-in URL when the caller must
 * sign in first — mapped as a call's would be.
 */
export async function signInBeforeTask(
  scope: SessionScope,
  params: Params,
  ctx: ServerContext,
): Promise<void> {
  if (params.task === undefined && !wantsHubTask(scope, params, ctx)) return;
  const signal = ctx.mcpReq.signal;
  // The name as callTool resolves it: an app's view calls its server's tools by bare names.
  const { services, session } = scope;
  const name = resolveAppToolName(services, String(params.name), services.views.lastApp(session));
  const route = await resolveTool(services, name, signal).catch(() => undefined);
  if (!route) return;
  const { upstream } = route;
  const owner = connectionOwner(scope, upstream);
  if (!owner || upstream.options.isolation !== 'per-principal') return;
  let connection: Awaited<ReturnType<typeof upstream.acquire>>;
  try {
    connection = await upstream.acquire(false, owner, signal);
  } catch (error) {
    throw upstreamError(error, upstream.id);
  }
  upstream.release(connection, false);
}
