/**
 * The REST facade: `POST /api/v1/tools/{name}:call` with the arguments as the JSON body, for
 * callers that do not speak MCP. Authenticated like `/mcp` (no admin scope needed), and run as an
 * MCP call of an in-process session of the caller: the same policy, rate limits, consent, pinning
 * and audit as any other call.
 */
import * as z from 'zod';
import type { AdminContext } from '../admin-context.js';
import { type AdminRoute, defineRoute } from '../admin-route.js';
import { withHubClient } from '../hub-client.js';
import { ProblemError } from '../problem.js';

const resultSchema = z
  .object({
    content: z.array(z.record(z.string(), z.unknown())),
    structuredContent: z.record(z.string(), z.unknown()).optional(),
    isError: z.boolean().optional(),
  })
  .catchall(z.unknown())
  .meta({ id: 'ToolResult' });

/** JSON-RPC error codes of MCP errors, as HTTP statuses. */
const STATUS_OF_RPC: Record<number, number> = {
  [-32602]: 400, // invalid params: unknown tool, bad arguments
  [-32600]: 400,
  [-32601]: 404,
  [-32002]: 404,
  [-32001]: 504,
};

function statusOf(error: { code?: unknown; data?: unknown; message?: string }): number {
  const fedmcpCode = (error.data as { fedmcpCode?: unknown } | undefined)?.fedmcpCode;
  if (fedmcpCode === 'POLICY_DENIED' || fedmcpCode === 'CONSENT_REQUIRED') return 403;
  if (fedmcpCode === 'RATE_LIMITED') return 429;
  if (fedmcpCode === 'UPSTREAM_UNAVAILABLE') return 502;
  if (typeof error.code === 'number') return STATUS_OF_RPC[error.code] ?? 502;
  return 502;
}

/** The facade's route (its base is `/api/v1`, not the admin API's). */
export function toolCallRoute(context: Pick<AdminContext, 'hub'>): AdminRoute {
  return defineRoute({
    method: 'POST',
    path: '/tools/{name}:call',
    operationId: 'callTool',
    summary: 'Calls a tool with the body as its arguments (policy, consent, audit as over MCP).',
    tag: 'facade',
    params: z.object({ name: z.string().min(1) }),
    body: z.record(z.string(), z.unknown()).optional().describe('The tool’s arguments.'),
    response: resultSchema,
    handle: async ({ params, body, principal }) =>
      withHubClient(context.hub, principal, async (client) => {
        try {
          return await client.callTool({ name: params.name, arguments: body ?? {} });
        } catch (error) {
          const failure = error as { code?: unknown; data?: unknown; message?: string };
          throw new ProblemError(statusOf(failure), failure.message ?? 'The call failed.');
        }
      }),
  });
}
