/**
 * The `runtime` key of `fedmcp.config.json`: `false` turns the built-in `runtime` upstream off;
 * an object configures its webhook sources, automations and intent engine.
 */
import { checkCron, splitTrigger } from '@fedmcp/runtime-features';
import { z } from 'zod';

const namePattern = /^[a-z0-9][a-z0-9-]{0,31}$/;
const nameError =
  'expected a name of 1–32 characters: a-z, 0-9 and "-", starting with a letter or digit';

const webhookSourceSchema = z
  .object({
    scheme: z.enum(['standard-webhooks', 'github', 'hmac', 'bearer'], {
      error: 'expected "standard-webhooks", "github", "hmac" or "bearer"',
    }),
    /** The shared secret; write `${secret:NAME}` or `${ENV}`, not the value. */
    secret: z
      .string({ error: 'expected the secret as a string (a secret: or environment reference)' })
      .min(8, {
        error: 'expected a secret of at least 8 characters',
      }),
    signatureHeader: z.string().min(1).optional(),
    timestampHeader: z.string().min(1).optional(),
    idHeader: z.string().min(1).optional(),
    toleranceSec: z
      .number({ error: 'expected a number of seconds' })
      .int()
      .min(1)
      .max(86_400, { error: 'expected at most 86400 seconds' })
      .optional(),
    maxBodyBytes: z
      .number({ error: 'expected a number of bytes' })
      .int()
      .positive()
      .max(100 * 1024 * 1024, { error: 'expected at most 104857600 bytes' })
      .optional(),
  })
  .strict();

const automationSchema = z
  .object({
    /** @default `automation-<index>` */
    name: z.string().regex(namePattern, { error: nameError }).optional(),
    on: z
      .string({ error: 'expected "webhook:<source>" or "schedule:<cron>"' })
      .superRefine((value, context) => {
        try {
          const [kind, trigger] = splitTrigger(value);
          if (kind === 'schedule') checkCron(trigger);
        } catch (error) {
          context.addIssue({ code: 'custom', message: (error as Error).message });
        }
      }),
    call: z.string({ error: 'expected a namespaced tool name such as "runtime__health"' }).min(1),
    arguments: z.unknown().optional(),
    as: z.string({ error: 'expected the service principal the call is made as' }).min(1),
    maxAttempts: z.number().int().min(1).max(100).optional(),
  })
  .strict();

const runtimeObjectSchema = z
  .object({
    /** Webhook sources by name, each served at `POST /hooks/<name>`. */
    webhooks: z
      .record(z.string().regex(namePattern, { error: nameError }), webhookSourceSchema)
      .optional(),
    automations: z.array(automationSchema, { error: 'expected a list of automations' }).optional(),
    intents: z
      .object({
        engine: z.enum(['builtin', 'sampling', 'openai'], {
          error: 'expected "builtin", "sampling" or "openai"',
        }),
        openai: z
          .object({
            baseURL: z.string().url({ error: 'expected an http(s) URL' }),
            model: z.string().min(1),
            apiKey: z.string().min(1),
          })
          .strict()
          .optional(),
      })
      .strict()
      .refine((intents) => intents.engine !== 'openai' || intents.openai, {
        error: 'engine "openai" needs "openai": { "baseURL", "model", "apiKey" }',
        path: ['openai'],
      })
      .optional(),
    /** First retry delay of a failed automation call, in ms (doubled per attempt). @default 1000 */
    retryDelayMs: z.number().int().positive().optional(),
    /** After this long (ms) unacknowledged, a dead process's automation message is taken over. @default 30000 */
    claimIdleMs: z.number().int().positive().optional(),
  })
  .strict()
  .superRefine((runtime, context) => {
    const sources = new Set(Object.keys(runtime.webhooks ?? {}));
    const names = new Set<string>();
    (runtime.automations ?? []).forEach((automation, index) => {
      const name = automation.name ?? `automation-${index}`;
      if (names.has(name)) {
        context.addIssue({
          code: 'custom',
          message: `duplicate automation name "${name}"`,
          path: ['automations', index, 'name'],
        });
      }
      names.add(name);
      const [kind, trigger] = safeSplit(automation.on);
      if (kind === 'webhook' && !sources.has(trigger)) {
        context.addIssue({
          code: 'custom',
          message: `no webhook source "${trigger}" in runtime.webhooks`,
          path: ['automations', index, 'on'],
        });
      }
    });
  });

function safeSplit(on: string): [string, string] {
  try {
    return splitTrigger(on);
  } catch {
    return ['', ''];
  }
}

/** `runtime`: `false`, or the runtime's options. Absent: the runtime with no webhooks. */
export const runtimeConfigSchema = z.union([z.literal(false), runtimeObjectSchema], {
  error: 'expected false or an object with "webhooks", "automations", "intents"',
});

/** The validated `runtime` key. */
export type RuntimeConfig = z.output<typeof runtimeConfigSchema>;
