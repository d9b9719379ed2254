/**
 * Completion callbacks of hub-managed tasks, signed per the Standard Webhooks spec
 * (standardwebhooks.com): headers `webhook-id`, `webhook-timestamp` (Unix seconds) and
 * `webhook-signature` (`v1,<base64 HMAC-SHA256 of "<id>.<timestamp>.<body>">`), keyed by a
 * `whsec_<base64>` secret, with Web Crypto (runs on Node, Deno and Workers).
 */
import type { Logger } from '@fedmcp/protocol';

/** A Standard Webhooks secret: `whsec_` followed by base64 of at least 24 random bytes. */
const SECRET_PATTERN = /^whsec_([A-Za-z0-9+/]+={0,2})$/;

function base64(bytes: Uint8Array): string {
  let binary = '';
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary);
}

/**
 * The key bytes of a `whsec_…` secret.
 * @throws Error naming what is wrong with the secret (never the secret itself).
 */
export function webhookSecretBytes(secret: string): Uint8Array<ArrayBuffer> {
  const match = SECRET_PATTERN.exec(secret);
  if (!match) throw new Error('The webhook secret must look like "whsec_<base64>".');
  const bytes = Uint8Array.from(atob(match[1]!), (char) => char.charCodeAt(0));
  if (bytes.length < 24) throw new Error('The webhook secret must hold at least 24 bytes.');
  return bytes;
}

/** The `webhook-signature` header value of one message. */
export async function signWebhook(
  secret: string,
  message: { id: string; timestamp: number; body: string },
): Promise<string> {
  const key = await crypto.subtle.importKey(
    'raw',
    webhookSecretBytes(secret),
    { name: 'HMAC', hash: 'SHA-256' },
    false,
    ['sign'],
  );
  const signed = new TextEncoder().encode(`${message.id}.${message.timestamp}.${message.body}`);
  const signature = await crypto.subtle.sign('HMAC', key, signed);
  return `v1,${base64(new Uint8Array(signature))}`;
}

/** Options of {@link deliverWebhook}. */
export interface WebhookDelivery {
  url: string;
  /** The `whsec_…` secret. */
  secret: string;
  /** Unique per message; the same on every retry of it (receivers drop duplicates by it). */
  id: string;
  /** The JSON payload (`{ type, timestamp, data }` in the Standard Webhooks convention). */
  payload: unknown;
  fetch: typeof fetch;
  /** Attempts before giving up (with 1 s, 2 s, 4 s… between them). @default 3 */
  attempts?: number;
  logger: Logger;
  /** Waits between attempts (tests pass one that does not). */
  sleep?: (ms: number) => Promise<void>;
}

/**
 * POSTs one signed message, retrying on a network error or a non-2xx answer. Resolves with
 * whether a 2xx came back; never throws (a callback that fails must not fail the task).
 */
export async function deliverWebhook(delivery: WebhookDelivery): Promise<boolean> {
  const body = JSON.stringify(delivery.payload);
  const attempts = delivery.attempts ?? 3;
  const sleep = delivery.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
  for (let attempt = 1; attempt <= attempts; attempt++) {
    try {
      // A fresh timestamp per attempt: receivers refuse old ones (replay protection).
      const timestamp = Math.floor(Date.now() / 1000);
      const signature = await signWebhook(delivery.secret, { id: delivery.id, timestamp, body });
      const response = await delivery.fetch(delivery.url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'webhook-id': delivery.id,
          'webhook-timestamp': String(timestamp),
          'webhook-signature': signature,
        },
        body,
        redirect: 'manual',
      });
      await response.body?.cancel();
      if (response.ok) return true;
      delivery.logger.warn(
        { status: response.status, attempt, webhookId: delivery.id },
        'task callback refused',
      );
    } catch (error) {
      delivery.logger.warn(
        { err: (error as Error).message, attempt, webhookId: delivery.id },
        'task callback failed',
      );
    }
    if (attempt < attempts) await sleep(1000 * 2 ** (attempt - 1));
  }
  return false;
}
