/** `/consent`: the consent ledger — list, grant and revoke standing decisions. */
import * as z from 'zod';
import type { AdminContext } from '../admin-context.js';
import { type AdminRoute, defineRoute } from '../admin-route.js';
import { ProblemError } from '../problem.js';

const grantSchema = z
  .object({
    id: z.string(),
    subject: z.string(),
    target: z.string(),
    decision: z.enum(['allow', 'deny']),
    scope: z.enum(['once', 'until', 'always']),
    argsDigest: z.string().optional(),
    grantedAt: z.string(),
    expiresAt: z.string().optional(),
    grantedVia: z.enum(['elicitation', 'cli', 'api']),
    upstream: z.string().optional(),
  })
  .meta({ id: 'ConsentGrant' });

const grantInput = z
  .object({
    subject: z.string().min(1).describe('A principal subject, or "*" for everyone.'),
    target: z.string().min(1).describe('A tool name or a glob such as github__*.'),
    decision: z.enum(['allow', 'deny']).default('allow'),
    scope: z.enum(['once', 'until', 'always']).default('always'),
    periodMs: z.number().int().positive().optional().describe('Required for scope "until".'),
    upstream: z.string().optional(),
  })
  .strict()
  .meta({ id: 'ConsentGrantInput' });

/** The consent routes. */
export function consentRoutes(context: Pick<AdminContext, 'consent'>): AdminRoute[] {
  return [
    defineRoute({
      method: 'GET',
      path: '/consent',
      operationId: 'listConsent',
      summary: 'Standing consent decisions, optionally of one subject or target.',
      tag: 'consent',
      query: z.object({ subject: z.string().optional(), target: z.string().optional() }),
      response: z.object({ grants: z.array(grantSchema) }),
      handle: async ({ query }) => ({
        grants: await context.consent.list({
          ...(query.subject ? { subject: query.subject } : {}),
          ...(query.target ? { target: query.target } : {}),
        }),
      }),
    }),
    defineRoute({
      method: 'POST',
      path: '/consent',
      operationId: 'grantConsent',
      summary: 'Records a consent decision (audited, applies on every replica at the next call).',
      tag: 'consent',
      body: grantInput,
      response: grantSchema,
      status: 201,
      handle: async ({ body, principal }) =>
        context.consent.record({
          subject: body.subject,
          target: body.target,
          decision: body.decision,
          scope: body.scope,
          ...(body.periodMs ? { periodMs: body.periodMs } : {}),
          ...(body.upstream ? { upstream: body.upstream } : {}),
          grantedVia: 'api',
          principal,
        }),
    }),
    defineRoute({
      method: 'DELETE',
      path: '/consent/{id}',
      operationId: 'revokeConsent',
      summary: 'Revokes one consent decision (audited).',
      tag: 'consent',
      params: z.object({ id: z.string().min(1) }),
      status: 204,
      handle: async ({ params, principal }) => {
        const removed = await context.consent.revoke({ id: params.id, principal });
        if (removed === 0) throw new ProblemError(404, `No consent grant "${params.id}".`);
        return undefined;
      },
    }),
  ];
}
