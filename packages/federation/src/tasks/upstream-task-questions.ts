/**
 * Questions of a 2025-era session's own upstream task (issue #14). An MCP 2025-11-25 upstream
 * task that needs its client (`input_required`) sends its elicitation / sampling / roots requests
 * on the stream of a `tasks/result` request, marked with the related task
 * (`_meta["io.modelcontextprotocol/related-task"]`). While the hub's `tasks/result` for the task
 * runs upstream, the questions marked with its task on that connection are routed to it
 * (tasks/forwarded-task-questions.ts, `HeldTasks.route`) and sent to the client on the client's
 * own `tasks/result` stream, marked with the task id the client knows; the client's answers go
 * back upstream. When the client's `tasks/result` landed on another replica than the one holding
 * the task's upstream session, the questions travel to that replica and the answers back over the
 * forwarded task relay (tasks/forwarded-task-relay.ts).
 *
 * A question the client declared no capability for is answered as the hub answers it elsewhere:
 * `roots/list` with no roots, sampling / elicitation with the spec's -32602.
 */
import type { ClientCapabilities, ServerContext } from '@modelcontextprotocol/server';
import { hubError } from '../errors.js';
import type { InteractiveMethod } from '../flow.js';
import { supportsElicitationMode } from '../flow.js';
import type { Lease } from '../pipeline/call-upstream.js';
import type { UpstreamConnection } from '../upstream-connection.js';
import { type HeldTasks, missing } from './forwarded-task-questions.js';
import type { RelayedAsk } from './forwarded-task-relay.js';

type Params = Record<string, unknown>;

const RELATED_TASK = 'io.modelcontextprotocol/related-task';
const INTERACTIVE = new Set(['sampling/createMessage', 'elicitation/create', 'roots/list']);

/**
 * Asks the client of a 2025-era `tasks/result` request (`ctx`) a question of task `exposedId`,
 * on that request's stream; see the file comment.
 */
export function streamAsker(
  ctx: ServerContext,
  capabilities: ClientCapabilities,
  exposedId: string,
): RelayedAsk {
  return async (method, params) => {
    if (!INTERACTIVE.has(method)) throw hubError('METHOD_NOT_FOUND', `Method not found: ${method}`);
    if (method === 'roots/list' && !capabilities.roots) return { roots: [] };
    if (method === 'sampling/createMessage' && !capabilities.sampling) {
      throw missing(method, params);
    }
    const mode = params.mode === 'url' ? 'url' : 'form';
    if (method === 'elicitation/create' && !supportsElicitationMode(capabilities, mode)) {
      throw missing(method, params);
    }
    const meta = { ...(params._meta as Params | undefined), [RELATED_TASK]: { taskId: exposedId } };
    const request = { method, params: { ...params, _meta: meta } };
    return ctx.mcpReq.send(request as never, { signal: ctx.mcpReq.signal });
  };
}

/**
 * The `onConnection` of an upstream `tasks/result` for the task `upstreamTaskId` (lease: the
 * request's, if any): routes the task's questions on that connection to `ask` while the request
 * runs; `release` (call it when the request is over) ends the routing.
 */
export function routeTaskQuestions(
  held: HeldTasks,
  upstreamTaskId: string,
  ask: RelayedAsk,
  lease: Lease | undefined,
) {
  let release: (() => void) | undefined;
  return {
    onConnection(connection: UpstreamConnection) {
      // A task on its caller's own connection: that connection's questions go the owner's way.
      if (lease) return;
      release = held.route(connection, upstreamTaskId, {
        ask: (method: InteractiveMethod, params: Params) => ask(method, params),
      });
    },
    release: () => release?.(),
  };
}
