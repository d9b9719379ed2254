/**
 * `logging/setLevel` (the session's level, and the most verbose one applied upstream) and
 * `notifications/roots/list_changed`: passed to the upstream connections whose questions reach
 * this session's client — the ones it owns (per-session), its caller's (per-principal), the ones
 * its calls lease, and shared ones where a fast-path call of its is attributed — and to no other
 * session's (MCP 2025-11-25 client/roots: the server re-asks `roots/list`, and only this client
 * would answer).
 */
import type { Server } from '@modelcontextprotocol/server';
import { principalKey } from '../pipeline/meta.js';
import { PrincipalOwner } from '../services/principal-owners.js';
import type { SessionScope } from './session-scope.js';

/** Registers the logging and roots handlers of a session. */
export function registerLoggingHandlers(server: Server, scope: SessionScope): void {
  const { services, session } = scope;
  server.setRequestHandler('logging/setLevel', (request) => {
    services.notifications.setLogLevel(session, request.params.level);
    return {};
  });
  server.setNotificationHandler('notifications/roots/list_changed', () => {
    const held = new Set(services.flows.connectionsOf(session));
    const caller = principalKey(session.principal);
    const reaches = (owner: object | undefined) =>
      owner === session || (owner instanceof PrincipalOwner && owner.key === caller);
    for (const upstream of services.upstreams.list()) {
      for (const connection of upstream.connections) {
        if (reaches(connection.owner) || held.has(connection) || connection.serves(session)) {
          connection.client?.sendRootsListChanged().catch(() => {});
        }
      }
    }
  });
}
