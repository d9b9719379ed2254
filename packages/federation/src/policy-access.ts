/**
 * The hub's access hook built from `@fedmcp/proxy-auth`: the policy decides what each caller
 * sees and may use, its rate limits are enforced, calls whose rules ask for consent are put to the
 * user (or refused with how to pre-grant), and every refusal and forwarded call is an audit event.
 */
import { parseTraceparent, TRACEPARENT_META_KEY } from '@fedmcp/protocol';
import {
  type AuditEventInput,
  type AuditLog,
  anonymousPrincipal,
  createPolicy,
  LIST_USE_ACTIONS,
  type Policy,
  type PolicyDecision,
  type Principal,
  policyDeniedError,
  type RateLimiter,
  rateLimitedError,
} from '@fedmcp/proxy-auth';
import { hubError } from './errors.js';
import type {
  AccessRequest,
  AccessVerdict,
  HubAccess,
  HubListAction,
  ListedItem,
} from './hub-access.js';

/** Options of {@link createPolicyAccess}. */
export interface PolicyAccessOptions {
  /** The policy, or a function returning the one in force (hot reload). */
  policy: Policy | (() => Policy);
  /** Where refusals and forwarded calls are recorded. @default none */
  audit?: AuditLog;
  /** Enforces the policy's `rateLimit` obligations (share its store between replicas). @default none: limits are not enforced */
  rateLimiter?: RateLimiter;
  /**
   * The consent step for rules with `consent: 'required'`. Without it such calls are refused with
   * `CONSENT_REQUIRED`.
   */
  consent?: ConsentStep;
  /** The principal of a session without one (no authentication configured). @default anonymous */
  defaultPrincipal?: Principal;
  /**
   * What a peer hub's caller (a principal with `authMethod: 'peer'`) may see and use without a
   * rule naming peers. `'deny'`: nothing, however open the policy is (empty, or `*` rules), until
   * an allow rule whose subjects name peers decides — `via:<hub>`, `issuer:<hub>` or
   * `method:peer` (globs allowed); deny rules apply as usual. `'allow'`: the policy decides for
   * peers exactly as for everyone else.
   * @default 'deny'
   */
  peerDefault?: 'deny' | 'allow';
}

const PEER_SUBJECT = /^(via|issuer):|^method:peer$/;

/** A rule's subjects name peer callers (`via:…`, `issuer:…`, `method:peer`). */
function namesPeers(subjects: readonly string[] | undefined): boolean {
  return (subjects ?? []).some((subject) => PEER_SUBJECT.test(subject));
}

/**
 * How the hub asks for and remembers consent: `createConsentStep` of this package builds one
 * from a `@fedmcp/proxy-auth` consent ledger.
 */
export interface ConsentStep {
  /** Decides a call that needs consent: allow (a grant is on record), deny, or ask the user. */
  decide(request: AccessRequest, principal: Principal): Promise<AccessVerdict>;
}

function isPrincipal(value: unknown): value is Principal {
  const candidate = value as Partial<Principal> | undefined;
  return (
    typeof candidate?.subject === 'string' &&
    Array.isArray(candidate.groups) &&
    Array.isArray(candidate.scopes)
  );
}

const RECORDED: Promise<void> = Promise.resolve();
const ignore = (): void => {};
const ALLOW: AccessVerdict = Object.freeze({ kind: 'allow' });

/** The last `traceparent` {@link traceIdOf} parsed and its trace id (a call's audit and consent share it). */
let lastTraceparent: string | undefined;
let lastTraceId: string | undefined;

/**
 * The W3C trace id of a request's `_meta`, for audit records: what `parseTraceparent` gives, parsed
 * only when a `traceparent` is present and once per distinct value in a row (issue #13: the regex
 * parse ran for every audit record and consent decision).
 */
export function traceIdOf(meta: Record<string, unknown> | undefined): string | undefined {
  const value = meta?.[TRACEPARENT_META_KEY];
  if (typeof value !== 'string') return undefined;
  if (value !== lastTraceparent) {
    // A version-00 value as this hub writes it (one per forwarded call) takes one regex test;
    // anything else, the full parse.
    lastTraceId = TRACEPARENT_00.test(value)
      ? validTraceId(value.slice(3, 35), value.slice(36, 52))
      : parseTraceparent(value)?.traceId;
    lastTraceparent = value;
  }
  return lastTraceId;
}

/** A version-00 `traceparent` (W3C Trace Context §3.2): exactly 55 characters. */
const TRACEPARENT_00 = /^00-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}$/;
const ZERO_TRACE_ID = '0'.repeat(32);
const ZERO_PARENT_ID = '0'.repeat(16);

/** The trace id of a version-00 value, unless either id is all zeros (invalid, as `parseTraceparent` says). */
function validTraceId(traceId: string, parentId: string): string | undefined {
  return traceId === ZERO_TRACE_ID || parentId === ZERO_PARENT_ID ? undefined : traceId;
}

/**
 * Builds the access hook of a hub from a policy.
 *
 * @example
 * ```ts
 * const hub = createHub({
 *   access: createPolicyAccess({ policy: createPolicy(rules), audit, rateLimiter }),
 *   upstreams,
 * });
 * ```
 */
export function createPolicyAccess(options: PolicyAccessOptions): HubAccess {
  const policyOf =
    typeof options.policy === 'function' ? options.policy : () => options.policy as Policy;
  const fallback = options.defaultPrincipal ?? anonymousPrincipal();
  const principalOf = (value: unknown): Principal => (isPrincipal(value) ? value : fallback);
  const { audit, rateLimiter, consent } = options;
  const peerDefault = options.peerDefault ?? 'deny';
  /** Per policy: its rules that apply to peer callers (deny rules, obligations, allows naming peers). */
  const peerPolicies = new WeakMap<Policy, Policy | undefined>();
  const peerPolicyOf = (policy: Policy): Policy | undefined => {
    if (peerPolicies.has(policy)) return peerPolicies.get(policy);
    // Rules keep the names they have in the whole policy (`#<index>`), for errors and audit.
    const rules = policy.rules
      .map((rule, index) => ({ ...rule, id: rule.id ?? `#${index}` }))
      .filter((rule) => rule.effect !== 'allow' || namesPeers(rule.subjects));
    const peerPolicy = rules.some((rule) => rule.effect === 'allow')
      ? createPolicy(rules)
      : undefined;
    peerPolicies.set(policy, peerPolicy);
    return peerPolicy;
  };
  /**
   * The policy's decision; with `peerDefault: 'deny'`, a peer caller is decided by the rules that
   * name peers (and every deny and obligation rule), and is refused when none allows.
   */
  const decide = (policy: Policy, input: Parameters<Policy['decide']>[0]): PolicyDecision => {
    if (peerDefault === 'allow' || input.principal.authMethod !== 'peer') {
      return policy.decide(input);
    }
    const peerPolicy = peerPolicyOf(policy);
    if (peerPolicy) return peerPolicy.decide(input);
    return {
      allowed: false,
      reason: `No policy rule exports ${input.action} on "${input.target ?? ''}" to peer hubs (an allow rule naming via:<hub>, issuer:<hub> or method:peer).`,
      consentRequired: false,
      rateLimits: [],
    };
  };
  /** Decisions of one call, remembered for its audit record. */
  const decisions = new WeakMap<AccessRequest, PolicyDecision>();

  /** Requests whose refusal `check` already recorded (a policy or rate-limit decision). */
  const refusalRecorded = new WeakSet<AccessRequest>();

  // No async frame of its own (one audit record per forwarded call: issue #18 profile): the
  // audit log's promise, its failures ignored.
  const record = (
    request: AccessRequest,
    event: Parameters<AuditLog['record']>[0],
  ): Promise<void> => {
    if (!audit) return RECORDED;
    const traceId = traceIdOf(request.meta);
    const dropped = request.droppedClaims;
    let recorded: unknown;
    try {
      // Key by key (no conditional spreads), in the order the record always had.
      const input: AuditEventInput = {
        principal: principalOf(request.principal),
        action: request.action,
        target: request.target,
        upstream: request.upstream,
      } as AuditEventInput;
      if (traceId) input.traceId = traceId;
      Object.assign(input, event);
      if (dropped && dropped.length > 0) {
        input.details = { ...event.details, droppedClaims: dropped };
      }
      recorded = audit.record(input);
    } catch {
      return RECORDED;
    }
    return typeof (recorded as Partial<PromiseLike<unknown>> | undefined)?.then === 'function'
      ? Promise.resolve(recorded).then(ignore, ignore)
      : RECORDED;
  };

  /** The rest of `check` once the policy allowed and no rate limit refused: consent. */
  const consentVerdict = (
    request: AccessRequest,
    decision: PolicyDecision,
    principal: Principal,
  ): AccessVerdict | Promise<AccessVerdict> => {
    if (!decision.consentRequired) return ALLOW;
    if (!consent) {
      return {
        kind: 'deny',
        error: hubError(
          'CONSENT_REQUIRED',
          `Calling ${request.target} needs the user's consent, and this hub has no consent ledger configured.`,
          { target: request.target },
        ),
      };
    }
    return consent.decide(request, principal);
  };

  return {
    visible(principal: unknown, action: HubListAction, target: string, item: ListedItem) {
      const policy = policyOf();
      const caller = principalOf(principal);
      if (policy.rules.length === 0 && (peerDefault === 'allow' || caller.authMethod !== 'peer')) {
        return true;
      }
      return decide(policy, {
        principal: caller,
        action: LIST_USE_ACTIONS[action] ?? action,
        target,
        upstream: item.upstream,
        ...(item.annotations ? { annotations: item.annotations } : {}),
      }).allowed;
    },

    // Not async: a call the policy allows without rate limits or consent is decided at once.
    check(request: AccessRequest): AccessVerdict | Promise<AccessVerdict> {
      const principal = principalOf(request.principal);
      const input = {
        principal,
        action: request.action,
        target: request.target,
        upstream: request.upstream,
        ...(request.annotations ? { annotations: request.annotations } : {}),
      };
      const decision = decide(policyOf(), input);
      if (!decision.allowed) {
        const error = policyDeniedError(decision, input);
        refusalRecorded.add(request);
        return record(request, {
          type: 'policy',
          outcome: 'denied',
          ...(decision.rule ? { rule: decision.rule } : {}),
          reason: decision.reason,
        }).then((): AccessVerdict => ({ kind: 'deny', error }));
      }
      decisions.set(request, decision);
      if (rateLimiter && decision.rateLimits.length > 0) {
        return rateLimiter.check(decision.rateLimits).then(async (limited) => {
          if (limited.allowed) return consentVerdict(request, decision, principal);
          refusalRecorded.add(request);
          await record(request, {
            type: 'rate-limit',
            outcome: 'limited',
            ...(limited.rule ? { rule: limited.rule } : {}),
            reason: `retry after ${Math.ceil(limited.retryAfterMs / 1000)} s`,
            details: { retryAfterMs: limited.retryAfterMs, bucket: limited.key },
          });
          return { kind: 'deny', error: rateLimitedError(limited) };
        });
      }
      return consentVerdict(request, decision, principal);
    },

    completed(request, outcome) {
      const decision = decisions.get(request);
      // A tool result with `isError: true` is an error the tool reported, not a success.
      const toolError =
        outcome.ok && (outcome.result as { isError?: unknown } | undefined)?.isError === true;
      // Key by key (no conditional spreads: one record per forwarded call), same keys and order.
      const event: AuditEventInput = {
        type: 'call',
        outcome: outcome.ok && !toolError ? 'success' : 'error',
        latencyMs: outcome.latencyMs,
      };
      if (decision?.rule) event.rule = decision.rule;
      if (request.arguments) event.arguments = request.arguments;
      if (outcome.ok) {
        event.result = outcome.result;
        if (toolError) event.reason = 'the tool reported an error (isError)';
      } else {
        event.reason =
          outcome.error instanceof Error ? outcome.error.message : String(outcome.error);
      }
      return record(request, event);
    },

    refused(request, error) {
      // Policy and rate-limit refusals were recorded when `check` decided them.
      if (refusalRecorded.has(request)) return;
      const code = (error as { code?: unknown }).code;
      const data = (error as { data?: Record<string, unknown> }).data;
      const consent = code === 'CONSENT_REQUIRED';
      // The user's own answer was recorded by the consent ledger when it was given.
      const answered =
        consent && typeof data?.consent === 'string' && data.consent !== 'required' && !data.record;
      if (answered) return;
      return record(request, {
        type: consent ? 'consent' : code === 'RATE_LIMITED' ? 'rate-limit' : 'policy',
        outcome: code === 'RATE_LIMITED' ? 'limited' : 'denied',
        reason: error.message,
        ...(data ? { details: { ...data } } : {}),
      });
    },
  };
}
