/**
 * The audit sink of a replica on a shared store: events go to a bounded in-memory queue and are
 * appended to the store's `audit` stream in the background, so a forwarded call does not wait for
 * a store round trip, and keeps working while the store is down. When appends fail (Redis down),
 * the queue keeps the events in order and retries with backoff until the store answers again; the
 * queue is bounded (`maxBuffered`), and past it the oldest events are dropped and counted in an
 * error log line. Closing flushes what it can within `closeTimeoutMs`.
 *
 * With a `spill` file (`buffered-audit-sink-spill.ts`), what waits for the store during an outage
 * is also on disk: a replica killed then loses nothing, and the next one to start on the host
 * replays it. (Outside an outage an event waits one store round trip in memory.)
 */
import type { Logger } from '@fedmcp/protocol';
import type { AuditEvent, AuditSink } from '@fedmcp/proxy-auth';
import type { AuditSpill } from './buffered-audit-sink-spill.js';

/** The append side of a stream store (`store.streams`). */
export interface AuditAppender {
  append(stream: string, data: string): Promise<unknown>;
}

/** Options of {@link createBufferedAuditSink}. */
export interface BufferedAuditSinkOptions {
  streams: AuditAppender;
  /** @default 'audit' */
  stream?: string;
  /** Events kept while the store does not answer; older ones are dropped past it. @default 10000 */
  maxBuffered?: number;
  /** Appends in flight at once (one connection pipelines them in order). @default 64 */
  batchSize?: number;
  /** First retry delay after a failed append; doubles up to 5 s. @default 200 */
  retryMs?: number;
  /** How long `close()` tries to flush. @default 3000 */
  closeTimeoutMs?: number;
  /**
   * Where queued events also go while the store fails, and what earlier processes left there is
   * replayed from at creation (`createAuditSpill`). @default none (memory only)
   */
  spill?: AuditSpill;
  logger: Logger;
}

/** A sink with a queue: `pending()` is how many events wait for the store. */
export interface BufferedAuditSink extends AuditSink {
  pending(): number;
  /** Resolves when the queue is empty (or rejects with the last append error while it is not). */
  flush(): Promise<void>;
  close(): Promise<void>;
}

/** Creates the sink. */
export function createBufferedAuditSink(options: BufferedAuditSinkOptions): BufferedAuditSink {
  const stream = options.stream ?? 'audit';
  const maxBuffered = options.maxBuffered ?? 10_000;
  const batchSize = options.batchSize ?? 64;
  const baseRetryMs = options.retryMs ?? 200;
  const { logger, spill } = options;
  // Objects, not strings: a batch in flight is removed by identity, even if the bound dropped
  // entries from the front meanwhile.
  let queue: Array<{ data: string }> = [];
  let running: Promise<void> | undefined;
  let retryTimer: ReturnType<typeof setTimeout> | undefined;
  let retryMs = baseRetryMs;
  let failing = false;
  let dropped = 0;
  let closed = false;
  let lastError: Error | undefined;
  // Whether the queue is mirrored in the spill file (from the first failure until it is empty).
  let spilling = false;
  const spillSafely = (action: (file: AuditSpill) => void) => {
    if (!spill) return;
    try {
      action(spill);
    } catch (error) {
      logger.error(
        { err: (error as Error).message, file: spill.file },
        'audit: the spill file cannot be written; queued events are in memory only',
      );
    }
  };
  const recovered = (() => {
    try {
      return spill?.recover() ?? [];
    } catch (error) {
      logger.error(
        { err: (error as Error).message },
        'audit: the spill files of earlier processes cannot be read',
      );
      return [];
    }
  })();
  if (recovered.length > 0) {
    queue = recovered.slice(-maxBuffered).map((data) => ({ data }));
    spilling = true;
    logger.info(
      { recovered: queue.length, file: spill?.file },
      'audit: replaying events an earlier process kept while the store was down',
    );
  }

  const drain = async (): Promise<void> => {
    while (queue.length > 0) {
      const batch = queue.slice(0, batchSize);
      const results = await Promise.allSettled(
        batch.map((item) => options.streams.append(stream, item.data)),
      );
      // Keep the order: everything from the first failure on stays queued.
      const firstFailed = results.findIndex((result) => result.status === 'rejected');
      const written = new Set(batch.slice(0, firstFailed === -1 ? batch.length : firstFailed));
      queue = queue.filter((item) => !written.has(item));
      if (firstFailed !== -1) {
        const reason = (results[firstFailed] as PromiseRejectedResult).reason as Error;
        lastError = reason;
        // Appends after a failed one that did go through are written twice on retry: the audit
        // trail then holds a duplicate, never a gap.
        if (!failing) {
          logger.warn(
            { err: reason.message, pending: queue.length },
            'audit: the store does not take audit events; keeping them in memory and retrying',
          );
        }
        failing = true;
        if (!spilling) {
          spilling = true;
          spillSafely((file) => file.rewrite(queue.map((item) => item.data)));
        }
        throw reason;
      }
    }
    if (spilling) {
      spilling = false;
      spillSafely((file) => file.clear());
    }
    if (failing) {
      logger.info({ dropped }, 'audit: the store takes audit events again; the buffer is flushed');
      failing = false;
      dropped = 0;
    }
    lastError = undefined;
    retryMs = baseRetryMs;
  };

  const kick = (): void => {
    if (running || retryTimer || queue.length === 0) return;
    running = drain()
      .catch(() => {
        if (closed) return;
        retryTimer = setTimeout(() => {
          retryTimer = undefined;
          kick();
        }, retryMs);
        retryTimer.unref?.();
        retryMs = Math.min(retryMs * 2, 5_000);
      })
      .finally(() => {
        running = undefined;
        if (!retryTimer && queue.length > 0 && !closed) kick();
      });
  };

  const flush = async (): Promise<void> => {
    if (retryTimer) {
      clearTimeout(retryTimer);
      retryTimer = undefined;
    }
    kick();
    while (running) await running;
    if (queue.length > 0) throw lastError ?? new Error('audit events are still queued');
  };

  // What an earlier process left goes to the store first.
  if (queue.length > 0) kick();

  return {
    write(event: AuditEvent) {
      const data = JSON.stringify(event);
      queue.push({ data });
      if (spilling) spillSafely((file) => file.append(data));
      if (queue.length > maxBuffered) {
        const excess = queue.length - maxBuffered;
        queue.splice(0, excess);
        dropped += excess;
        logger.error(
          { dropped, maxBuffered },
          'audit: the buffer is full while the store is down; the oldest events were dropped',
        );
      }
      kick();
    },
    pending: () => queue.length,
    flush,
    async close() {
      if (closed) return;
      let timer: ReturnType<typeof setTimeout> | undefined;
      await Promise.race([
        flush().catch(() => undefined),
        new Promise<void>((resolve) => {
          timer = setTimeout(resolve, options.closeTimeoutMs ?? 3000);
        }),
      ]);
      clearTimeout(timer);
      closed = true;
      if (retryTimer) clearTimeout(retryTimer);
      if (queue.length > 0 && spilling && spill) {
        logger.warn(
          { pending: queue.length, file: spill.file },
          'audit: events not yet in the store at shutdown are kept in the spill file; the next start replays them',
        );
      } else if (queue.length > 0) {
        logger.error(
          { lost: queue.length },
          'audit: events not written to the store at shutdown (it did not answer)',
        );
      }
    },
  };
}
