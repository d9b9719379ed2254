/** `/replicas`: the replicas of this hub that share its store, with their upstream states. */
import * as z from 'zod';
import type { AdminContext } from '../admin-context.js';
import { type AdminRoute, defineRoute } from '../admin-route.js';
import { ProblemError } from '../problem.js';

const replicaSchema = z
  .object({
    id: z.string(),
    hubId: z.string(),
    address: z.string().optional(),
    startedAt: z.string(),
    heartbeatAt: z.string(),
    expiresAt: z.string().describe('When it drops out unless it renews its lease.'),
    self: z.boolean().describe('Whether it is the replica that answers.'),
    upstreams: z.array(
      z.object({ id: z.string(), state: z.string(), error: z.string().optional() }),
    ),
    configDigest: z
      .string()
      .optional()
      .describe(
        'A digest of its config (credential values masked): differing replicas run different configs.',
      ),
  })
  .meta({ id: 'Replica' });

/** The replica routes. */
export function replicaRoutes(context: Pick<AdminContext, 'cluster'>): AdminRoute[] {
  return [
    defineRoute({
      method: 'GET',
      path: '/replicas',
      operationId: 'listReplicas',
      summary:
        'The live replicas on the shared store (heartbeat leases), with their upstream states; empty on a single hub.',
      tag: 'peers',
      response: z.object({ replicaId: z.string().optional(), replicas: z.array(replicaSchema) }),
      handle: async () => {
        const cluster = context.cluster;
        if (!cluster) return { replicas: [] };
        try {
          const replicas = await cluster.replicas();
          return {
            replicaId: cluster.replicaId,
            replicas: replicas.map((replica) => ({
              ...replica,
              self: replica.id === cluster.replicaId,
            })),
          };
        } catch (error) {
          throw new ProblemError(
            503,
            `The shared store does not answer, so the replicas cannot be listed (${(error as Error).message}); retry once it is back.`,
          );
        }
      },
    }),
  ];
}
