/**
 * The webhook inbox: one store stream per source, deduplicated by event id. An event is
 * appended first and then claimed under its id with a create-if-absent write; the entry the id
 * points at is the event's one canonical entry. A process killed between the two writes leaves an
 * entry no id points at (never acknowledged to the sender, who retries): readers skip it, so each
 * acknowledged event is in the inbox exactly once.
 */
import { formatStreamId, parseStreamId, type Store, type StreamEntry } from '@fedmcp/store';

/** One received webhook event as stored. */
export interface WebhookEvent {
  /** The sender's event id (or a digest of the body when the scheme has none). */
  id: string;
  /** The source's name. */
  source: string;
  /** The event type, when the sender says (GitHub's `X-GitHub-Event`, a JSON body's `type`). */
  type?: string;
  /** When it was received (ms since the epoch). */
  receivedAt: number;
  /** The body: parsed JSON, else the text. */
  body: unknown;
}

/** A stored event with its stream entry id. */
export interface InboxEntry {
  entryId: string;
  event: WebhookEvent;
}

/** What {@link WebhookInbox.append} did. */
export interface AppendResult {
  /** `true` when an event with this id was already in the inbox (nothing was added). */
  duplicate: boolean;
  /** The stream entry holding the event. */
  entryId: string;
}

/** Options of {@link createWebhookInbox}. */
export interface WebhookInboxOptions {
  store: Store;
  /**
   * How long event ids are remembered for deduplication (and events listed), in ms. Keep it
   * longer than the senders' retry window.
   * @default 30 days
   */
  retentionMs?: number;
}

/** The durable, deduplicated inbox of every webhook source. */
export interface WebhookInbox {
  /** Appends an event unless its id is known; resolves once it is durable. */
  append(event: WebhookEvent): Promise<AppendResult>;
  /** One event by id, or `undefined`. */
  get(source: string, id: string): Promise<InboxEntry | undefined>;
  /** The canonical events of a source in arrival order, after `afterEntryId`. */
  list(source: string, options?: { afterEntryId?: string; limit?: number }): Promise<InboxEntry[]>;
  /** Whether a stream entry is its event's canonical entry (`undefined`: no id claims it yet). */
  isCanonical(source: string, entry: StreamEntry): Promise<boolean | undefined>;
}

const THIRTY_DAYS_MS = 30 * 24 * 60 * 60 * 1000;

/** The store stream of a source's events (consumer groups of automations read it). */
export function inboxStream(source: string): string {
  return `runtime:webhooks:${source}`;
}

const idKey = (source: string, id: string) => `runtime:webhooks:${source}:id:${id}`;

/** Parses a stream entry of the inbox. */
export function parseInboxEntry(entry: StreamEntry): InboxEntry {
  return { entryId: entry.id, event: JSON.parse(entry.data) as WebhookEvent };
}

/**
 * Creates the inbox over a store.
 *
 * @example
 * ```ts
 * const inbox = createWebhookInbox({ store: createMemoryStore() });
 * await inbox.append({ id: 'evt_1', source: 'zoom', receivedAt: Date.now(), body: {} });
 * ```
 */
export function createWebhookInbox(options: WebhookInboxOptions): WebhookInbox {
  const { kv, streams } = options.store;
  const ttlMs = options.retentionMs ?? THIRTY_DAYS_MS;

  const canonicalEntryId = async (source: string, id: string) =>
    (await kv.get(idKey(source, id)))?.value;

  return {
    async append(event) {
      const known = await canonicalEntryId(event.source, event.id);
      if (known) return { duplicate: true, entryId: known };
      const entryId = await streams.append(inboxStream(event.source), JSON.stringify(event));
      const claimed = await kv.compareAndSet(idKey(event.source, event.id), entryId, {
        expectedVersion: null,
        ttlMs,
      });
      // A concurrent delivery of the same event won: ours is left as an entry nobody claims.
      if (!claimed.ok && claimed.current)
        return { duplicate: true, entryId: claimed.current.value };
      return { duplicate: false, entryId };
    },
    async get(source, id) {
      const entryId = await canonicalEntryId(source, id);
      if (!entryId) return undefined;
      const [entry] = await streams.read(inboxStream(source), {
        after: previousStreamId(entryId),
        limit: 1,
      });
      return entry?.id === entryId ? parseInboxEntry(entry) : undefined;
    },
    async list(source, { afterEntryId, limit = 100 } = {}) {
      const found: InboxEntry[] = [];
      let after = afterEntryId;
      while (found.length < limit) {
        const page = await streams.read(inboxStream(source), {
          ...(after ? { after } : {}),
          limit: 500,
        });
        if (page.length === 0) break;
        for (const entry of page) {
          const parsed = parseInboxEntry(entry);
          if ((await canonicalEntryId(source, parsed.event.id)) === entry.id) found.push(parsed);
          if (found.length === limit) break;
        }
        after = page[page.length - 1]?.id;
      }
      return found;
    },
    async isCanonical(source, entry) {
      const claimed = await canonicalEntryId(source, parseInboxEntry(entry).event.id);
      return claimed === undefined ? undefined : claimed === entry.id;
    },
  };
}

/** The stream id just before `id` (for reading exactly one entry). */
function previousStreamId(id: string): string {
  const { ms, sequence } = parseStreamId(id);
  return sequence > 0
    ? formatStreamId({ ms, sequence: sequence - 1 })
    : formatStreamId({ ms: ms - 1, sequence: Number.MAX_SAFE_INTEGER });
}
