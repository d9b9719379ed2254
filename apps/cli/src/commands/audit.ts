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

const usage = 'Usage: fedmcp audit tail [--follow] [--lines N] [--json] [--config FILE]\n';

/** What {@link auditCommand} takes besides argv, for embedding and tests. */
export interface AuditCommandOptions {
  /** Resolves when `--follow` should stop. @default SIGINT or SIGTERM */
  stopSignal?: Promise<unknown>;
  /** How often `--follow` looks for new events. @default 1000 */
  pollIntervalMs?: number;
  /**
   * Unused: relative paths of a config resolve against the config file's folder.
   * @deprecated
   */
  baseDirectory?: string;
}

/**
 * `fedmcp audit tail [--follow] [--lines N] [--json] [--config FILE]`: the last audit events from
 * the store of the config (its `audit` stream), then, with `--follow`, new ones as they come. A
 * call through peer hubs shows its delegation chain (`alice (peer) via b, a`).
 */
export async function auditCommand(
  argv: readonly string[],
  io: CliIo,
  options: AuditCommandOptions = {},
): Promise<number> {
  const [subcommand, ...rest] = argv;
  if (subcommand !== 'tail') {
    io.stderr(`fedmcp audit: unknown subcommand "${subcommand ?? ''}". ${usage}`);
    return 2;
  }
  const { values } = parseArgs({
    args: rest,
    options: {
      config: { type: 'string', short: 'c' },
      follow: { type: 'boolean', short: 'f', default: false },
      lines: { type: 'string', short: 'n', default: '20' },
      json: { type: 'boolean', default: false },
    },
  });
  const lines = Number(values.lines);
  if (!Number.isInteger(lines) || lines < 0) {
    io.stderr(`fedmcp audit tail: --lines must be a whole number, got "${values.lines}".\n`);
    return 2;
  }
  const { config } = await resolveConfig(values.config);
  const store = await openConfigStore(config);
  if (!store) {
    io.stderr(
      'fedmcp audit tail: the config uses the in-memory store, whose audit stream lives only inside the running hub.\n',
    );
    return 1;
  }
  try {
    await tailAuditEvents(store, {
      lines,
      follow: values.follow,
      print: (event: AuditEvent) =>
        io.stdout(`${values.json ? JSON.stringify(event) : formatAuditEvent(event)}\n`),
      stop: options.stopSignal ?? (values.follow ? waitForSignal() : Promise.resolve()),
      pollIntervalMs: options.pollIntervalMs ?? 1000,
    });
    return 0;
  } finally {
    await store.close();
  }
}
