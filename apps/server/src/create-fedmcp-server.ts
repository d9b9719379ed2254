import type { IncomingMessage, ServerResponse } from 'node:http';
import { join } from 'node:path';
import type { Hub, UpstreamStatus } from '@fedmcp/federation';
import { createHub } from '@fedmcp/federation/node';
import type { Store } from '@fedmcp/store';
import { createStore } from '@fedmcp/store/node';
import {
  createMcpHttpHost,
  createStdioHost,
  type McpHttpHost,
  type McpHttpHostAddress,
  type StdioHost,
} from '@fedmcp/transports/node';
import type { FedmcpConfig } from './config/config-schema.js';
import {
  type ConfiguredUpstream,
  toUpstreamConfig,
  upstreamsFromConfig,
} from './upstreams-from-config.js';

/** The logger shape the server takes (pino's). */
export interface ServerLogger {
  debug(...args: unknown[]): void;
  info(...args: unknown[]): void;
  warn(...args: unknown[]): void;
  error(...args: unknown[]): void;
  child(bindings: Record<string, unknown>): ServerLogger;
}

/** Options of {@link createFedmcpServer}. */
export interface FedmcpServerOptions {
  /** The validated config (see `loadConfig`). */
  config: FedmcpConfig;
  /** pino-shaped logger. @default silent */
  logger?: ServerLogger;
  /** Where `/` relative paths of the config (data directory, sqlite file) start. @default process.cwd() */
  baseDirectory?: string;
}

/** A running fedmcp hub: the hub, its store and the hosts serving it. */
export interface FedmcpServer extends AsyncDisposable {
  readonly hub: Hub;
  readonly store: Store;
  /** The config in force (after hot reloads). */
  readonly config: FedmcpConfig;
  /** Serves `/mcp`, `/sse` + `/messages`, `/ws`, `/healthz` and `/readyz` on the configured host and port. */
  listen(): Promise<McpHttpHostAddress>;
  /** Serves the hub over this process's stdin/stdout (for Claude Desktop and other stdio hosts). */
  serveStdio(): Promise<StdioHost>;
  /**
   * Applies a new config while running: upstreams added, removed or changed are applied without
   * dropping client sessions. Changes of `hub` or `store` need a restart and are reported.
   * @returns the keys whose change needs a restart.
   */
  applyConfig(config: FedmcpConfig): Promise<string[]>;
  /** Upstreams and their states. */
  upstreams(): UpstreamStatus[];
  /** Stops serving (draining in-flight requests), closes every upstream and the store. */
  close(): Promise<void>;
}

const silentLogger: ServerLogger = {
  debug() {},
  info() {},
  warn() {},
  error() {},
  child() {
    return silentLogger;
  },
};

function sendJson(response: ServerResponse, status: number, body: unknown): void {
  response.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' });
  response.end(JSON.stringify(body));
}

/**
 * Wires the fedmcp packages together from a config: the store, the hub with the configured
 * upstreams, and one HTTP host serving every transport plus health routes.
 *
 * @example
 * ```ts
 * const server = await createFedmcpServer({ config: await loadConfig('fedmcp.config.json') });
 * const { url } = await server.listen();
 * ```
 */
export async function createFedmcpServer(options: FedmcpServerOptions): Promise<FedmcpServer> {
  const logger = options.logger ?? silentLogger;
  const baseDirectory = options.baseDirectory ?? process.cwd();
  let config = options.config;
  const storeUrl = config.store ?? `sqlite:${join(baseDirectory, config.hub.dataDir, 'state.db')}`;
  const store = await createStore(storeUrl);
  let configured = upstreamsFromConfig(config);

  const hub = createHub({
    serverInfo: { name: config.hub.name ?? 'fedmcp', version: '0.1.0' },
    upstreams: Object.fromEntries(
      [...configured].map(([id, entry]) => [id, toUpstreamConfig(entry)]),
    ),
    logger: logger.child({ component: 'hub' }),
  });
  try {
    await hub.start();
  } catch (error) {
    await hub.close();
    await store.close();
    throw error;
  }

  const hosts: Array<McpHttpHost | StdioHost> = [];

  const healthRoutes = (request: IncomingMessage, response: ServerResponse): boolean => {
    const path = (request.url ?? '/').split('?')[0];
    if (path === '/healthz') {
      sendJson(response, 200, { status: 'ok' });
      return true;
    }
    if (path === '/readyz') {
      const upstreams = hub.upstreams.list();
      const blocking = upstreams.filter((upstream) => upstream.state !== 'ready');
      const ready = blocking.length === 0;
      sendJson(response, ready ? 200 : 503, {
        status: ready ? 'ready' : 'degraded',
        upstreams: upstreams.map(({ id, state, error }) => ({
          id,
          state,
          ...(error ? { error } : {}),
        })),
      });
      return true;
    }
    return false;
  };

  const server: FedmcpServer = {
    hub,
    store,
    get config() {
      return config;
    },
    async listen() {
      const host = createMcpHttpHost({
        createServer: (context) => hub.createServer(context),
        host: config.hub.host,
        port: config.hub.port,
        transports: config.hub.transports,
        ...(config.hub.allowedHosts ? { allowedHosts: config.hub.allowedHosts } : {}),
        ...(config.hub.allowedOrigins ? { allowedOrigins: config.hub.allowedOrigins } : {}),
        bus: hub.bus,
        onRequest: healthRoutes,
        logger: logger.child({ component: 'http' }),
      });
      hosts.push(host);
      return host.listen();
    },
    async serveStdio() {
      const host = createStdioHost({ createServer: (context) => hub.createServer(context) });
      hosts.push(host);
      return host;
    },
    async applyConfig(next) {
      const nextConfigured = upstreamsFromConfig(next);
      for (const id of configured.keys()) {
        if (!nextConfigured.has(id)) {
          logger.info({ upstream: id }, 'upstream removed by config');
          await hub.upstreams.remove(id);
        }
      }
      for (const [id, entry] of nextConfigured) {
        const previous: ConfiguredUpstream | undefined = configured.get(id);
        if (!previous) {
          logger.info({ upstream: id }, 'upstream added by config');
          await hub.upstreams.add(id, entry.spec, entry.options);
        } else if (
          JSON.stringify(toUpstreamConfig(previous)) !== JSON.stringify(toUpstreamConfig(entry))
        ) {
          logger.info({ upstream: id }, 'upstream changed by config');
          await hub.upstreams.replace(id, entry.spec, entry.options);
        }
      }
      const needRestart = (['hub', 'store'] as const).filter(
        (key) => JSON.stringify(config[key]) !== JSON.stringify(next[key]),
      );
      configured = nextConfigured;
      config = next;
      return needRestart;
    },
    upstreams: () => hub.upstreams.list(),
    async close() {
      await Promise.allSettled(hosts.map((host) => host.close()));
      await hub.close();
      await store.close();
    },
    async [Symbol.asyncDispose]() {
      await server.close();
    },
  };
  return server;
}
