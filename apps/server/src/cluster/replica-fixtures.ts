/**
 * A `fedmcp serve` replica for the cluster tests: the config parsed as a file would be, served on
 * 127.0.0.1 from its own folder, with its replica id.
 */
import { join } from 'node:path';
import { parseConfig } from '../config/load-config.js';
import { createFedmcpServer } from '../create-fedmcp-server.js';
import type { FedmcpServer, FedmcpServerOptions } from '../fedmcp-server-options.js';

/** What {@link startReplica} needs. */
export interface ReplicaOptions {
  /** The replica id (`FEDMCP_REPLICA_ID`), also its folder under `directory`. */
  name: string;
  /** Where the replicas' folders are. */
  directory: string;
  /** The config, as a config file holds it. */
  config: unknown;
  /** What the config is called in its errors. */
  label: string;
  /** More environment of the replica (the replica id is set). */
  env?: Record<string, string>;
  logger?: FedmcpServerOptions['logger'];
}

/** A listening replica; the caller closes `server`. */
export interface StartedReplica {
  server: FedmcpServer;
  /** `http://127.0.0.1:<port>` */
  base: string;
  /** `<base>/mcp` */
  url: string;
}

/** Starts a replica; close its `server` to stop it. */
export async function startReplica(options: ReplicaOptions): Promise<StartedReplica> {
  const server = await createFedmcpServer({
    config: parseConfig(options.config, options.label, { env: {} }),
    baseDirectory: join(options.directory, options.name),
    env: { FEDMCP_REPLICA_ID: options.name, ...options.env },
    ...(options.logger ? { logger: options.logger } : {}),
  });
  let url: string;
  try {
    ({ url } = await server.listen());
  } catch (error) {
    await server.close();
    throw error;
  }
  const base = url.replace(/\/mcp$/, '');
  return { server, base, url: `${base}/mcp` };
}
