/**
 * `hub.tasks`: the hub's durable tasks (README "Durable tasks"). Task records live in the
 * config's `store`; these keys set retention, limits, which tools may run again after a crash,
 * and the signed completion callbacks.
 */
import { z } from 'zod';

const milliseconds = (what: string) =>
  z
    .number({ error: `expected a number of milliseconds (${what})` })
    .int({ error: 'expected a whole number of milliseconds' })
    .positive({ error: 'expected a positive number of milliseconds' });

/** `hub.tasks.callbacks`: where completions may be POSTed and the key that signs them. */
const callbacksSection = z
  .object({
    /** The Standard Webhooks secret, `whsec_<base64>` (use `${ENV}`); receivers verify with it. */
    secret: z
      .string({ error: 'expected a "whsec_<base64>" secret, e.g. "${FEDMCP_TASK_WEBHOOK_SECRET}"' })
      .regex(/^whsec_[A-Za-z0-9+/]{32,}={0,2}$/, {
        error: 'expected "whsec_" followed by base64 of at least 24 random bytes',
      }),
    /** URL prefixes a call may name as its callback (`_meta["io.fedmcp/callbackUrl"]`). */
    allowedUrls: z
      .array(z.url({ error: 'expected an absolute URL prefix, e.g. "https://hooks.example.com/"' }))
      .min(1, { error: 'list at least one allowed URL prefix' }),
  })
  .strict();

/** `hub.tasks`. */
export const hubTasksSection = z
  .object({
    /** Retention of a task when the call names none, in ms. @default 3600000 */
    defaultTtlMs: milliseconds('retention').optional(),
    /** The longest retention a call may ask for, in ms. @default 86400000 */
    maxTtlMs: milliseconds('longest retention').optional(),
    /** Polling interval suggested to clients, in ms. @default 1000 */
    pollIntervalMs: milliseconds('poll interval').optional(),
    /** Tasks one principal may have running at once. @default 16 */
    maxRunningPerPrincipal: z
      .number({ error: 'expected a number of tasks' })
      .int({ error: 'expected a whole number of tasks' })
      .positive({ error: 'expected a positive number of tasks' })
      .optional(),
    /** A task whose hub stopped renewing its lease for this long is resumed or failed, in ms. @default 15000 */
    leaseMs: milliseconds('lease').optional(),
    /** Exposed tool names that may run again after a crash, besides `idempotentHint: true` tools. */
    resumableTools: z.array(z.string({ error: 'expected a tool name' }).min(1)).optional(),
    /** Exposed tool names (`"*"`: all) run as tasks for 2026-07-28 clients declaring the tasks extension. */
    extensionTools: z.array(z.string({ error: 'expected a tool name or "*"' }).min(1)).optional(),
    /** Signed completion callbacks (Standard Webhooks). */
    callbacks: callbacksSection.optional(),
  })
  .strict();

/** The `hub.tasks` section as parsed. */
export type HubTasksConfig = z.infer<typeof hubTasksSection>;
