import { parseArgs } from 'node:util';
import type { AuditEvent } from '@fedmcp/proxy-auth';
import type { CliIo } from '../cli-io.js';
import {
  formatAuditEvent,
  openConfigStore,
  tailAuditEvents,
  waitForSignal,
} from './audit-stream.js';
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

/**
 * `fedmcp logs [--follow] [--upstream ID] [--lines N] [--json] [--config FILE]`: the hub's call
 * log — each forwarded call with its caller (and delegation chain), outcome and latency, and each
 * refused call — read from the store the hub writes its audit stream to, so it works while the
 * hub runs (SQLite in its data directory, or Redis/Postgres shared by its replicas).
 */
export async function logsCommand(
  argv: readonly string[],
  io: CliIo,
  options: LogsCommandOptions = {},
): Promise<number> {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      config: { type: 'string', short: 'c' },
      follow: { type: 'boolean', short: 'f', default: false },
      upstream: { type: 'string' },
      lines: { type: 'string', short: 'n', default: '20' },
      json: { type: 'boolean', default: false },
    },
  });
  const lines = Number(values.lines);
  if (!Number.isInteger(lines) || lines < 0) {
    io.stderr(`fedmcp logs: --lines must be a whole number, got "${values.lines}".\n`);
    return 2;
  }
  const { config } = await resolveConfig(values.config);
  const store = await openConfigStore(config);
  if (!store) {
    io.stderr(
      'fedmcp logs: the config uses the in-memory store, whose call log lives only inside the running hub.\n',
    );
    return 1;
  }
  const upstream = values.upstream;
  try {
    await tailAuditEvents(store, {
      lines,
      follow: values.follow,
      filter: (event) =>
        isCallLogEvent(event) && (upstream === undefined || event.upstream === upstream),
      print: (event) =>
        io.stdout(`${values.json ? JSON.stringify(event) : formatAuditEvent(event)}\n`),
      stop: options.stopSignal ?? (values.follow ? waitForSignal() : Promise.resolve()),
      pollIntervalMs: options.pollIntervalMs ?? 1000,
    });
    return 0;
  } finally {
    await store.close();
  }
}
