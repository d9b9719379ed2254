import { dirname, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import {
  closestName,
  createFedmcpServer,
  createLogger,
  type FedmcpConfig,
  type FedmcpServer,
  isLogLevel,
  logLevels,
  parseConfig,
  watchConfig,
} from '@fedmcp/server';
import type { CliIo } from '../cli-io.js';
import { resolveConfig } from './resolve-config.js';
import { serveBanner } from './serve-banner.js';

/** Options of {@link serveCommand} beyond argv, for embedding and tests. */
export interface ServeCommandOptions {
  /** Resolves when the server should stop. @default SIGINT or SIGTERM */
  stopSignal?: Promise<unknown>;
  /** Called once the hub serves. */
  onReady?: (server: FedmcpServer) => void;
}

function waitForSignal(): Promise<string> {
  return new Promise((resolve) => {
    for (const signal of ['SIGINT', 'SIGTERM'] as const)
      process.once(signal, () => resolve(signal));
  });
}

/**
 * `fedmcp serve [--config FILE] [--host H] [--port N] [--stdio]`: runs the hub. Over HTTP it
 * serves `/mcp` (both protocol eras), `/sse` + `/messages`, `/ws`, `/healthz` and `/readyz`;
 * with `--stdio` it serves MCP on stdin/stdout and logs to stderr only.
 */
export async function serveCommand(
  argv: readonly string[],
  io: CliIo,
  options: ServeCommandOptions = {},
): Promise<number> {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      config: { type: 'string', short: 'c' },
      host: { type: 'string' },
      port: { type: 'string', short: 'p' },
      stdio: { type: 'boolean', default: false },
      'log-level': { type: 'string', default: 'info' },
    },
  });
  const stdio = values.stdio;
  // Over stdio, stdout carries MCP: everything else goes to stderr.
  const say = stdio ? io.stderr : io.stdout;
  const level = values['log-level'];
  if (!isLogLevel(level)) {
    const near = closestName(level, logLevels);
    io.stderr(
      `fedmcp serve: --log-level must be one of ${logLevels.join(', ')}, got "${level}"${near ? ` (did you mean "${near}"?)` : ''}.\n`,
    );
    return 2;
  }
  const { config: loaded, file } = await resolveConfig(values.config);
  const port = values.port === undefined ? undefined : Number(values.port);
  if (port !== undefined && (!Number.isInteger(port) || port < 0 || port > 65535)) {
    io.stderr(`fedmcp serve: --port must be a number between 0 and 65535, got "${values.port}".\n`);
    return 2;
  }
  const withOverrides = (config: FedmcpConfig): FedmcpConfig => ({
    ...config,
    hub: {
      ...config.hub,
      ...(values.host ? { host: values.host } : {}),
      ...(port === undefined ? {} : { port }),
    },
  });
  const logger = createLogger({ level, destination: 2 });
  const server = await createFedmcpServer({ config: withOverrides(loaded), logger });
  try {
    let url: string | undefined;
    if (stdio) await server.serveStdio();
    else ({ url } = await server.listen());
    const storeUrl = server.config.store ?? `sqlite:${join(server.config.hub.dataDir, 'state.db')}`;
    say(serveBanner({ server, url, file, storeUrl }));
    const apply = async (next: FedmcpConfig) => {
      const needRestart = await server.applyConfig(withOverrides(next));
      if (needRestart.length > 0) {
        logger.warn({ keys: needRestart }, 'these config changes apply after a restart');
      }
    };
    // A reload on another replica: its file as written, resolved here with this replica's own
    // environment, secrets and paths; where this replica listens stays its own.
    const stopHearing = server.clusterConfig?.onReload(async (written, origin) => {
      const next = parseConfig(written, file ?? `the config of replica ${origin}`, {
        baseDirectory: file ? dirname(resolve(file)) : process.cwd(),
      });
      const { host, port: ownPort } = server.config.hub;
      await apply({ ...next, hub: { ...next.hub, host, port: ownPort } });
      logger.info({ origin }, 'config reloaded from another replica');
    });
    const stopWatching = file
      ? watchConfig(file, {
          onChange: async (next, written) => {
            await apply(next);
            logger.info({ file }, 'config reloaded');
            await server.clusterConfig?.announce(written.raw);
          },
          onError: (error) =>
            logger.error(
              { file, err: error.message },
              'config change refused; the running config stays',
            ),
        })
      : () => {};
    options.onReady?.(server);
    await (options.stopSignal ?? waitForSignal());
    stopWatching();
    stopHearing?.();
    return 0;
  } finally {
    await server.close();
    logger.flush?.();
  }
}
