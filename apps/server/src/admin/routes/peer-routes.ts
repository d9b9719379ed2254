/** `/peers` and `/status`: the hubs this hub trusts, and the federated health graph. */
import * as z from 'zod';
import type { AdminContext, EdgeAdminContext } from '../admin-context.js';
import { type AdminRoute, defineRoute } from '../admin-route.js';

const peerSchema = z
  .object({
    id: z.string(),
    url: z.string(),
    import: z.boolean().describe('Whether its tools are imported (it is an upstream).'),
    state: z.string().optional().describe('The state of its upstream connection, when imported.'),
    tools: z.number().int().optional(),
  })
  .meta({ id: 'Peer' });

/** The peer and status routes. */
export function peerRoutes(
  context: Pick<AdminContext, 'hub' | 'status'> & Pick<EdgeAdminContext, 'config'>,
): AdminRoute[] {
  return [
    defineRoute({
      method: 'GET',
      path: '/peers',
      operationId: 'listPeers',
      summary: 'The peers of the config, with the state of the imported ones.',
      tag: 'peers',
      response: z.object({ peers: z.array(peerSchema) }),
      handle: async () => {
        const upstreams = new Map(context.hub.upstreams.list().map((up) => [up.id, up]));
        const peers = Object.entries(context.config().peers ?? {}).map(([id, peer]) => {
          const upstream = upstreams.get(id);
          return {
            id,
            url: peer.url,
            import: peer.import !== false,
            ...(upstream ? { state: upstream.state, tools: upstream.tools } : {}),
          };
        });
        return { peers };
      },
    }),
    defineRoute({
      method: 'GET',
      path: '/status',
      operationId: 'federatedStatus',
      summary: 'This hub, its upstreams and peers, and (depth ≥ 1) what each peer reports.',
      tag: 'peers',
      query: z.object({ depth: z.coerce.number().int().min(0).max(8).default(1) }),
      response: z.record(z.string(), z.unknown()).describe('The `/status` document (HubStatus).'),
      handle: async ({ query }) => context.status({ depth: query.depth }),
    }),
  ];
}
