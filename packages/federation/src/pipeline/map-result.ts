/**
 * Stage 5 of the pipeline — an upstream's answer as the client sees it: resource URIs inside
 * results (`resource_link` and embedded resources of tool results and prompt messages, read
 * contents, an MCP Apps `_meta.ui.resourceUri` of a tool result) and task ids under this hub's
 * namespace. Pure functions.
 */
import type { Result } from '@modelcontextprotocol/server';
import { exposeTaskId, exposeUri, mapContentUris, mapUiMeta } from '../namespacing.js';
import type { Upstream } from '../upstream.js';

type Params = Record<string, unknown>;

const RELATED_TASK = 'io.modelcontextprotocol/related-task';

/** Whether tool result content holds a `resource_link` or embedded `resource` to map. */
function hasResourceBlocks(content: unknown): boolean {
  if (!Array.isArray(content)) return false;
  for (const block of content as Array<{ type?: unknown }>) {
    if (block?.type === 'resource_link' || block?.type === 'resource') return true;
  }
  return false;
}

/** A tool result with its resource URIs (content blocks, an MCP Apps `_meta.ui`) exposed. */
export function mapToolResult(upstream: Upstream, result: Result): Result {
  const prefix = upstream.prefix;
  if (prefix === false) return result;
  const expose = (uri: string) => exposeUri(prefix, uri);
  const meta = result._meta === undefined ? undefined : mapUiMeta(result._meta, expose);
  const blocks = hasResourceBlocks(result.content);
  if (!blocks && meta === result._meta) return result;
  return {
    ...result,
    ...(blocks ? { content: mapContentUris(result.content, expose) } : {}),
    ...(meta === result._meta ? {} : { _meta: meta }),
  };
}

/** A `prompts/get` result with the resource URIs of its messages exposed. */
export function mapPromptResult(upstream: Upstream, result: Result): Result {
  const prefix = upstream.prefix;
  if (prefix === false || !Array.isArray(result.messages)) return result;
  return {
    ...result,
    messages: (result.messages as Array<{ content: unknown }>).map((message) => ({
      ...message,
      content: mapContentUris([message.content], (uri) => exposeUri(prefix, uri))[0],
    })),
  };
}

/**
 * A `resources/read` result with its contents' URIs exposed, and its 2026-07-28 cache hint made
 * `private`: the upstream's `ttlMs` stands, but the hub answers each principal under its own
 * policy (and a per-principal upstream answers per user), so no shared cache may keep it.
 */
export function mapResourceResult(upstream: Upstream, result: Result): Result {
  const hinted = result.cacheScope === 'public' ? { ...result, cacheScope: 'private' } : result;
  if (upstream.prefix === false || !Array.isArray(hinted.contents)) return hinted;
  return {
    ...hinted,
    contents: (hinted.contents as Array<{ uri: string }>).map((content) => ({
      ...content,
      uri: exposeUri(upstream.prefix, content.uri),
    })),
  };
}

/** A task result (`tasks/*`, a related-task `_meta`, a task's tool result) with ids exposed. */
export function mapTaskResult(upstream: Upstream, result: Result): Result {
  const mapped: Params = { ...result };
  if (typeof mapped.taskId === 'string') mapped.taskId = exposeTaskId(upstream.id, mapped.taskId);
  const meta = mapped._meta as Params | undefined;
  const related = meta?.[RELATED_TASK] as { taskId?: string } | undefined;
  if (meta && related?.taskId) {
    mapped._meta = {
      ...meta,
      [RELATED_TASK]: { ...related, taskId: exposeTaskId(upstream.id, related.taskId) },
    };
  }
  if (Array.isArray(mapped.content)) return mapToolResult(upstream, mapped as Result);
  return mapped as Result;
}

/** A `CreateTaskResult` with the task id exposed. */
export function mapCreatedTask(upstream: Upstream, created: Result): Result {
  const task = created.task as Params;
  return { ...created, task: { ...task, taskId: exposeTaskId(upstream.id, String(task.taskId)) } };
}
