/**
 * Server→client requests (sampling, elicitation, roots) on a shared upstream connection, asked
 * by a call that holds no lease: the fast path of an interactive client (its answer starts as
 * JSON and becomes an SSE stream when a question comes, `McpFastRequestExtra.stream`). stdio and
 * a shared Streamable HTTP connection do not say which request a question serves, so a question
 * goes to a client only when every call in flight on that connection is that client's session's
 * (`UpstreamConnection.asker`); otherwise it is refused, never risked on another principal's
 * client, and the tools whose calls were in flight are remembered: their later calls take an
 * exclusive lease from the start (`pipeline/interactive-call.ts`), where every question is
 * theirs alone.
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

/** Per upstream, the tools (upstream names) seen asking a question that could not be attributed. */
const askingTools = new WeakMap<Upstream, Set<string>>();

/** Whether calls of `name` have asked questions that could not be attributed: lease them. */
export function asksQuestions(upstream: Upstream, name: string): boolean {
  return askingTools.get(upstream)?.has(name) ?? false;
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
    let names = askingTools.get(connection.upstream);
    if (!names) {
      names = new Set();
      askingTools.set(connection.upstream, names);
    }
    for (const call of owner.ambiguous) names.add(call.name);
    const tools = [...new Set(owner.ambiguous.map((call) => call.name))].join(', ');
    return Promise.reject(
      hubError(
        'INVALID_REQUEST',
        `fedmcp cannot tell which of several clients' calls this ${method} belongs to (calls of ${tools} shared the connection), so it asks none of them; from now on these tools' calls hold a connection of their own: call again.`,
      ),
    );
  }
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
  return {
    party: session,
    name: options.name,
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
