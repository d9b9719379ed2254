/**
 * Server→client requests (sampling, elicitation, roots) on a shared upstream connection, asked
 * by a call that holds no lease: the fast path of an interactive client (its answer starts as
 * JSON and becomes an SSE stream when a question comes, `McpFastRequestExtra.stream`). stdio and
 * a shared Streamable HTTP connection do not say which request a question serves, so a question
 * goes to a client only when every call in flight on that connection is that client's session's
 * (`UpstreamConnection.asker`). So a call runs on a connection only its session uses (another one
 * is opened while under `maxConnections`, else it waits, as a lease would), until its tool has
 * answered {@link QUIET_CALLS} times without any question: from then on its calls share
 * connections with other sessions' (no cap from leases). A question that still cannot be
 * attributed (a quiet tool that asks after all) is refused, never risked on another principal's
 * client, and the tools whose calls were in flight lose their quiet standing.
 */
import { FedmcpError } from '@fedmcp/protocol';
import type { McpFastRequestExtra } from '@fedmcp/transports';
import type { ClientCapabilities } from '@modelcontextprotocol/server';
import { hubError } from '../errors.js';
import { supportsElicitationMode } from '../flow.js';
import type { HubServices } from '../services/hub-services.js';
import type { HubSession } from '../services/session-registry.js';
import type { Upstream } from '../upstream.js';
import type { AttributedCall, UpstreamConnection } from '../upstream-connection.js';

type Params = Record<string, unknown>;
type FastStream = NonNullable<McpFastRequestExtra['stream']>;

/** Calls a tool answers without a question before its calls may share connections. */
export const QUIET_CALLS = 16;

/** What the hub saw of a tool: answers without questions in a row, or a question (-1). */
const toolRecords = new WeakMap<Upstream, Map<string, number>>();

function recordsOf(upstream: Upstream): Map<string, number> {
  let records = toolRecords.get(upstream);
  if (!records) {
    records = new Map();
    toolRecords.set(upstream, records);
  }
  return records;
}

/** What the hub saw of `name`: its quiet answers in a row, -1 once it asked, 0 when unknown. */
function recordOf(upstream: Upstream, name: string): number {
  return toolRecords.get(upstream)?.get(name) ?? 0;
}

/** Whether calls of `name` may share connections with other sessions' calls. */
export function mayShare(upstream: Upstream, name: string): boolean {
  return recordOf(upstream, name) >= QUIET_CALLS;
}

/** Notes a call of `name` that ended with no question seen (while the tool has asked none). */
export function noteQuietCall(upstream: Upstream, name: string): void {
  const records = recordsOf(upstream);
  const quiet = records.get(name) ?? 0;
  if (quiet >= 0 && quiet < QUIET_CALLS) records.set(name, quiet + 1);
}

/** Notes that a call of `name` asked its client something: its calls never share. */
export function noteAskingTool(upstream: Upstream, name: string): void {
  recordsOf(upstream).set(name, -1);
}

/** Notes that calls of these tools were in flight when a question came: they never share. */
function noteAsking(upstream: Upstream, calls: AttributedCall[]): void {
  for (const call of calls) noteAskingTool(upstream, call.name);
}

/**
 * Relays a server→client request arriving on `connection` to the attributed call it belongs to;
 * `undefined` when no attributed call runs there (the caller's other rules apply).
 */
export function askAttributedCall(
  connection: UpstreamConnection,
  method: string,
  params: Params,
): Promise<unknown> | undefined {
  const owner = connection.asker();
  if (!owner) return undefined;
  if ('ambiguous' in owner) {
    noteAsking(connection.upstream, owner.ambiguous);
    const tools = [...new Set(owner.ambiguous.map((call) => call.name))].join(', ');
    return Promise.reject(
      hubError(
        'INVALID_REQUEST',
        `fedmcp cannot tell which of several clients' calls this ${method} belongs to (calls of ${tools} shared the connection), so it asks none of them; from now on these tools' calls hold a connection of their own: call again.`,
      ),
    );
  }
  noteAsking(connection.upstream, owner.calls);
  return owner.call.ask(method, params, owner.signal);
}

/** What an attributed fast-path call needs to ask its client. */
export interface StreamAskerOptions {
  services: HubServices;
  session: HubSession;
  upstream: Upstream;
  /** The upstream's own name of the tool called. */
  name: string;
  capabilities: ClientCapabilities;
  stream: FastStream;
}

/**
 * The attributed call of a fast-path tools/call: its questions go to its client on the call's own
 * response, upgraded to an SSE stream. Questions the client cannot take are settled here, as a
 * `Flow` settles them: undeclared roots get an empty list, undeclared sampling or elicitation
 * modes are refused (MCP 2025-11-25 client/sampling, client/elicitation).
 */
export function streamAsker(options: StreamAskerOptions): AttributedCall {
  const { services, session, upstream, capabilities, stream } = options;
  const record = recordOf(upstream, options.name);
  return {
    party: session,
    name: options.name,
    mayShare: record >= QUIET_CALLS,
    asks: record === -1,
    async ask(method, params, signal) {
      if (method === 'roots/list' && !capabilities.roots) return { roots: [] };
      if (method === 'sampling/createMessage') {
        if (!capabilities.sampling) {
          throw hubError(
            'INVALID_PARAMS',
            'The client does not support sampling (no sampling capability).',
          );
        }
        const context = (capabilities.sampling as Params).context;
        if (params.includeContext !== undefined && params.includeContext !== 'none' && !context) {
          params = { ...params, includeContext: 'none' };
        }
      }
      if (method === 'elicitation/create') {
        const mode = params.mode === 'url' ? 'url' : 'form';
        if (!supportsElicitationMode(capabilities, mode)) {
          throw hubError('INVALID_PARAMS', `The client does not support ${mode} mode elicitation.`);
        }
        services.notifications.trackElicitation(upstream, params, session);
      }
      const reply = await stream.request(method, params, signal);
      if (reply.error) throw FedmcpError.fromJsonRpcError(reply.error);
      return reply.result ?? {};
    },
  };
}
