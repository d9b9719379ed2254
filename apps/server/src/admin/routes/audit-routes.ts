/**
 * `/audit` (query with filters and paging), `/audit/stream` and `/calls/stream` (Server-Sent
 * Events): the audit trail in the store, so every replica's events are seen.
 */
import { type AuditEvent, readAuditEvents } from '@fedmcp/proxy-auth';
import * as z from 'zod';
import type { AdminContext } from '../admin-context.js';
import { type AdminRoute, defineRoute } from '../admin-route.js';
import { startEventStream } from '../http-io.js';

/** How often a live stream looks for new events in the store. */
const POLL_MS = 250;
/** The most entries one query scans. */
const MAX_SCAN = 100_000;
const BATCH = 1000;

const filters = {
  type: z.enum(['auth', 'policy', 'call', 'consent', 'pin', 'rate-limit']).optional(),
  outcome: z.string().optional(),
  subject: z.string().optional(),
  target: z.string().optional().describe('Exact name, or a prefix ending in "*".'),
  upstream: z.string().optional(),
};
const filterSchema = z.object(filters);
type Filter = z.output<typeof filterSchema>;

const entrySchema = z
  .object({ id: z.string(), event: z.record(z.string(), z.unknown()) })
  .meta({ id: 'AuditEntry' });

function matches(event: AuditEvent, filter: Filter): boolean {
  if (filter.type && event.type !== filter.type) return false;
  if (filter.outcome && event.outcome !== filter.outcome) return false;
  if (filter.subject && event.principal?.subject !== filter.subject) return false;
  if (filter.upstream && event.upstream !== filter.upstream) return false;
  if (filter.target) {
    const target = event.target ?? '';
    const wanted = filter.target;
    if (wanted.endsWith('*') ? !target.startsWith(wanted.slice(0, -1)) : target !== wanted) {
      return false;
    }
  }
  return true;
}

async function query(
  context: Pick<AdminContext, 'store'>,
  filter: Filter,
  options: { after?: string; limit: number; newest: boolean },
) {
  const found: Array<{ id: string; event: AuditEvent }> = [];
  let after = options.after;
  for (let scanned = 0; scanned < MAX_SCAN; scanned += BATCH) {
    const batch = await readAuditEvents(context.store.streams, {
      ...(after ? { after } : {}),
      limit: BATCH,
    });
    for (const entry of batch) {
      if (!matches(entry.event, filter)) continue;
      found.push(entry);
      // Oldest first stops at the limit; newest first keeps the last `limit`.
      if (options.newest && found.length > options.limit) found.shift();
      if (!options.newest && found.length === options.limit)
        return { events: found, next: entry.id };
    }
    if (batch.length < BATCH) break;
    after = batch.at(-1)?.id;
  }
  return { events: options.newest ? found.reverse() : found };
}

function liveStream(context: Pick<AdminContext, 'store'>, fixed: Partial<Filter>) {
  return async ({ query: input, request }: Parameters<AdminRoute['handle']>[0]) => {
    const filter = { ...(input as Filter), ...fixed };
    // A short backlog first, so a new viewer sees what just happened.
    const backlog = await query(context, filter, { limit: 20, newest: true });
    const stream = startEventStream(request);
    for (const entry of backlog.events.reverse()) stream.send('audit', entry.event, entry.id);
    let after = backlog.events.at(-1)?.id;
    let open = true;
    void stream.closed.then(() => {
      open = false;
    });
    const follow = async () => {
      while (open) {
        const batch = await readAuditEvents(context.store.streams, {
          ...(after ? { after } : {}),
          limit: BATCH,
        });
        for (const entry of batch) {
          after = entry.id;
          if (matches(entry.event, filter)) stream.send('audit', entry.event, entry.id);
        }
        if (batch.length < BATCH) {
          let timer: ReturnType<typeof setTimeout> | undefined;
          await Promise.race([
            stream.closed,
            new Promise((resolve) => {
              timer = setTimeout(resolve, POLL_MS);
            }),
          ]);
          clearTimeout(timer);
        }
      }
    };
    // The store failing ends the stream (the client opens a new one).
    void follow()
      .catch(() => {})
      .finally(() => stream.end());
    return stream.response;
  };
}

/** The audit routes. */
export function auditRoutes(context: Pick<AdminContext, 'store'>): AdminRoute[] {
  return [
    defineRoute({
      method: 'GET',
      path: '/audit',
      operationId: 'queryAudit',
      summary: 'Audit events matching the filters: oldest first from `after`, or the newest.',
      tag: 'audit',
      query: z.object({
        ...filters,
        after: z
          .string()
          .regex(/^\d+-\d+$/, "expected an entry id such as 1796580923765-0 (a page's next)")
          .optional()
          .describe('Continue after this entry id (the `next` of a page).'),
        limit: z.coerce.number().int().min(1).max(1000).default(100),
        newest: z
          .enum(['true', 'false'])
          .default('false')
          .describe('true: the newest matching events, newest first.'),
      }),
      response: z.object({ events: z.array(entrySchema), next: z.string().optional() }),
      handle: async ({ query: input }) => {
        const { after, limit, newest, ...filter } = input;
        return query(context, filter, {
          ...(after ? { after } : {}),
          limit,
          newest: newest === 'true',
        });
      },
    }),
    defineRoute({
      method: 'GET',
      path: '/audit/stream',
      operationId: 'streamAudit',
      summary: 'Audit events as Server-Sent Events (`event: audit`), the last 20 first.',
      tag: 'audit',
      query: filterSchema,
      stream: true,
      handle: liveStream(context, {}),
    }),
    defineRoute({
      method: 'GET',
      path: '/calls/stream',
      operationId: 'streamCalls',
      summary: 'The call log: audit events of type "call" as Server-Sent Events.',
      tag: 'audit',
      query: z.object({ upstream: filters.upstream, subject: filters.subject }),
      stream: true,
      handle: liveStream(context, { type: 'call' }),
    }),
  ];
}
