/**
 * Reading the store's `audit` stream for `fedmcp audit tail` and `fedmcp logs`: the last events,
 * then new ones as they come, and their one-line text view.
 */
import { join } from 'node:path';
import { type AuditEvent, readAuditEvents } from '@fedmcp/proxy-auth';
import { type FedmcpConfig, recoverAuditJournals } from '@fedmcp/server';
import type { Store } from '@fedmcp/store';
import { createStore } from '@fedmcp/store/node';
import type { CliIo } from '../cli-io.js';
import { resolveConfig } from './resolve-config.js';

/** Who made the call: `alice (api-key)`, or through peers `alice (peer) via b, a` (nearest first). */
export function describeCaller(principal: AuditEvent['principal']): string {
  if (!principal) return '-';
  const via = principal.via?.length ? ` via ${principal.via.join(', ')}` : '';
  return `${principal.subject} (${principal.authMethod})${via}`;
}

/** One event as a line of text. */
export function formatAuditEvent(event: AuditEvent): string {
  const fields = [
    event.time,
    event.type.padEnd(10),
    String(event.outcome).padEnd(8),
    describeCaller(event.principal),
    event.action ?? '-',
    event.target ?? '',
    event.upstream ? `upstream=${event.upstream}` : '',
    event.rule ? `rule=${event.rule}` : '',
    event.latencyMs === undefined ? '' : `${event.latencyMs}ms`,
    event.reason ? `— ${event.reason}` : '',
  ];
  return fields.filter((field) => field !== '').join('  ');
}

/**
 * The store of a config, as the running hub opens it (its data directory's `state.db` unless
 * `store` says otherwise).
 * @returns undefined for the in-memory store, whose events live only inside the running hub.
 */
export async function openConfigStore(config: FedmcpConfig): Promise<Store | undefined> {
  if (config.store === 'memory:') return undefined;
  return createStore(config.store ?? `sqlite:${join(config.hub.dataDir, 'state.db')}`);
}

/** What {@link tailAuditEvents} reads and where it writes. */
export interface TailAuditOptions {
  /** How many past events (that pass `filter`) to print first. */
  lines: number;
  follow: boolean;
  filter?: (event: AuditEvent) => boolean;
  print: (event: AuditEvent) => void;
  /** Resolves when following should stop. */
  stop: Promise<unknown>;
  /** How often following looks for new events. */
  pollIntervalMs: number;
}

/** Prints the last `lines` events of the stream, then (`follow`) new ones until `stop`. */
export async function tailAuditEvents(store: Store, options: TailAuditOptions): Promise<void> {
  const keep = options.filter ?? (() => true);
  // The stream reads oldest first: page through it and keep the last `lines` events.
  let after: string | undefined;
  let last: AuditEvent[] = [];
  for (;;) {
    const page = await readAuditEvents(store.streams, {
      limit: 1000,
      ...(after === undefined ? {} : { after }),
    });
    if (page.length === 0) break;
    last.push(...page.map(({ event }) => event).filter(keep));
    if (last.length > options.lines) last = last.slice(last.length - options.lines);
    after = page.at(-1)?.id;
  }
  for (const event of last) options.print(event);
  if (!options.follow) return;
  let stopped = false;
  void options.stop.then(() => {
    stopped = true;
  });
  while (!stopped) {
    await Promise.race([
      options.stop,
      new Promise((resolve) => setTimeout(resolve, options.pollIntervalMs)),
    ]);
    const page = await readAuditEvents(store.streams, {
      limit: 1000,
      ...(after === undefined ? {} : { after }),
    });
    for (const { id, event } of page) {
      if (keep(event)) options.print(event);
      after = id;
    }
  }
}

/** Resolves on SIGINT or SIGTERM. */
export function waitForSignal(): Promise<string> {
  return new Promise((resolve) => {
    for (const signal of ['SIGINT', 'SIGTERM'] as const)
      process.once(signal, () => resolve(signal));
  });
}

/** The options `audit tail` and `logs` share, for `parseArgs`. */
export const tailArgumentOptions = {
  config: { type: 'string', short: 'c' },
  follow: { type: 'boolean', short: 'f', default: false },
  lines: { type: 'string', short: 'n', default: '20' },
  json: { type: 'boolean', default: false },
} as const;

/** What {@link runTailCommand} takes: the parsed options and the command's own parts. */
export interface TailCommandOptions {
  values: { config?: string | undefined; follow: boolean; lines: string; json: boolean };
  /** `audit tail` or `logs`, for messages. */
  command: string;
  /** What the stream holds, for the in-memory store's message (`audit stream`, `call log`). */
  what: string;
  filter?: (event: AuditEvent) => boolean;
  /** Resolves when `--follow` should stop. @default SIGINT or SIGTERM */
  stopSignal?: Promise<unknown> | undefined;
  /** @default 1000 */
  pollIntervalMs?: number | undefined;
}

/**
 * Runs `audit tail` or `logs`: the last `--lines` events of the config's store (text or `--json`),
 * then new ones with `--follow`. Exits 2 on a bad `--lines`, 1 for the in-memory store.
 */
export async function runTailCommand(io: CliIo, options: TailCommandOptions): Promise<number> {
  const { values, command } = options;
  const lines = Number(values.lines);
  if (!Number.isInteger(lines) || lines < 0) {
    io.stderr(`fedmcp ${command}: --lines must be a whole number, got "${values.lines}".\n`);
    return 2;
  }
  const { config } = await resolveConfig(values.config);
  const store = await openConfigStore(config);
  if (!store) {
    io.stderr(
      `fedmcp ${command}: the config uses the in-memory store, whose ${options.what} lives only inside the running hub.\n`,
    );
    return 1;
  }
  try {
    // Events a hub killed before their commit left in its journal are in the store first.
    if (store.engine === 'sqlite') {
      const replayed = await recoverAuditJournals({
        directory: config.hub.dataDir,
        streams: store.streams,
      }).catch((error: Error) => {
        io.stderr(
          `fedmcp ${command}: the audit journals in ${config.hub.dataDir} cannot be replayed (${error.message}); the newest events of a stopped hub may be missing.\n`,
        );
        return 0;
      });
      if (replayed > 0) {
        io.stderr(
          `fedmcp ${command}: replayed ${replayed} audit event(s) a stopped hub had journaled but not committed.\n`,
        );
      }
    }
    await tailAuditEvents(store, {
      lines,
      follow: values.follow,
      ...(options.filter ? { filter: options.filter } : {}),
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
