/**
 * The tool search meta-tools of a session (`exposure: 'search'`): `find_tools` answers from the
 * hub's search index (`services/tool-search.ts`) with the definitions of the tools the session may
 * see, as `tools/list` would show them; `call_tool` is a `tools/call` of the named tool through the
 * whole pipeline (the same resolve, view, gate — policy, consent, pinning — call and audit as a
 * direct call). `find_tools` is the hub's own answer and is not gated: what it returns is already
 * limited to what the caller may see.
 */
import type { Result, ServerContext } from '@modelcontextprotocol/server';
import { hubError } from '../errors.js';
import {
  CALL_TOOL,
  DEFAULT_FIND_LIMIT,
  FIND_TOOLS,
  MAX_FIND_LIMIT,
  META_TOOL_NAMES,
} from '../search-meta-tools.js';
import { clientCapabilities, type SessionScope } from './session-scope.js';

type Params = Record<string, unknown>;

/** The `tools/call` of the pipeline (`callTool` of `tool-handlers.ts`). */
export type CallToolThroughPipeline = (
  scope: SessionScope,
  params: Params,
  ctx: ServerContext,
) => Promise<Result>;

function isRecord(value: unknown): value is Params {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

async function findTools(scope: SessionScope, input: Params, ctx: ServerContext): Promise<Result> {
  const { query, limit = DEFAULT_FIND_LIMIT, servers } = input;
  if (typeof query !== 'string' || query.trim() === '') {
    throw hubError('INVALID_PARAMS', `${FIND_TOOLS} needs a "query": what you want to do.`);
  }
  if (typeof limit !== 'number' || !Number.isInteger(limit) || limit < 1) {
    throw hubError('INVALID_PARAMS', `${FIND_TOOLS}: "limit" must be a positive integer.`);
  }
  if (
    servers !== undefined &&
    !(Array.isArray(servers) && servers.every((server) => typeof server === 'string'))
  ) {
    throw hubError('INVALID_PARAMS', `${FIND_TOOLS}: "servers" must be a list of server names.`);
  }
  const { services, session } = scope;
  // As in tools/list: a tool that needs a client capability this client lacks is not offered.
  const capabilities = clientCapabilities(ctx, session);
  const tools = services.search.find(session, query, {
    limit: Math.min(limit, MAX_FIND_LIMIT),
    ...(servers ? { servers } : {}),
    accept: (tool) => services.views.usableTools([tool], capabilities).length > 0,
  });
  const text =
    tools.length > 0
      ? JSON.stringify({ tools })
      : `No tool matches "${query}". Search again with other words.`;
  return { content: [{ type: 'text', text }], structuredContent: { tools } };
}

async function callFoundTool(
  scope: SessionScope,
  params: Params,
  input: Params,
  ctx: ServerContext,
  callTool: CallToolThroughPipeline,
): Promise<Result> {
  const { name, arguments: toolArguments = {} } = input;
  if (typeof name !== 'string' || name === '') {
    throw hubError(
      'INVALID_PARAMS',
      `${CALL_TOOL} needs the "name" of a tool ${FIND_TOOLS} returned.`,
    );
  }
  if (META_TOOL_NAMES.has(name)) {
    throw hubError('INVALID_PARAMS', `${CALL_TOOL} calls catalog tools; call ${name} directly.`);
  }
  if (!isRecord(toolArguments)) {
    throw hubError('INVALID_PARAMS', `${CALL_TOOL}: "arguments" must be an object.`);
  }
  // The call's own _meta (progress token, trace context) goes with the tool's call.
  const meta = params._meta !== undefined ? { _meta: params._meta } : {};
  return callTool(scope, { name, arguments: toolArguments, ...meta }, ctx);
}

/**
 * Answers a `tools/call` of a meta-tool, or `undefined` when the call is not one (another name,
 * or a session without searchable tools, where the names are not reserved).
 */
export function callMetaTool(
  scope: SessionScope,
  params: Params,
  ctx: ServerContext,
  callTool: CallToolThroughPipeline,
): Promise<Result> | undefined {
  const name = params.name;
  if (typeof name !== 'string' || !META_TOOL_NAMES.has(name)) return undefined;
  if (!scope.services.search.searching(scope.session)) return undefined;
  const input = params.arguments ?? {};
  if (!isRecord(input)) {
    return Promise.reject(hubError('INVALID_PARAMS', `${name}: "arguments" must be an object.`));
  }
  return name === FIND_TOOLS
    ? findTools(scope, input, ctx)
    : callFoundTool(scope, params, input, ctx, callTool);
}
