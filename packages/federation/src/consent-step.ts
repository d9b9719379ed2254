/**
 * The consent step of {@link createPolicyAccess}: a call whose policy rule says
 * `consent: 'required'` goes through when the consent ledger has a grant for the caller and
 * target; otherwise the user is asked through a form-mode elicitation (allow once, allow for a
 * period, always allow, deny) and the answer is recorded. A client that cannot answer gets
 * `CONSENT_REQUIRED` with the command an operator can pre-grant with.
 */
import {
  argsDigest,
  type ConsentLedger,
  consentElicitation,
  type Principal,
  parseConsentAnswer,
} from '@fedmcp/proxy-auth';
import { hubError } from './errors.js';
import type { AccessRequest, AccessVerdict } from './hub-access.js';
import { type ConsentStep, traceIdOf } from './policy-access.js';

/** Options of {@link createConsentStep}. */
export interface ConsentStepOptions {
  /** Where grants and denials are kept (share its store between replicas). */
  ledger: ConsentLedger;
  /** The periods offered with "allow for a period". @default ['15m', '1h', '8h', '24h'] */
  periodOptions?: readonly string[];
  /** Grants given through the question cover only calls with the same arguments. @default false */
  bindArguments?: boolean;
}

function quote(value: string): string {
  return /^[\w@.:*/-]+$/.test(value) ? value : `'${value.replaceAll("'", "'\\''")}'`;
}

/**
 * Builds the consent step of a hub from a consent ledger.
 *
 * @example
 * ```ts
 * const consent = createConsentStep({ ledger: createConsentLedger({ kv: store.kv, audit }) });
 * const access = createPolicyAccess({ policy, audit, consent });
 * ```
 */
export function createConsentStep(options: ConsentStepOptions): ConsentStep {
  const { ledger, periodOptions, bindArguments = false } = options;
  return {
    async decide(request: AccessRequest, principal: Principal): Promise<AccessVerdict> {
      const subject = principal.subject;
      const target = request.target;
      const digest = bindArguments ? await argsDigest(request.arguments ?? {}) : undefined;
      const traceId = traceIdOf(request.meta);
      const context = {
        principal,
        upstream: request.upstream,
        action: request.action,
        ...(traceId ? { traceId } : {}),
      };
      const found = await ledger.check({
        subject,
        target,
        ...(digest ? { argsDigest: digest } : {}),
        ...context,
      });
      if (found?.decision === 'allow') return { kind: 'allow' };
      if (found?.decision === 'deny') {
        return {
          kind: 'deny',
          error: hubError(
            'CONSENT_REQUIRED',
            `Consent to call ${target} was denied (recorded ${found.grantedAt}). To ask again, revoke the denial: fedmcp consent revoke --id ${found.id}`,
            { target, consent: 'denied', record: found.id },
          ),
        };
      }
      if (!request.canElicit) {
        const grant = `fedmcp consent grant --subject ${quote(subject)} --target ${quote(target)} --for 1h`;
        return {
          kind: 'deny',
          error: hubError(
            'CONSENT_REQUIRED',
            `Calling ${target} needs the user's consent, and this client cannot answer a consent question (it does not support form-mode elicitation). An operator can pre-grant it: ${grant} (or --always).`,
            { target, subject, consent: 'required', grantCommand: grant },
          ),
        };
      }
      const elicitation = consentElicitation({
        target,
        upstream: request.upstream,
        ...(request.title ? { title: request.title } : {}),
        ...(request.description ? { description: request.description } : {}),
        arguments: request.arguments ?? {},
        ...(periodOptions ? { periodOptions } : {}),
      });
      return {
        kind: 'ask',
        elicitation,
        async answer(result): Promise<AccessVerdict> {
          const answer = parseConsentAnswer(result, periodOptions ? { periodOptions } : {});
          // Standing answers are stored; one-call answers are only audited.
          await ledger.recordAnswer({
            subject,
            target,
            answer,
            upstream: request.upstream,
            principal,
            ...(digest ? { argsDigest: digest } : {}),
            ...(traceId ? { traceId } : {}),
          });
          if (answer.decision === 'allow') return { kind: 'allow' };
          return {
            kind: 'deny',
            error: hubError(
              'CONSENT_REQUIRED',
              answer.action === 'accept'
                ? `The user denied calling ${target}; the denial is recorded (fedmcp consent list shows it, fedmcp consent revoke removes it).`
                : `The user did not consent to calling ${target} (${answer.action}).`,
              { target, consent: answer.action === 'accept' ? 'denied' : answer.action },
            ),
          };
        },
      };
    },
  };
}
