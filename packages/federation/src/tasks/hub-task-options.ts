/**
 * Options of hub-managed tasks (`HubOptions.tasks`) and their defaults.
 */
import type { Store } from '@fedmcp/store';

/** Completion callbacks (Standard Webhooks): who may be called and with which key. */
export interface HubTaskCallbackOptions {
  /** The signing secret, `whsec_<base64>` (≥ 24 bytes); share it with the receivers. */
  secret: string;
  /**
   * URL prefixes a call may name as its callback (`_meta["io.fedmcp/callbackUrl"]`); any other
   * URL is refused with -32602, so a client cannot make the hub POST wherever it likes.
   */
  allowedUrls: readonly string[];
}

/** Options of the hub's durable tasks. */
export interface HubTaskOptions {
  /**
   * Where task records live: a store shared by replicas (or a restarted hub) lets any of them
   * answer `tasks/*`. @default a private in-memory store (tasks end with the process)
   */
  store?: Store;
  /** Retention of a task when the call names none (`params.task.ttl`), in ms. @default 3_600_000 */
  defaultTtlMs?: number;
  /** The longest retention a call may ask for, in ms (longer asks are cut to it). @default 86_400_000 */
  maxTtlMs?: number;
  /** The polling interval suggested to clients, in ms. @default 1000 */
  pollIntervalMs?: number;
  /** Tasks one principal may have running at once; one more is refused (-32000 rate limited). @default 16 */
  maxRunningPerPrincipal?: number;
  /**
   * How long a runner's lease on a task lasts unless renewed (it renews every third of it), in ms:
   * a task whose runner stopped renewing for this long is resumed or failed by another hub.
   * @default 15_000
   */
  leaseMs?: number;
  /**
   * Exposed tool names that may run again after their hub died, besides tools annotated
   * `idempotentHint: true`. @default []
   */
  resumableTools?: readonly string[];
  /**
   * Exposed tool names (`'*'`: every tool) the hub runs as tasks for 2026-07-28 clients that
   * declare the tasks extension `io.modelcontextprotocol/tasks` (the extension leaves the choice
   * to the server: such a call answers with `resultType: 'task'`). @default []
   */
  extensionTools?: readonly string[];
  /** Completion callbacks; without it a call naming a callback URL is refused. @default none */
  callbacks?: HubTaskCallbackOptions;
  /** The `fetch` callbacks use. @default globalThis.fetch */
  fetch?: typeof fetch;
}

/** {@link HubTaskOptions} with defaults applied. */
export type HubTaskSettings = Required<Omit<HubTaskOptions, 'store' | 'callbacks' | 'fetch'>> &
  Pick<HubTaskOptions, 'callbacks'> & { fetch: typeof fetch };

/** Applies the defaults of {@link HubTaskOptions}. */
export function taskSettings(options: HubTaskOptions = {}): HubTaskSettings {
  return {
    defaultTtlMs: options.defaultTtlMs ?? 3_600_000,
    maxTtlMs: options.maxTtlMs ?? 86_400_000,
    pollIntervalMs: options.pollIntervalMs ?? 1000,
    maxRunningPerPrincipal: options.maxRunningPerPrincipal ?? 16,
    leaseMs: options.leaseMs ?? 15_000,
    resumableTools: options.resumableTools ?? [],
    extensionTools: options.extensionTools ?? [],
    ...(options.callbacks ? { callbacks: options.callbacks } : {}),
    fetch: options.fetch ?? ((input, init) => globalThis.fetch(input, init)),
  };
}
