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
import type { SessionScope } from './session-scope.js';

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

function findTools(scope: SessionScope, input: Params): Result {
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
  const tools = scope.services.search.find(scope.session, query, {
    limit: Math.min(limit, MAX_FIND_LIMIT),
    ...(servers ? { servers } : {}),
  });
  const text =
    tools.length > 0
      ? JSON.stringify({ tools })
      : `No tool matches "${query}". Search again with other words.`;
  return { content: [{ type: 'text', text }], structuredContent: { tools } };
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
  if (name === FIND_TOOLS) {
    try {
      return Promise.resolve(findTools(scope, input));
    } catch (error) {
      return Promise.reject(error);
    }
  }
  const target = input.name;
  const targetArguments = input.arguments ?? {};
  if (typeof target !== 'string' || target === '') {
    return Promise.reject(
      hubError('INVALID_PARAMS', `${CALL_TOOL} needs the "name" of a tool ${FIND_TOOLS} returned.`),
    );
  }
  if (META_TOOL_NAMES.has(target)) {
    return Promise.reject(
      hubError('INVALID_PARAMS', `${CALL_TOOL} calls catalog tools; call ${target} directly.`),
    );
  }
  if (!isRecord(targetArguments)) {
    return Promise.reject(
      hubError('INVALID_PARAMS', `${CALL_TOOL}: "arguments" must be an object.`),
    );
  }
  // The call's own _meta (progress token, trace context) goes with the tool's call.
  return callTool(
    scope,
    {
      name: target,
      arguments: targetArguments,
      ...(params._meta !== undefined ? { _meta: params._meta } : {}),
    },
    ctx,
  );
}
