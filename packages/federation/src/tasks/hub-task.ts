/**
 * A hub-managed task: the durable record of a task-augmented `tools/call` the hub runs itself
 * (MCP 2025-11-25 basic/utilities/tasks; the 2026-07-28 tasks extension
 * `io.modelcontextprotocol/tasks`), and its wire shapes in both eras.
 */

type Params = Record<string, unknown>;

/** The states of a task (the same in both eras). */
export type HubTaskStatus = 'working' | 'input_required' | 'completed' | 'failed' | 'cancelled';

/** A JSON-RPC error as a failed task keeps it. */
export interface HubTaskError {
  code: number;
  message: string;
  data?: unknown;
}

/** The questions of a task waiting for input, by key (the 2026-07-28 extension's `inputRequests`). */
export type TaskInputRequests = Record<string, { method: string; params: Params }>;

/**
 * Who a task's call was for and the federation `_meta` it carried upstream (hop trail,
 * on-behalf-of): what a resumed run carries and is audited with. Never a token.
 */
export interface HubTaskOrigin {
  principal?: { subject?: string; issuer?: string; authMethod?: string; via?: string[] };
  meta?: Params;
  /** The client's sampling, elicitation and roots capabilities: a resumed run asks it again. */
  capabilities?: Params;
}

/** The durable record of a hub-managed task, as the store keeps it. */
export interface HubTaskRecord {
  taskId: string;
  /** Who created it (the principal key): only it may see, await or cancel the task. */
  owner: string;
  status: HubTaskStatus;
  statusMessage?: string;
  /** ISO 8601. */
  createdAt: string;
  /** ISO 8601. */
  lastUpdatedAt: string;
  /** Retention from creation, in ms. */
  ttlMs: number;
  pollIntervalMs: number;
  /** The exposed tool name. */
  tool: string;
  /** Whether the tool may run again after its runner died (`idempotentHint: true` or configured). */
  idempotent: boolean;
  /** Who the call was for, kept only for an idempotent tool (what a resume needs). */
  origin?: HubTaskOrigin;
  /** The call's arguments, kept only for an idempotent tool (what a resume needs). */
  arguments?: Params;
  /** The latest progress the upstream reported. */
  progress?: { progress: number; total?: number; message?: string };
  /** The tool's result, once completed. */
  result?: Params;
  /** The JSON-RPC error, once failed. */
  error?: HubTaskError;
  /** Where completion is POSTed (Standard Webhooks), if the call asked for it. */
  callbackUrl?: string;
  /** The upstream's questions while `input_required` (see tasks/task-input.ts). */
  inputRequests?: TaskInputRequests;
  /** How many times a runner started the call (1, more after resumes). */
  attempts: number;
}

/** The prefix of hub-managed task ids ('.' never occurs in an upstream id, so no collision). */
export const HUB_TASK_PREFIX = 'hubtask.';

/** A new, unguessable hub task id. */
export function newHubTaskId(): string {
  return `${HUB_TASK_PREFIX}${crypto.randomUUID()}`;
}

/** Whether a task id names a hub-managed task (rather than an upstream's, `<upstream>__<id>`). */
export function isHubTaskId(taskId: unknown): taskId is string {
  return typeof taskId === 'string' && taskId.startsWith(HUB_TASK_PREFIX);
}

/** Whether a task reached a terminal state. */
export function isTerminal(status: HubTaskStatus): boolean {
  return status === 'completed' || status === 'failed' || status === 'cancelled';
}

/** The MCP 2025-11-25 `Task` of a record (`tasks/get`, `tasks/list`, `notifications/tasks/status`). */
export function toTask(record: HubTaskRecord): Params {
  return {
    taskId: record.taskId,
    status: record.status,
    ...(record.statusMessage ? { statusMessage: record.statusMessage } : {}),
    createdAt: record.createdAt,
    lastUpdatedAt: record.lastUpdatedAt,
    ttl: record.ttlMs,
    pollInterval: record.pollIntervalMs,
  };
}

/**
 * The 2026-07-28 tasks extension's `DetailedTask` of a record (`tasks/get`, `notifications/tasks`,
 * and, with `resultType: 'task'`, the `CreateTaskResult`): result or error inline.
 */
export function toDetailedTask(record: HubTaskRecord): Params {
  return {
    taskId: record.taskId,
    status: record.status,
    ...(record.statusMessage ? { statusMessage: record.statusMessage } : {}),
    createdAt: record.createdAt,
    lastUpdatedAt: record.lastUpdatedAt,
    ttlMs: record.ttlMs,
    pollIntervalMs: record.pollIntervalMs,
    ...(record.status === 'input_required' ? { inputRequests: record.inputRequests ?? {} } : {}),
    ...(record.status === 'completed' && record.result ? { result: record.result } : {}),
    ...(record.status === 'failed' && record.error ? { error: record.error } : {}),
  };
}

/** What a task says about itself in `fedmcp tasks` and the admin view: no arguments, no result. */
export function toSummary(record: HubTaskRecord): Params {
  return {
    ...toTask(record),
    tool: record.tool,
    attempts: record.attempts,
    ...(record.progress ? { progress: record.progress } : {}),
  };
}
