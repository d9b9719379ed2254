/**
 * The configuration shape of policy rules, validated with zod so a mistake is reported with the
 * key path that holds it (`policy.rules[2].effect: …`).
 */
import * as z from 'zod';
import { formatConfigIssues, invalidConfigError } from './format-config-issues.js';
import { compileGlob } from './glob.js';

/**
 * The MCP operations policy rules can name (client → server requests the hub serves). Rule
 * actions are globs over these (`tools/*`, `*`).
 */
export const POLICY_ACTIONS = [
  'tools/list',
  'tools/call',
  'resources/list',
  'resources/templates/list',
  'resources/read',
  'resources/subscribe',
  'resources/unsubscribe',
  'prompts/list',
  'prompts/get',
  'completion/complete',
  'logging/setLevel',
  'tasks/get',
  'tasks/list',
  'tasks/result',
  'tasks/cancel',
  'subscriptions/listen',
] as const;

/** Prefixes a subject pattern may use; `*` alone matches everyone. */
export const SUBJECT_KINDS = ['user', 'group', 'scope', 'via', 'method', 'issuer'] as const;

const timeOfDay = z
  .string()
  .regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'expected a time of day as "HH:MM" (24-hour)');

const weekday = z.enum(['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun']);

/** A time window in which a rule applies. */
export const timeWindowSchema = z.strictObject({
  /** Start of the window, inclusive ("HH:MM"). */
  from: timeOfDay,
  /** End of the window, exclusive ("HH:MM"); earlier than `from` wraps past midnight. */
  to: timeOfDay,
  /** An IANA time zone. @default 'UTC' */
  timeZone: z
    .string()
    .refine((zone) => {
      try {
        new Intl.DateTimeFormat('en-US', { timeZone: zone });
        return true;
      } catch {
        return false;
      }
    }, 'expected an IANA time zone such as "UTC" or "Europe/Berlin"')
    .optional(),
  /** Days of the week on which the window applies. @default every day */
  days: z.array(weekday).min(1).optional(),
});

/** Conditions that must all hold for a rule to apply. */
export const conditionSchema = z.strictObject({
  /**
   * Tool annotations that must have these values (MCP defaults apply to absent ones:
   * readOnlyHint false, destructiveHint true, idempotentHint false, openWorldHint true).
   */
  annotations: z.record(z.string(), z.union([z.boolean(), z.string(), z.number()])).optional(),
  /** The rule applies only inside this time window. */
  time: timeWindowSchema.optional(),
});

/** A token-bucket limit attached to a rule. */
export const rateLimitSchema = z.strictObject({
  /** Requests allowed per period (the refill rate). */
  limit: z.number().int().positive(),
  /** The period: a unit or a number of milliseconds. */
  per: z.union([z.enum(['second', 'minute', 'hour', 'day']), z.number().int().positive()]),
  /** Bucket size, the largest burst. @default limit */
  burst: z.number().int().positive().optional(),
  /** What one bucket counts: per caller, per target, per upstream, or a combination. @default ['principal'] */
  by: z
    .array(z.enum(['principal', 'target', 'upstream']))
    .min(1)
    .optional(),
});

const subjectPattern = z
  .string()
  .min(1)
  .refine(
    (pattern) =>
      pattern === '*' ||
      SUBJECT_KINDS.some(
        (kind) => pattern.startsWith(`${kind}:`) && pattern.length > kind.length + 1,
      ),
    `expected "*" or a pattern like "user:alice", "group:dev", "scope:tools.read", "via:eu", "method:api-key" or "issuer:https://…"`,
  );

const actionPattern = z
  .string()
  .min(1)
  .refine((pattern) => {
    const matcher = compileGlob(pattern);
    return POLICY_ACTIONS.some((action) => matcher(action));
  }, `expected an MCP operation such as "tools/call", "resources/read", "prompts/get" or a glob like "tools/*"`);

/** One policy rule. */
export const policyRuleSchema = z
  .strictObject({
    /** A name shown in decisions, errors and audit events. @default '#<index>' */
    id: z.string().min(1).optional(),
    /** Free text for humans. */
    description: z.string().optional(),
    /**
     * `allow` or `deny`. Omit it only on an obligation rule: one that adds `consent` or a
     * `rateLimit` to what other rules allow without allowing anything itself.
     */
    effect: z.enum(['allow', 'deny']).optional(),
    /** Who the rule is about: `*`, `user:<glob>`, `group:<glob>`, `scope:<glob>`, `via:<glob>`, `method:<glob>`, `issuer:<glob>`. */
    subjects: z.array(subjectPattern).min(1),
    /** MCP operations (globs allowed): `tools/call`, `tools/*`, `*`. */
    actions: z.array(actionPattern).min(1),
    /** Globs over namespaced names and URIs (`github__*`, `file:///docs/*`). @default ['*'] */
    targets: z.array(z.string()).min(1).optional(),
    /** Extra conditions; the rule applies only when all hold. */
    when: conditionSchema.optional(),
    /** The call needs the user's consent (see the consent ledger). */
    consent: z.literal('required').optional(),
    /** A token-bucket limit on what the rule matches. */
    rateLimit: rateLimitSchema.optional(),
  })
  .refine(
    (rule) =>
      rule.effect !== undefined || rule.consent !== undefined || rule.rateLimit !== undefined,
    {
      message:
        'expected "allow" or "deny" (effect may be omitted only on a rule with consent or rateLimit)',
      path: ['effect'],
    },
  )
  .refine(
    (rule) =>
      rule.effect !== 'deny' || (rule.consent === undefined && rule.rateLimit === undefined),
    {
      message: 'a deny rule cannot carry consent or rateLimit',
      path: ['effect'],
    },
  );

/** A policy rule as written in configuration. */
export type PolicyRule = z.input<typeof policyRuleSchema>;
/** A rule after validation. */
export type ParsedPolicyRule = z.output<typeof policyRuleSchema>;
/** A rate limit as written in a rule. */
export type PolicyRateLimit = z.output<typeof rateLimitSchema>;
/** A rule's conditions. */
export type PolicyCondition = z.output<typeof conditionSchema>;

/**
 * Validates policy rules.
 *
 * @param basePath - How the rules are addressed in the config file, for messages. @default 'policy.rules'
 * @throws {FedmcpError} `INVALID_CONFIG` naming each bad key path, e.g. `policy.rules[2].effect`.
 */
export function parsePolicyRules(rules: unknown, basePath = 'policy.rules'): ParsedPolicyRule[] {
  const result = z.array(policyRuleSchema).safeParse(rules);
  if (result.success) return result.data;
  throw invalidConfigError('policy', formatConfigIssues(result.error, basePath));
}

/** The `policy` section of the config: the ordered rules. */
export const policyConfigSchema = z.strictObject({
  rules: z.array(policyRuleSchema),
});
