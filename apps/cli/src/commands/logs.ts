import { parseArgs } from 'node:util';
import type { AuditEvent } from '@fedmcp/proxy-auth';
import { closestName, upstreamIdFromName } from '@fedmcp/server';
import type { CliIo } from '../cli-io.js';
import {
  formatAuditEvent,
  runTailCommand,
  tailArgumentOptions,
  waitForSignal,
} from './audit-stream.js';
import { CliUsageError, credentialHeaders } from './connect-target.js';
import { readAdminCallLog } from './logs-admin.js';
import { resolveConfig } from './resolve-config.js';

/** What {@link logsCommand} takes besides argv, for embedding and tests. */
export interface LogsCommandOptions {
  /** Resolves when `--follow` should stop. @default SIGINT or SIGTERM */
  stopSignal?: Promise<unknown>;
  /** How often `--follow` looks for new calls. @default 1000 */
  pollIntervalMs?: number;
}

/** The events of the call log: forwarded calls and the refusals of calls (policy, rate limits, consent). */
const isCallLogEvent = (event: AuditEvent) =>
  event.type === 'call' ||
  ((event.type === 'policy' || event.type === 'rate-limit' || event.type === 'consent') &&
    event.outcome !== 'allowed' &&
    event.outcome !== 'success');

/** `logs --url`: the call log through the hub's admin API. */
async function logsAtUrl(
  url: string,
  values: {
    follow: boolean;
    lines: string;
    json: boolean;
    upstream?: string | undefined;
    header?: string[] | undefined;
    token?: string | undefined;
  },
  io: CliIo,
  options: LogsCommandOptions,
): Promise<number> {
  const lines = Number(values.lines);
  let headers: Record<string, string>;
  try {
    if (!Number.isInteger(lines) || lines < 0) {
      throw new CliUsageError(`--lines must be a whole number, got "${values.lines}".`);
    }
    headers = credentialHeaders(values);
  } catch (error) {
    if (!(error instanceof CliUsageError)) throw error;
    io.stderr(`fedmcp logs: ${error.message}\n`);
    return 2;
  }
  await readAdminCallLog({
    url,
    headers,
    upstream: values.upstream,
    lines,
    follow: values.follow,
    print: (event) =>
      io.stdout(`${values.json ? JSON.stringify(event) : formatAuditEvent(event)}\n`),
    stop: options.stopSignal ?? (values.follow ? waitForSignal() : Promise.resolve()),
  });
  return 0;
}

/**
 * `fedmcp logs [--follow] [--upstream ID] [--lines N] [--json] [--config FILE]`: the hub's call
 * log — each forwarded call with its caller (and delegation chain), outcome and latency, and each
 * refused call — read from the store the hub writes its audit stream to, so it works while the
 * hub runs (SQLite in its data directory, or Redis/Postgres shared by its replicas). With `--url`
 * (and `--token` of an admin key), the hub's admin API instead: its last calls, or `--follow` its
 * live call log (Server-Sent Events).
 */
export async function logsCommand(
  argv: readonly string[],
  io: CliIo,
  options: LogsCommandOptions = {},
): Promise<number> {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      ...tailArgumentOptions,
      upstream: { type: 'string' },
      url: { type: 'string' },
      header: { type: 'string', short: 'H', multiple: true },
      token: { type: 'string' },
    },
  });
  const upstream = values.upstream;
  if (values.url !== undefined) return logsAtUrl(values.url, values, io, options);
  if (upstream !== undefined) {
    // An upstream added at run time (admin API) is not in the file: a note, not an error.
    const { config } = await resolveConfig(values.config);
    const known = [
      ...Object.keys(config.mcpServers).map(upstreamIdFromName),
      ...Object.keys(config.peers ?? {}),
    ];
    if (!known.includes(upstream)) {
      const near = closestName(upstream, known);
      io.stderr(
        `fedmcp logs: the config has no upstream "${upstream}"${near ? ` (did you mean "${near}"?)` : ''}.\n`,
      );
    }
  }
  return runTailCommand(io, {
    values,
    command: 'logs',
    what: 'call log',
    filter: (event) =>
      isCallLogEvent(event) && (upstream === undefined || event.upstream === upstream),
    stopSignal: options.stopSignal,
    pollIntervalMs: options.pollIntervalMs,
  });
}
