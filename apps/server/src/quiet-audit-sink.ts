/**
 * The audit events in the hub's log, at levels an operator can live with: routine events (a
 * successful call or authentication, a definition pinned on first sight) at `debug`, refusals and
 * failures at `info`/`warn`; the pins of a start-up folded into one summary line.
 */
import type { Logger } from '@fedmcp/protocol';
import type { AuditEvent, AuditSink } from '@fedmcp/proxy-auth';

/** Options of {@link createQuietAuditSink}. */
export interface QuietAuditSinkOptions {
  /** How long after the last pin the summary line is written (upstreams start one after another). @default 2000 */
  pinSummaryDelayMs?: number;
}

const routine = new Set(['success', 'allowed']);

/** The level of one event in the log. */
export function auditLogLevel(event: AuditEvent): 'debug' | 'info' | 'warn' {
  if (routine.has(String(event.outcome))) return 'debug';
  if (event.type === 'pin' && event.outcome === 'pinned') return 'debug';
  if (event.outcome === 'error' || event.outcome === 'failure' || event.outcome === 'quarantined') {
    return 'warn';
  }
  return 'info';
}

/**
 * An audit sink for the hub's logger: each event at {@link auditLogLevel}, and one info line per
 * burst of pins ("pinned 45 tool and prompt definitions of 3 upstreams on first sight").
 */
export function createQuietAuditSink(
  logger: Logger,
  options: QuietAuditSinkOptions = {},
): AuditSink & { flush(): void } {
  const delay = options.pinSummaryDelayMs ?? 2000;
  let pinned = 0;
  const upstreams = new Set<string>();
  let timer: ReturnType<typeof setTimeout> | undefined;
  const flush = () => {
    if (timer) clearTimeout(timer);
    timer = undefined;
    if (pinned === 0) return;
    logger.info(
      { pinned, upstreams: [...upstreams] },
      `pinned ${pinned} tool and prompt definition${pinned === 1 ? '' : 's'} of ${upstreams.size} upstream${upstreams.size === 1 ? '' : 's'} on first sight (fedmcp tools diff shows later changes)`,
    );
    pinned = 0;
    upstreams.clear();
  };
  return {
    write(event) {
      // A routine event (every forwarded call's) costs no log line object when debug is off.
      const level = auditLogLevel(event);
      if (logger.isLevelEnabled?.(level) !== false) {
        logger[level]({ audit: event }, `audit ${event.type} ${event.outcome}`);
      }
      if (event.type !== 'pin' || event.outcome !== 'pinned') return;
      pinned += 1;
      if (event.upstream) upstreams.add(event.upstream);
      if (timer) clearTimeout(timer);
      timer = setTimeout(flush, delay);
      timer.unref?.();
    },
    flush,
  };
}
