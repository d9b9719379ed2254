/**
 * The policy engine: ordered allow/deny rules over principals × MCP operations × namespaced
 * names and URIs.
 *
 * Semantics, in order:
 * 1. With no rules at all, everything is allowed (a hub without a policy is open to whoever
 *    authenticated).
 * 2. A rule applies when one of its subjects, one of its actions and one of its targets match,
 *    and all its `when` conditions hold.
 * 3. Deny overrides allow: if any applicable rule denies, the first such rule decides.
 * 4. Otherwise the first applicable allow rule decides.
 * 5. Otherwise the request is denied (default-deny once any rule exists).
 * Obligations — `consent: 'required'` and `rateLimit` — are collected from every applicable
 * allow rule and obligation rule (a rule without `effect`), whichever rule decided.
 */
import { PolicyDeniedError } from '@fedmcp/protocol';
import { compileGlob, type GlobMatcher } from './glob.js';
import { ANNOTATION_DEFAULTS, compileSubject, timeMatches } from './policy-matchers.js';
import {
  type ParsedPolicyRule,
  type PolicyRateLimit,
  type PolicyRule,
  parsePolicyRules,
} from './policy-schema.js';
import type { Principal } from './principal.js';
import type { RateLimitSpec } from './rate-limiter.js';

/** What a decision is about. */
export interface PolicyInput {
  principal: Principal;
  /** The MCP operation, e.g. `tools/call`. */
  action: string;
  /** The namespaced name or URI the operation is about (`github__create_issue`); `''` when none. @default '' */
  target?: string;
  /** The target tool's annotations, for `when.annotations` (MCP defaults fill absent hints). */
  annotations?: Readonly<Record<string, unknown>>;
  /** The upstream that serves the target, for `rateLimit.by: ['upstream']`. */
  upstream?: string;
  /** The time of the request, for `when.time`. @default now */
  now?: Date;
}

/** A rate limit a decision asks the caller to enforce, with its bucket key. */
export interface AppliedRateLimit {
  /** The rule the limit comes from. */
  rule: string;
  /** The bucket key: rule, plus principal / target / upstream as configured. */
  key: string;
  /** The bucket. */
  limit: RateLimitSpec;
}

/** The outcome of {@link Policy.decide}. */
export interface PolicyDecision {
  allowed: boolean;
  /** The rule that decided (its `id`, or `#<index>`); absent when no rule did (empty policy or default-deny). */
  rule?: string;
  /** The index of the deciding rule. */
  ruleIndex?: number;
  /** Why, in one sentence, safe to show to the caller (names only the requested target). */
  reason: string;
  /** Whether an applicable rule asks for the user's consent. */
  consentRequired: boolean;
  /** Rate limits to enforce before forwarding. */
  rateLimits: AppliedRateLimit[];
}

/** Options of {@link createPolicy}. */
export interface PolicyOptions {
  /** How the rules are addressed in the config file, for validation messages. @default 'policy.rules' */
  configPath?: string;
}

/** A compiled policy. */
export interface Policy {
  /** The validated rules, in order. */
  readonly rules: readonly ParsedPolicyRule[];
  /** Decides one request. */
  decide(input: PolicyInput): PolicyDecision;
  /**
   * Keeps the items of a list the principal may use, so a caller never sees what it cannot use:
   * an item stays when the *use* action on `nameOf(item)` is allowed. A list action is mapped to
   * its use action ({@link LIST_USE_ACTIONS}: `tools/list` → `tools/call`, `resources/list` and
   * `resources/templates/list` → `resources/read`, `prompts/list` → `prompts/get`); any other
   * action is checked as given. List requests themselves are not decided as a whole: answer them
   * with the filtered list (empty when nothing is allowed).
   */
  filter<T>(
    list: readonly T[],
    principal: Principal,
    action: string,
    nameOf: (item: T) => string,
    annotationsOf?: (item: T) => Readonly<Record<string, unknown>> | undefined,
  ): T[];
  /** A multi-line explanation of a decision, every rule with why it applies or not (for `fedmcp policy check`). */
  explain(input: PolicyInput): string;
}

/** The action that using an item of each list needs; {@link Policy.filter} checks it. */
export const LIST_USE_ACTIONS: Readonly<Record<string, string>> = {
  'tools/list': 'tools/call',
  'resources/list': 'resources/read',
  'resources/templates/list': 'resources/read',
  'prompts/list': 'prompts/get',
};

const PERIOD_MS = { second: 1_000, minute: 60_000, hour: 3_600_000, day: 86_400_000 } as const;
type Mismatch = 'subject' | 'action' | 'target' | 'annotations' | 'time';

interface CompiledRule {
  index: number;
  name: string;
  rule: ParsedPolicyRule;
  subjects: Array<(principal: Principal) => boolean>;
  actions: GlobMatcher[];
  targets: GlobMatcher[];
}

function bucketSpec(limit: PolicyRateLimit): RateLimitSpec {
  return {
    limit: limit.limit,
    intervalMs: typeof limit.per === 'number' ? limit.per : PERIOD_MS[limit.per],
    ...(limit.burst === undefined ? {} : { burst: limit.burst }),
  };
}

function describeRule(rule: ParsedPolicyRule): string {
  const effect = rule.effect ?? 'obligation';
  const parts = [
    effect,
    rule.subjects.join(','),
    rule.actions.join(','),
    (rule.targets ?? ['*']).join(','),
  ];
  if (rule.consent) parts.push('consent=required');
  if (rule.rateLimit) {
    parts.push(`rateLimit=${rule.rateLimit.limit}/${rule.rateLimit.per}`);
  }
  return parts.join(' ');
}

/**
 * Compiles policy rules into a {@link Policy}.
 *
 * @throws {FedmcpError} `INVALID_CONFIG` naming each bad key path (`policy.rules[2].effect: …`).
 * @example
 * ```ts
 * const policy = createPolicy([
 *   { id: 'dev-tools', effect: 'allow', subjects: ['group:dev'], actions: ['tools/*'], targets: ['github__*'] },
 *   { id: 'no-deletes', effect: 'deny', subjects: ['*'], actions: ['tools/call'], targets: ['*__delete_*'] },
 * ]);
 * policy.decide({ principal, action: 'tools/call', target: 'github__create_issue' }).allowed; // true for group dev
 * ```
 */
export function createPolicy(rules: readonly PolicyRule[], options: PolicyOptions = {}): Policy {
  const parsed = parsePolicyRules(rules, options.configPath);
  const compiled: CompiledRule[] = parsed.map((rule, index) => ({
    index,
    name: rule.id ?? `#${index}`,
    rule,
    subjects: rule.subjects.map(compileSubject),
    actions: rule.actions.map(compileGlob),
    targets: (rule.targets ?? ['*']).map(compileGlob),
  }));

  function mismatch(entry: CompiledRule, input: PolicyInput): Mismatch | undefined {
    if (!entry.subjects.some((matches) => matches(input.principal))) return 'subject';
    if (!entry.actions.some((matches) => matches(input.action))) return 'action';
    const target = input.target ?? '';
    if (!entry.targets.some((matches) => matches(target))) return 'target';
    const when = entry.rule.when;
    if (when?.annotations) {
      for (const [key, expected] of Object.entries(when.annotations)) {
        const actual = input.annotations?.[key] ?? ANNOTATION_DEFAULTS[key];
        if (actual !== expected) return 'annotations';
      }
    }
    if (when?.time && !timeMatches(when.time, input.now ?? new Date())) return 'time';
    return undefined;
  }

  function rateLimitKey(entry: CompiledRule, input: PolicyInput): string {
    const by = entry.rule.rateLimit?.by ?? ['principal'];
    const parts = by.map((dimension) => {
      if (dimension === 'principal')
        return `p=${input.principal.authMethod}:${input.principal.subject}`;
      if (dimension === 'target') return `t=${input.target ?? ''}`;
      return `u=${input.upstream ?? ''}`;
    });
    return [`rule=${entry.name}`, ...parts].join('|');
  }

  function decide(input: PolicyInput): PolicyDecision {
    const target = input.target ?? '';
    if (compiled.length === 0) {
      return {
        allowed: true,
        reason: 'No policy is configured, so everything is allowed.',
        consentRequired: false,
        rateLimits: [],
      };
    }
    let allow: CompiledRule | undefined;
    let consentRequired = false;
    const rateLimits: AppliedRateLimit[] = [];
    for (const entry of compiled) {
      if (mismatch(entry, input) !== undefined) continue;
      if (entry.rule.effect === 'deny') {
        return {
          allowed: false,
          rule: entry.name,
          ruleIndex: entry.index,
          reason: `Policy rule "${entry.name}" denies ${input.action} on "${target}".`,
          consentRequired: false,
          rateLimits: [],
        };
      }
      if (entry.rule.effect === 'allow') allow ??= entry;
      if (entry.rule.consent === 'required') consentRequired = true;
      if (entry.rule.rateLimit) {
        rateLimits.push({
          rule: entry.name,
          key: rateLimitKey(entry, input),
          limit: bucketSpec(entry.rule.rateLimit),
        });
      }
    }
    if (!allow) {
      return {
        allowed: false,
        reason: `No policy rule allows ${input.action} on "${target}" for ${input.principal.subject}.`,
        consentRequired: false,
        rateLimits: [],
      };
    }
    return {
      allowed: true,
      rule: allow.name,
      ruleIndex: allow.index,
      reason: `Policy rule "${allow.name}" allows ${input.action} on "${target}".`,
      consentRequired,
      rateLimits,
    };
  }

  function explain(input: PolicyInput): string {
    const { principal } = input;
    const decision = decide(input);
    const lines = [
      `subject: ${principal.subject} (${principal.authMethod})` +
        (principal.groups.length ? `, groups: ${principal.groups.join(', ')}` : '') +
        (principal.scopes.length ? `, scopes: ${principal.scopes.join(', ')}` : '') +
        (principal.via?.length ? `, via: ${principal.via.join(' > ')}` : ''),
      `action: ${input.action}`,
      `target: ${input.target ?? ''}`,
      `decision: ${decision.allowed ? 'ALLOW' : 'DENY'}${decision.rule ? ` by rule "${decision.rule}"` : ''} — ${decision.reason}`,
    ];
    if (decision.consentRequired) lines.push('consent: required');
    for (const limit of decision.rateLimits) {
      lines.push(
        `rate limit: ${limit.limit.limit} per ${limit.limit.intervalMs} ms (rule "${limit.rule}", bucket ${limit.key})`,
      );
    }
    if (compiled.length > 0) lines.push('rules:');
    for (const entry of compiled) {
      const reason = mismatch(entry, input);
      const marker = entry.name === decision.rule ? '=>' : '  ';
      lines.push(
        `${marker} ${entry.name === `#${entry.index}` ? entry.name : `#${entry.index} "${entry.name}"`} ${describeRule(entry.rule)}: ${
          reason === undefined
            ? 'applies'
            : reason === 'annotations' || reason === 'time'
              ? `does not apply (${reason} condition not met)`
              : `does not apply (${reason} does not match)`
        }`,
      );
    }
    return lines.join('\n');
  }

  return {
    rules: parsed,
    decide,
    explain,
    filter(list, principal, action, nameOf, annotationsOf) {
      const useAction = LIST_USE_ACTIONS[action] ?? action;
      return list.filter(
        (item) =>
          decide({
            principal,
            action: useAction,
            target: nameOf(item),
            annotations: annotationsOf?.(item),
          }).allowed,
      );
    },
  };
}

/**
 * The error for a denied request: `POLICY_DENIED`, naming the deciding rule (or the default
 * deny) and only the requested action and target — never other rules' names or targets.
 */
export function policyDeniedError(decision: PolicyDecision, input: PolicyInput): PolicyDeniedError {
  const target = input.target ?? '';
  return new PolicyDeniedError({
    action: input.action,
    target,
    subject: input.principal.subject,
    message: `${decision.reason} Ask a hub administrator to change the policy if you need access.`,
    data: { rule: decision.rule ?? null },
  });
}
