import { isAbsolute, join } from 'node:path';
import { parseArgs } from 'node:util';
import { type AuditEvent, readAuditEvents } from '@fedmcp/proxy-auth';
import { createStore } from '@fedmcp/store/node';
import type { CliIo } from '../cli-io.js';
import { resolveConfig } from './resolve-config.js';

const usage = 'Usage: fedmcp audit tail [--follow] [--lines N] [--json] [--config FILE]\n';

/** What {@link auditCommand} takes besides argv, for embedding and tests. */
export interface AuditCommandOptions {
  /** Resolves when `--follow` should stop. @default SIGINT or SIGTERM */
  stopSignal?: Promise<unknown>;
  /** How often `--follow` looks for new events. @default 1000 */
  pollIntervalMs?: number;
  /** Where relative paths of the config start. @default process.cwd() */
  baseDirectory?: string;
}

function formatEvent(event: AuditEvent): string {
  const who = event.principal ? `${event.principal.subject} (${event.principal.authMethod})` : '-';
  const fields = [
    event.time,
    event.type.padEnd(10),
    String(event.outcome).padEnd(8),
    who,
    event.action ?? '-',
    event.target ?? '',
    event.upstream ? `upstream=${event.upstream}` : '',
    event.rule ? `rule=${event.rule}` : '',
    event.latencyMs === undefined ? '' : `${event.latencyMs}ms`,
    event.reason ? `— ${event.reason}` : '',
  ];
  return fields.filter((field) => field !== '').join('  ');
}

function waitForSignal(): Promise<string> {
  return new Promise((resolve) => {
    for (const signal of ['SIGINT', 'SIGTERM'] as const)
      process.once(signal, () => resolve(signal));
  });
}

/**
 * `fedmcp audit tail [--follow] [--lines N] [--json] [--config FILE]`: the last audit events from
 * the store of the config (its `audit` stream), then, with `--follow`, new ones as they come.
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
  const baseDirectory = options.baseDirectory ?? process.cwd();
  const dataDir = isAbsolute(config.hub.dataDir)
    ? config.hub.dataDir
    : join(baseDirectory, config.hub.dataDir);
  if (config.store === 'memory:') {
    io.stderr(
      'fedmcp audit tail: the config uses the in-memory store, whose audit stream lives only inside the running hub.\n',
    );
    return 1;
  }
  const store = await createStore(config.store ?? `sqlite:${join(dataDir, 'state.db')}`);
  const print = (event: AuditEvent) =>
    io.stdout(`${values.json ? JSON.stringify(event) : formatEvent(event)}\n`);
  try {
    // The stream reads oldest first: page through it and keep the last `lines` events.
    let after: string | undefined;
    let last: Array<{ id: string; event: AuditEvent }> = [];
    for (;;) {
      const page = await readAuditEvents(store.streams, {
        limit: 1000,
        ...(after === undefined ? {} : { after }),
      });
      if (page.length === 0) break;
      last.push(...page);
      if (last.length > lines) last = last.slice(last.length - lines);
      after = page.at(-1)?.id;
    }
    for (const { event } of last) print(event);
    if (!values.follow) return 0;
    const stop = options.stopSignal ?? waitForSignal();
    let stopped = false;
    void stop.then(() => {
      stopped = true;
    });
    const interval = options.pollIntervalMs ?? 1000;
    while (!stopped) {
      await Promise.race([stop, new Promise((resolve) => setTimeout(resolve, interval))]);
      const page = await readAuditEvents(store.streams, {
        limit: 1000,
        ...(after === undefined ? {} : { after }),
      });
      for (const { id, event } of page) {
        print(event);
        after = id;
      }
    }
    return 0;
  } finally {
    await store.close();
  }
}
