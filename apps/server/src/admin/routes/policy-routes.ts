/** `/policy`: the rules in force, validating a rule set, and explaining a decision. */
import { createPolicy, type Principal } from '@fedmcp/proxy-auth';
import * as z from 'zod';
import type { AdminContext, EdgeAdminContext } from '../admin-context.js';
import { type AdminRoute, defineRoute } from '../admin-route.js';
import { ProblemError } from '../problem.js';

const explainInput = z
  .object({
    subject: z.string().min(1),
    groups: z.array(z.string()).default([]),
    scopes: z.array(z.string()).default([]),
    authMethod: z.enum(['oauth', 'api-key', 'mtls', 'anonymous', 'peer']).default('api-key'),
    action: z.string().min(1).default('tools/call'),
    target: z.string().default(''),
    upstream: z.string().optional(),
  })
  .strict()
  .meta({ id: 'PolicyQuestion' });

/** The policy routes. */
export function policyRoutes(
  context: Pick<AdminContext, 'policy'> & Pick<EdgeAdminContext, 'config'>,
): AdminRoute[] {
  return [
    defineRoute({
      method: 'GET',
      path: '/policy',
      operationId: 'getPolicy',
      summary: 'The policy rules in force, in order.',
      tag: 'policy',
      response: z.object({ rules: z.array(z.record(z.string(), z.unknown())) }),
      handle: async () => ({ rules: context.config().policy?.rules ?? [] }),
    }),
    defineRoute({
      method: 'POST',
      path: '/policy/validate',
      operationId: 'validatePolicy',
      summary: 'Checks a rule set as the config would (422 naming the bad key).',
      tag: 'policy',
      body: z.object({ rules: z.array(z.unknown()) }).strict(),
      response: z.object({ valid: z.literal(true), rules: z.number().int() }),
      handle: async ({ body }) => {
        try {
          const policy = createPolicy(body.rules as never, { configPath: 'rules' });
          return { valid: true as const, rules: policy.rules.length };
        } catch (error) {
          throw new ProblemError(422, (error as Error).message);
        }
      },
    }),
    defineRoute({
      method: 'POST',
      path: '/policy/explain',
      operationId: 'explainPolicy',
      summary: 'The decision for a caller and target, with every rule and why it applies or not.',
      tag: 'policy',
      body: explainInput,
      response: z.object({
        allowed: z.boolean(),
        rule: z.string().optional(),
        reason: z.string(),
        consentRequired: z.boolean(),
        explanation: z.string(),
      }),
      handle: async ({ body }) => {
        const principal: Principal = {
          subject: body.subject,
          groups: body.groups,
          scopes: body.scopes,
          authMethod: body.authMethod,
        };
        const input = {
          principal,
          action: body.action,
          target: body.target,
          ...(body.upstream ? { upstream: body.upstream } : {}),
        };
        const policy = context.policy();
        const decision = policy.decide(input);
        return {
          allowed: decision.allowed,
          ...(decision.rule ? { rule: decision.rule } : {}),
          reason: decision.reason,
          consentRequired: decision.consentRequired,
          explanation: policy.explain(input),
        };
      },
    }),
  ];
}
