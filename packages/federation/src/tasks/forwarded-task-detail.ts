/**
 * A 2025-11-25 upstream task in the shape of the tasks extension (tasks/forwarded-tasks.ts): its
 * `Task` as the extension's, and its `DetailedTask` with a terminal task's result or error inline.
 */
import type { Result } from '@modelcontextprotocol/server';
import { mapToolResult } from '../pipeline/map-result.js';
import type { Upstream } from '../upstream.js';

type Params = Record<string, unknown>;

/** A 2025-11-25 `Task` in the extension's shape (`ttl` → `ttlMs`, `pollInterval` → `pollIntervalMs`). */
export function toExtensionTask(task: Params, exposedId: string): Params {
  const { taskId: _upstreamId, ttl, pollInterval, ...rest } = task;
  return {
    ...rest,
    taskId: exposedId,
    ttlMs: typeof ttl === 'number' ? ttl : null,
    ...(typeof pollInterval === 'number' ? { pollIntervalMs: pollInterval } : {}),
  };
}

/** The extension's `DetailedTask` of an upstream task: a terminal one's result or error inline. */
export async function detailedTask(
  upstream: Upstream,
  exposedId: string,
  task: Result,
  ask: (method: string) => Promise<Result>,
): Promise<Result> {
  const detailed = toExtensionTask(task as Params, exposedId);
  // The SDK keeps resultType for itself: the hub's answer is `complete`.
  delete detailed.resultType;
  if (task.status === 'completed') {
    // MCP 2025-11-25: tasks/result of a terminal task answers at once with its result.
    const { _meta, ...result } = await ask('tasks/result');
    return { ...detailed, result: mapToolResult(upstream, result as Result) } as Result;
  }
  if (task.status === 'failed') {
    try {
      await ask('tasks/result');
    } catch (error) {
      const { code, message, data } = error as {
        code?: unknown;
        message?: unknown;
        data?: unknown;
      };
      const failure = {
        code: typeof code === 'number' ? code : -32603,
        message: String(message ?? 'The task failed.'),
        ...(data === undefined ? {} : { data }),
      };
      return { ...detailed, error: failure } as Result;
    }
    return { ...detailed, error: { code: -32603, message: 'The task failed.' } } as Result;
  }
  if (task.status === 'input_required') return { ...detailed, inputRequests: {} } as Result;
  return detailed as Result;
}
