/**
 * `logging/setLevel` (the session's level, and the most verbose one applied upstream) and
 * `notifications/roots/list_changed` (passed to the upstream connections the session's calls
 * hold or owns).
 */
import type { Server } from '@modelcontextprotocol/server';
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
    for (const upstream of services.upstreams.list()) {
      for (const connection of upstream.connections) {
        if (connection.owner === session || held.has(connection)) {
          connection.client?.sendRootsListChanged().catch(() => {});
        }
      }
    }
  });
}
