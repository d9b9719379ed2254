import { DEFAULT_MAX_HOPS, FEDMCP_VERSION, silentLogger } from '@fedmcp/protocol';
import type { Implementation } from '@modelcontextprotocol/server';
import { connectRemoteUpstream } from './connect-remote-upstream.js';
import { hubError } from './errors.js';
import { createFastRequest } from './handlers/fast-path.js';
import { createModernFastRequest } from './handlers/modern-fast-path.js';
import { DEFAULT_MAX_INSTRUCTIONS_CHARS } from './hub-instructions.js';
import type { Hub, HubOptions } from './hub-options.js';
import { createHubSessionServer, type HubSessionContext } from './hub-session.js';
import { createHubServices } from './services/hub-services.js';
import { isValidId } from './services/upstream-set.js';
import { onHubTaskChange, resumeRunner } from './tasks/hub-task-calls.js';
import { createUpstreamRegistry, splitConfig } from './upstream-registry.js';

const DEFAULT_INFO: Implementation = { name: 'fedmcp', version: FEDMCP_VERSION };

/**
 * Creates a federation hub: one MCP server in front of many upstream MCP servers, forwarding
 * every feature (tools, prompts, resources, completions, logging, subscriptions, list_changed,
 * progress, cancellation, sampling, elicitation, roots, tasks) in both protocol eras.
 *
 * @example
 * ```ts
 * import { createHub } from '@fedmcp/federation/node';
 * const hub = createHub({ upstreams: { everything: { command: 'npx', args: ['@modelcontextprotocol/server-everything'] } } });
 * await hub.start();
 * const host = createMcpHttpHost({ createServer: hub.createServer, fastRequest: hub.fastRequest });
 * ```
 */
export function createHub(options: HubOptions = {}): Hub {
  const hubId = () => {
    const id = typeof options.hubId === 'function' ? options.hubId() : options.hubId;
    if (id !== undefined && !isValidId(id)) {
      throw hubError(
        'INVALID_CONFIG',
        `Invalid hub id "${id}": use 1-32 of a-z, 0-9 and -, starting with a letter or digit.`,
      );
    }
    return id;
  };
  hubId(); // a malformed fixed id fails here, not on the first request
  const services = createHubServices({
    serverInfo: options.serverInfo ?? DEFAULT_INFO,
    clientInfo: options.clientInfo ?? DEFAULT_INFO,
    instructions: options.instructions,
    maxInstructionsChars: options.maxInstructionsChars ?? DEFAULT_MAX_INSTRUCTIONS_CHARS,
    timings: {
      timeoutMs: options.timeoutMs ?? 60_000,
      connectTimeoutMs: options.connectTimeoutMs ?? 30_000,
      healthIntervalMs: options.healthIntervalMs ?? 30_000,
      healthTimeoutMs: options.healthTimeoutMs ?? 10_000,
      reconnectBaseMs: options.reconnectBaseMs ?? 500,
      reconnectMaxMs: options.reconnectMaxMs ?? 30_000,
      failureThreshold: options.failureThreshold ?? 3,
      idleConnectionMs: options.idleConnectionMs ?? 60_000,
    },
    roundTimeoutMs: options.roundTimeoutMs ?? 600_000,
    pageSize: options.pageSize ?? 1_000,
    listChangedDebounceMs: options.listChangedDebounceMs ?? 50,
    failureMode: options.failureMode ?? 'open',
    connector: options.connect ?? connectRemoteUpstream,
    logger: options.logger ?? silentLogger,
    bus: options.bus,
    requestStateKey: options.requestStateKey,
    flowForwarding: options.flowForwarding,
    access: options.access,
    guard: options.catalogGuard,
    hubId,
    maxHops: options.maxHops ?? DEFAULT_MAX_HOPS,
    fastPath: options.fastPath ?? true,
    views: options.views,
    ...(options.discoverCache ? { discoverCache: options.discoverCache } : {}),
    ...(options.tasks ? { tasks: options.tasks } : {}),
    ...(options.upstreamSignIns ? { signIns: options.upstreamSignIns } : {}),
  });
  services.hubTasks.onChange((record) => onHubTaskChange(services, record));
  const { catalog, events } = services;

  const upstreams = createUpstreamRegistry(services);
  const configured = Object.entries(options.upstreams ?? {}).map(([id, config]) => {
    const { spec, options: upstreamOptions } = splitConfig(config);
    return upstreams.register(id, spec, upstreamOptions);
  });

  const close = () => services.close();
  return {
    createServer: (context?: HubSessionContext) => createHubSessionServer(services, context),
    fastRequest: createFastRequest(services),
    modernFastRequest: createModernFastRequest(services),
    upstreams,
    views: services.catalogViews.names(),
    async start() {
      await Promise.all(configured.map((upstream) => upstream.start()));
      await services.catalog.reviewsSettled();
      for (const upstream of configured) {
        const collision = upstreams.collisionError(upstream.id);
        if (collision) throw collision;
      }
      // With the upstreams up: tasks whose hub died are resumed (idempotent) or failed.
      await services.hubTasks.start(resumeRunner(services));
    },
    onUpstreamStateChange: (listener) => events.onUpstreamStateChange(listener),
    bus: services.bus,
    refreshAccess: () => services.notifications.accessChanged(),
    quarantined: () =>
      [...catalog.current.quarantined].map(([name, route]) => ({
        ...route.item,
        exposedName: name,
        name: route.item.name,
        upstream: route.upstream.id,
      })),
    reviewsSettled: () => services.catalog.reviewsSettled(),
    close,
    [Symbol.asyncDispose]: close,
  };
}
