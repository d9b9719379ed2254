import { parseArgs } from 'node:util';
import { type HubStatus, type HubStatusUpstream, hubStatusUrl } from '@fedmcp/federation';
import { createFedmcpServer } from '@fedmcp/server';
import type { CliIo } from '../cli-io.js';
import { CliUsageError, credentialHeaders, credentialOptions } from './connect-target.js';
import { resolveConfig } from './resolve-config.js';
import { findRunningHub, noRunningHubMessage } from './running-hub.js';

const USAGE =
  'Usage: fedmcp status [--config FILE | --url URL [--header "Name: value"]... [--token T]] [--offline] [--depth N] [--json]';

/** Long errors (a PATH in a spawn error) cut for one line; `--json` has them whole. */
function shorten(text: string): string {
  const line = text.replace(/\s+/g, ' ');
  return line.length > 120 ? `${line.slice(0, 119)}…` : line;
}

function upstreamLines(upstream: HubStatusUpstream, indent: string): string[] {
  const tools = `${upstream.tools} tool${upstream.tools === 1 ? '' : 's'}`;
  const lines = [
    `${indent}${upstream.id.padEnd(16)} ${upstream.kind.padEnd(6)} ${upstream.state.padEnd(10)} ${tools}${upstream.error ? `  (${shorten(upstream.error)})` : ''}`,
  ];
  const report = upstream.peer;
  if (report === undefined) return lines;
  const inner = `${indent}    `;
  if (report.reachable === true) {
    lines.push(...hubLines(report.status, inner));
  } else if (report.reachable === false) {
    lines.push(`${inner}unreachable: ${report.error}`);
  } else {
    lines.push(`${inner}not asked: ${report.reason}`);
  }
  return lines;
}

/** The `cluster` part a replica on a shared store adds to `/status`. */
interface ClusterPart {
  replica: string;
  store: 'ok' | 'unreachable';
  replicas?: Array<{
    id: string;
    address?: string;
    heartbeatAt: string;
    upstreams: Array<{ id: string; state: string }>;
    configDigest?: string;
  }>;
}

function clusterLines(cluster: ClusterPart, indent: string, now: number): string[] {
  if (!cluster.replicas) {
    return [
      `${indent}replicas: unknown (the shared store does not answer; asked replica ${cluster.replica})`,
    ];
  }
  const lines = [`${indent}replicas: ${cluster.replicas.length} (answered by ${cluster.replica})`];
  for (const replica of cluster.replicas) {
    const age = Math.max(0, (now - Date.parse(replica.heartbeatAt)) / 1000).toFixed(1);
    const upstreams =
      replica.upstreams.map(({ id, state }) => `${id} ${state}`).join(', ') || 'no upstreams';
    const config = replica.configDigest ? `config ${replica.configDigest}  ` : '';
    lines.push(
      `${indent}  ${replica.id.padEnd(24)} ${(replica.address ?? '-').padEnd(24)} heartbeat ${age} s ago  ${config}${upstreams}`,
    );
  }
  const digests = new Set(cluster.replicas.map((replica) => replica.configDigest).filter(Boolean));
  if (digests.size > 1) {
    lines.push(
      `${indent}  warning: the replicas run ${digests.size} different configs; deploy the same config file to every replica`,
    );
  }
  return lines;
}

/** The human-readable lines of a hub status, peers' upstreams indented under each peer. */
export function formatHubStatus(status: HubStatus, indent = '', now = Date.now()): string {
  const cluster = (status as HubStatus & { cluster?: ClusterPart }).cluster;
  const lines = hubLines(status, indent);
  if (cluster) lines.push(...clusterLines(cluster, `${indent}  `, now));
  return `${lines.join('\n')}\n`;
}

function hubLines(status: HubStatus, indent: string): string[] {
  const lines = [
    `${indent}hub ${status.hub.id} (${status.hub.name} ${status.hub.version}): ${status.status}`,
  ];
  if (status.upstreams.length === 0) lines.push(`${indent}  no upstreams`);
  for (const upstream of status.upstreams) lines.push(...upstreamLines(upstream, `${indent}  `));
  return lines;
}

async function statusAtUrl(
  url: string,
  headers: Record<string, string>,
  depth: number | undefined,
): Promise<HubStatus> {
  const target = hubStatusUrl(url, depth === undefined ? {} : { depth });
  const response = await fetch(target, {
    headers: { ...headers, accept: 'application/json' },
    signal: AbortSignal.timeout(30_000),
  });
  const text = await response.text();
  if (!response.ok) {
    const reason = /^[\x20-\x7e]{1,300}$/.test(text) ? `: ${text}` : '';
    const hint =
      response.status === 401 && Object.keys(headers).length === 0
        ? '\nThe hub wants credentials: give --token KEY (an API key or token) or --header "Name: value".'
        : '';
    throw new Error(`${target} answered HTTP ${response.status}${reason}${hint}`);
  }
  return JSON.parse(text) as HubStatus;
}

/**
 * `fedmcp status [--config FILE | --url URL [--token T]] [--offline] [--depth N] [--json]`: the
 * hub's upstreams and peers with their states, and each peer's upstreams (as the peer reports
 * them) indented under it. Asks `--url`, else the config's hub running on its port; `--offline`
 * starts the config's hub in this process instead. Exits 0 when every upstream is ready, 1 when
 * one is not or the hub cannot be reached, 2 on a usage mistake.
 */
export async function statusCommand(
  argv: readonly string[],
  io: CliIo,
  options: {
    /** Where the data directory of a `--config` hub (its keys) is. @default process.cwd() */
    baseDirectory?: string;
  } = {},
): Promise<number> {
  let values: {
    config?: string | undefined;
    url?: string | undefined;
    json?: boolean | undefined;
    depth?: string | undefined;
    header?: string[] | undefined;
    token?: string | undefined;
    offline?: boolean | undefined;
  };
  let headers: Record<string, string>;
  let depth: number | undefined;
  try {
    ({ values } = parseArgs({
      args: [...argv],
      options: {
        config: { type: 'string', short: 'c' },
        url: { type: 'string' },
        depth: { type: 'string' },
        json: { type: 'boolean', default: false },
        ...credentialOptions,
      },
    }));
    headers = credentialHeaders(values);
    if (values.depth !== undefined) {
      if (!/^\d{1,2}$/.test(values.depth)) throw new CliUsageError('--depth must be 0, 1, 2…');
      depth = Number(values.depth);
    }
    if (values.url !== undefined && values.config !== undefined) {
      throw new CliUsageError('give either --url or --config, not both.');
    }
    if (values.url !== undefined && values.offline) {
      throw new CliUsageError('give either --url or --offline, not both.');
    }
    if (values.offline && Object.keys(headers).length > 0) {
      throw new CliUsageError(
        '--header and --token are sent to a running hub: an --offline hub runs in this process.',
      );
    }
  } catch (error) {
    if (!(error instanceof CliUsageError) && (error as { code?: unknown }).code === undefined) {
      throw error;
    }
    io.stderr(`fedmcp status: ${(error as Error).message}\n${USAGE}\n`);
    return 2;
  }

  let status: HubStatus;
  let url = values.url;
  const resolved = url === undefined ? await resolveConfig(values.config) : undefined;
  if (resolved && !values.offline) {
    const running = await findRunningHub(resolved.config);
    if (running === undefined) {
      io.stderr(`fedmcp status: ${noRunningHubMessage(resolved.config)}\n`);
      return 1;
    }
    url = `${running}/mcp`;
  }
  if (url !== undefined) {
    try {
      status = await statusAtUrl(url, headers, depth);
    } catch (error) {
      io.stderr(`fedmcp status: ${(error as Error).message}\n`);
      return 1;
    }
  } else {
    // --offline: the hub of the config, in this process (no port, state in memory), asks its
    // peers itself.
    const { config } = resolved ?? (await resolveConfig(values.config));
    const server = await createFedmcpServer({
      config: { ...config, store: 'memory:' },
      ...(options.baseDirectory ? { baseDirectory: options.baseDirectory } : {}),
    });
    try {
      status = await server.status(depth === undefined ? {} : { depth });
    } finally {
      await server.close();
    }
  }
  io.stdout(values.json ? `${JSON.stringify(status, null, 2)}\n` : formatHubStatus(status));
  return status.status === 'ready' ? 0 : 1;
}
