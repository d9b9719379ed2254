// @fedmcp/federation/node: the hub with Node's stdio upstreams built in.
import { createHub as createWebHub } from '../create-hub.js';
import type { Hub, HubOptions } from '../hub-options.js';
import { connectNodeUpstream } from './connect-stdio-upstream.js';

export { connectNodeUpstream } from './connect-stdio-upstream.js';

/**
 * {@link createWebHub | createHub} with stdio upstreams (`{ command, args, env }`) supported
 * by default, next to remote ones.
 *
 * @example
 * ```ts
 * const hub = createHub({ upstreams: { everything: { command: 'node', args: ['server.js', 'stdio'] } } });
 * await hub.start();
 * ```
 */
export function createHub(options: HubOptions = {}): Hub {
  return createWebHub({ connect: connectNodeUpstream, ...options });
}
export {
  createHubServer,
  type HubServer,
  type HubServerOptions,
} from './create-hub-server.js';
export {
  type HubIdentityFile,
  type HubIdentityFileOptions,
  openHubIdentityFile,
} from './open-hub-identity-file.js';
export {
  type NodeRoute,
  type NodeRouteOptions,
  sendWebResponse,
  toNodeRoute,
  toWebRequest,
} from './to-node-route.js';
