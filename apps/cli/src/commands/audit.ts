import { parseArgs } from 'node:util';
import type { CliIo } from '../cli-io.js';
import { runTailCommand, tailArgumentOptions } from './audit-stream.js';

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
  const { values } = parseArgs({ args: rest, options: tailArgumentOptions });
  return runTailCommand(io, {
    values,
    command: 'audit tail',
    what: 'audit stream',
    stopSignal: options.stopSignal,
    pollIntervalMs: options.pollIntervalMs,
  });
}
