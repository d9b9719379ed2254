/** The shapes of automations: their config, the injected tool caller and their run records. */

/** One automation: a trigger, the tool it calls, the arguments and who it calls as. */
export interface Automation {
  /** Its name (`[a-z0-9][a-z0-9-]{0,31}`): its consumer group, run records and resource URIs. */
  name: string;
  /** `webhook:<source>` or `schedule:<cron expression>` (5 or 6 fields, UTC). */
  on: string;
  /** The namespaced tool to call, as the hub exposes it (`runtime__process_transcript`). */
  call: string;
  /** The tool's arguments, a template over `{ event }` (see `renderTemplate`). @default {} */
  arguments?: unknown;
  /** The service principal the call is made as (policy, audit and consent apply to it). */
  as: string;
  /** Calls tried before the trigger goes to the dead-letter stream. @default 3 */
  maxAttempts?: number;
}

/** A tool result as the hub returns it (the parts an automation reads). */
export interface AutomationCallResult {
  content?: unknown[];
  structuredContent?: unknown;
  isError?: boolean;
}

/**
 * Calls a tool through the hub's pipeline as a service principal. The runtime cannot import the
 * hub; the app that mounts it passes this in. A rejection (policy denied, upstream down) counts as
 * a failed attempt, with its message as the reason.
 */
export type AutomationCallTool = (
  principal: string,
  name: string,
  args: Record<string, unknown>,
  options: {
    /** Stable across the retries of one automation for one trigger: pass it to tools with effects. */
    idempotencyKey: string;
  },
) => Promise<AutomationCallResult>;

/** The record of one automation's run for one trigger (an event id or a schedule tick). */
export interface AutomationRun {
  automation: string;
  trigger: string;
  state: 'running' | 'done' | 'dead';
  attempts: number;
  /** The tool's `structuredContent`, else its `content` (state `done`). */
  result?: unknown;
  /** Why the last attempt failed. */
  reason?: string;
  updatedAt: number;
}

/** An entry of the dead-letter stream. */
export interface DeadLetter {
  automation: string;
  trigger: string;
  call: string;
  attempts: number;
  reason: string;
  at: number;
}
