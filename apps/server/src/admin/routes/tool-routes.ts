/**
 * `/tools`: the catalog with each tool's origin and pin state, the changes held back by pinning,
 * their diffs, and approving them.
 */
import { NAME_SEPARATOR } from '@fedmcp/federation';
import { readOrigin } from '@fedmcp/protocol';
import type { Tool } from '@modelcontextprotocol/client';
import * as z from 'zod';
import type { AdminContext } from '../admin-context.js';
import { type AdminRoute, defineRoute } from '../admin-route.js';
import { withHubClient } from '../hub-client.js';
import { ProblemError } from '../problem.js';

const toolSchema = z
  .object({
    name: z.string().describe('The name callers see (prefixed with its upstream).'),
    upstream: z.string().optional(),
    upstreamName: z
      .string()
      .optional()
      .describe('The upstream’s own name of a quarantined tool (for approve and diff).'),
    description: z.string().optional(),
    origin: z
      .object({ hubs: z.array(z.string()), upstreamId: z.string() })
      .optional()
      .describe('The hubs it came through (federated tools) and its upstream at the last one.'),
    pin: z
      .enum(['pinned', 'quarantined', 'unpinned'])
      .describe('unpinned: pinning is off; quarantined: held back until approved.'),
    reason: z.string().optional().describe('Why a quarantined tool is held back.'),
  })
  .meta({ id: 'Tool' });

const pendingSchema = z
  .object({
    upstream: z.string(),
    kind: z.enum(['tool', 'prompt']),
    name: z.string(),
    reason: z.string(),
    changed: z.array(z.string()),
    detectedAt: z.string(),
    digest: z.string().describe('Pass it to approve to approve exactly this definition.'),
  })
  .meta({ id: 'PendingChange' });

const itemParams = z.object({ upstream: z.string().min(1), name: z.string().min(1) });
const kindQuery = z.object({ kind: z.enum(['tool', 'prompt']).default('tool') });

async function listAll(
  context: Pick<AdminContext, 'hub'>,
  principal: Parameters<typeof withHubClient>[1],
) {
  return withHubClient(context.hub, principal, async (client) => {
    const tools: Tool[] = [];
    let cursor: string | undefined;
    do {
      const page = await client.listTools(cursor ? { cursor } : {});
      tools.push(...page.tools);
      cursor = page.nextCursor;
    } while (cursor);
    return tools;
  });
}

function upstreamOf(context: Pick<AdminContext, 'hub'>, name: string): string | undefined {
  return context.hub.upstreams
    .list()
    .find((upstream) =>
      upstream.prefix === false ? false : name.startsWith(`${upstream.prefix}${NAME_SEPARATOR}`),
    )?.id;
}

/** The tool routes. */
export function toolRoutes(context: Pick<AdminContext, 'hub' | 'pinning'>): AdminRoute[] {
  const requirePinning = () => {
    if (!context.pinning) {
      throw new ProblemError(409, 'Pinning is off (pinning.enabled: false): nothing is held back.');
    }
    return context.pinning;
  };
  return [
    defineRoute({
      method: 'GET',
      path: '/tools',
      operationId: 'listTools',
      summary: 'The tools the admin principal sees, and the ones pinning holds back.',
      tag: 'tools',
      response: z.object({ tools: z.array(toolSchema) }),
      handle: async ({ principal }) => {
        const pin = context.pinning ? ('pinned' as const) : ('unpinned' as const);
        const listed = (await listAll(context, principal)).map((tool) => {
          const origin = readOrigin(tool._meta);
          const upstream = origin?.upstreamId ?? upstreamOf(context, tool.name);
          return {
            name: tool.name,
            ...(upstream ? { upstream } : {}),
            ...(tool.description ? { description: tool.description } : {}),
            ...(origin ? { origin } : {}),
            pin,
          };
        });
        const held = context.hub
          .quarantined()
          .filter((item) => item.kind === 'tool')
          .map((item) => ({
            name: item.exposedName,
            upstream: item.upstream,
            upstreamName: item.name,
            pin: 'quarantined' as const,
            reason: item.reason,
          }));
        const heldNames = new Set(held.map((item) => item.name));
        return { tools: [...listed.filter((tool) => !heldNames.has(tool.name)), ...held] };
      },
    }),
    defineRoute({
      method: 'GET',
      path: '/tools/pending',
      operationId: 'listPendingChanges',
      summary: 'Tools and prompts held back by pinning (new or changed), awaiting approval.',
      tag: 'tools',
      response: z.object({ pending: z.array(pendingSchema) }),
      handle: async () => ({
        pending: (await requirePinning().pending()).map((change) => ({
          upstream: change.upstream,
          kind: change.kind,
          name: change.name,
          reason: change.reason,
          changed: change.changed,
          detectedAt: change.detectedAt,
          digest: change.after.digest,
        })),
      }),
    }),
    defineRoute({
      method: 'GET',
      path: '/tools/{upstream}/{name}/diff',
      operationId: 'diffTool',
      summary: 'A readable field diff of a held-back definition against its pin.',
      tag: 'tools',
      params: itemParams,
      query: kindQuery,
      response: z.object({ diff: z.string() }),
      handle: async ({ params, query }) => {
        const diff = await requirePinning().diff(params.upstream, query.kind, params.name);
        if (diff === undefined) {
          throw new ProblemError(404, `Nothing of ${params.upstream}/${params.name} is pending.`);
        }
        return { diff };
      },
    }),
    defineRoute({
      method: 'POST',
      path: '/tools/{upstream}/{name}/approve',
      operationId: 'approveTool',
      summary: 'Pins the held-back definition (name "*": every pending item of the upstream).',
      tag: 'tools',
      params: itemParams,
      query: kindQuery,
      body: z.object({ digest: z.string().optional() }).strict().optional(),
      response: z.object({
        approved: z.array(z.object({ upstream: z.string(), kind: z.string(), name: z.string() })),
      }),
      handle: async ({ params, query, body, principal }) => {
        const approved = await requirePinning().approve(params.upstream, query.kind, params.name, {
          by: principal.subject,
          ...(body?.digest ? { digest: body.digest } : {}),
        });
        if (approved.length === 0) {
          throw new ProblemError(404, `Nothing of ${params.upstream}/${params.name} is pending.`);
        }
        // The hub reviews its lists again under the new pins: answer once it lists what was
        // approved (until then the upstream's items are in neither its list nor its held ones).
        await context.hub.reviewsSettled();
        return {
          approved: approved.map(({ upstream, kind, name }) => ({ upstream, kind, name })),
        };
      },
    }),
  ];
}
