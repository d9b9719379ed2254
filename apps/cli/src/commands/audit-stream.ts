/**
 * Reading the store's `audit` stream for `fedmcp audit tail` and `fedmcp logs`: the last events,
 * then new ones as they come, and their one-line text view.
 */
import { join } from 'node:path';
import { type AuditEvent, readAuditEvents } from '@fedmcp/proxy-auth';
import type { FedmcpConfig } from '@fedmcp/server';
import type { Store } from '@fedmcp/store';
import { createStore } from '@fedmcp/store/node';

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
