/**
 * The web-standard handler of `POST /hooks/<name>`: size limit, verification, durable append to
 * the inbox, then the answer. A 2xx means the event is in the store.
 */
import { type Logger, readBodyBytes, silentLogger } from '@fedmcp/protocol';
import { DEFAULT_MAX_BODY_BYTES, verifyWebhook, type WebhookSource } from './verify-webhook.js';
import type { WebhookEvent, WebhookInbox } from './webhook-inbox.js';

/** Options of {@link createWebhookReceiver}. */
export interface WebhookReceiverOptions {
  /** The configured sources, by name. A function is asked on each request (config reloads). */
  sources: ReadonlyMap<string, WebhookSource> | (() => ReadonlyMap<string, WebhookSource>);
  inbox: WebhookInbox;
  /** Called after a new (not duplicate) event is durable. */
  onEvent?: (event: WebhookEvent, entryId: string) => void;
  /** pino-shaped logger; it never gets a secret, a header or a body. @default silent */
  logger?: Logger;
}

/** Answers one webhook delivery for the source `name`. */
export type WebhookReceiver = (name: string, request: Request) => Promise<Response>;

/**
 * Creates the handler of webhook deliveries: 404 for an unknown source, 405 for a method other
 * than POST, 413 over the source's body limit, 401 with the reason for a bad signature or stale
 * timestamp, 503 when the store cannot take the event (the sender retries), 202 once a new event
 * is durable and 200 for a duplicate (acknowledged, dropped).
 */
export function createWebhookReceiver(options: WebhookReceiverOptions): WebhookReceiver {
  const logger = options.logger ?? silentLogger;
  const sourcesNow = () =>
    typeof options.sources === 'function' ? options.sources() : options.sources;
  return async (name, request) => {
    const source = sourcesNow().get(name);
    if (!source) return answer(404, { error: `no webhook source named "${name}"` });
    if (request.method !== 'POST') {
      return answer(405, { error: 'webhooks are delivered with POST' }, { allow: 'POST' });
    }
    const limit = source.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
    const body = await readBodyBytes(request, limit);
    if (body === undefined) {
      return answer(413, { error: `body larger than the source's limit of ${limit} bytes` });
    }
    const verified = await verifyWebhook(source, { headers: request.headers, body });
    if (!verified.ok) {
      logger.warn({ source: name, reason: verified.reason }, 'webhook refused');
      return answer(401, { error: verified.reason });
    }
    const parsed = parseBody(body);
    const type = verified.type ?? typeOf(parsed);
    const event: WebhookEvent = {
      id: verified.id,
      source: name,
      ...(type ? { type } : {}),
      receivedAt: Date.now(),
      body: parsed,
    };
    let result: Awaited<ReturnType<WebhookInbox['append']>>;
    try {
      result = await options.inbox.append(event);
    } catch (error) {
      logger.error({ source: name, err: (error as Error).message }, 'webhook not stored');
      return answer(
        503,
        { error: 'the inbox cannot store the event now; retry' },
        { 'retry-after': '1' },
      );
    }
    if (result.duplicate) return answer(200, { id: event.id, duplicate: true });
    logger.info({ source: name, id: event.id }, 'webhook stored');
    options.onEvent?.(event, result.entryId);
    return answer(202, { id: event.id, duplicate: false });
  };
}

function answer(status: number, body: unknown, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { 'content-type': 'application/json', ...headers },
  });
}

function parseBody(body: Uint8Array): unknown {
  const text = new TextDecoder().decode(body);
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

function typeOf(body: unknown): string | undefined {
  const type = (body as { type?: unknown; event?: unknown } | null)?.type;
  if (typeof type === 'string') return type;
  const event = (body as { event?: unknown } | null)?.event;
  return typeof event === 'string' ? event : undefined;
}
