/**
 * Verification of one webhook delivery against its source's scheme: Standard Webhooks, GitHub's
 * `X-Hub-Signature-256`, a generic HMAC header or a bearer secret. Web-standard (Web Crypto);
 * every secret comparison is constant-time, and no message carries the secret.
 */
import { Webhook, WebhookVerificationError } from 'standardwebhooks';

/** How a source proves that a delivery is its own. */
export type WebhookScheme = 'standard-webhooks' | 'github' | 'hmac' | 'bearer';

/** One configured webhook source, served at `POST /hooks/<name>`. */
export interface WebhookSource {
  /** The source's name (`[a-z0-9][a-z0-9-]{0,31}`): its route and resource URIs. */
  name: string;
  scheme: WebhookScheme;
  /**
   * The shared secret: `whsec_…` (base64) for Standard Webhooks, the webhook secret for GitHub and
   * HMAC, the expected bearer token for `bearer`.
   */
  secret: string;
  /** `hmac`: the header carrying the hex (or base64) HMAC-SHA256 of the body. @default 'x-signature' */
  signatureHeader?: string;
  /**
   * `hmac`: a header carrying a Unix timestamp (seconds); when set, the signed content is
   * `<timestamp>.<body>` and the tolerance applies. @default none
   */
  timestampHeader?: string;
  /** `hmac` and `bearer`: the header carrying the event id. @default 'webhook-id' (else a body digest) */
  idHeader?: string;
  /**
   * Largest clock difference accepted for signed timestamps, in seconds (Standard Webhooks and
   * `hmac` with a timestamp header). Standard Webhooks refuses more than 300 s in any case.
   * @default 300
   */
  toleranceSec?: number;
  /** Largest body accepted, in bytes (413 beyond). @default 1_048_576 */
  maxBodyBytes?: number;
}

/** A delivery as received: the raw body (verification needs the exact bytes) and its headers. */
export interface WebhookDelivery {
  headers: Headers;
  body: Uint8Array;
}

/** The outcome of {@link verifyWebhook}. */
export type WebhookVerification =
  | { ok: true; id: string; type?: string }
  | { ok: false; reason: string };

const encoder = new TextEncoder();
const decoder = new TextDecoder();
/** @default of {@link WebhookSource.toleranceSec}. */
export const DEFAULT_TOLERANCE_SEC = 300;
/** @default of {@link WebhookSource.maxBodyBytes}. */
export const DEFAULT_MAX_BODY_BYTES = 1_048_576;

/**
 * Checks a delivery's signature (or bearer secret) and timestamp and finds its event id.
 * @param now - The current time in ms (injectable for tests). @default Date.now()
 */
export async function verifyWebhook(
  source: WebhookSource,
  delivery: WebhookDelivery,
  now: number = Date.now(),
): Promise<WebhookVerification> {
  switch (source.scheme) {
    case 'standard-webhooks':
      return verifyStandard(source, delivery, now);
    case 'github':
      return verifyGithub(source, delivery);
    case 'hmac':
      return verifyHmac(source, delivery, now);
    case 'bearer':
      return verifyBearer(source, delivery);
  }
}

function verifyStandard(
  source: WebhookSource,
  { headers, body }: WebhookDelivery,
  now: number,
): WebhookVerification {
  const id = headers.get('webhook-id');
  const timestamp = headers.get('webhook-timestamp');
  const signature = headers.get('webhook-signature');
  if (!id || !timestamp || !signature) {
    return {
      ok: false,
      reason: 'missing webhook-id, webhook-timestamp or webhook-signature header',
    };
  }
  const stale = checkTimestamp(timestamp, source, now);
  if (stale) return { ok: false, reason: stale };
  try {
    // The package compares signatures in constant time and checks its own 5-minute window.
    new Webhook(source.secret).verify(decoder.decode(body), {
      'webhook-id': id,
      'webhook-timestamp': timestamp,
      'webhook-signature': signature,
    });
  } catch (error) {
    if (error instanceof WebhookVerificationError) {
      return { ok: false, reason: `signature refused: ${error.message}` };
    }
    return { ok: false, reason: 'signature refused: the source secret is not a valid whsec_ key' };
  }
  return { ok: true, id };
}

async function verifyGithub(
  source: WebhookSource,
  { headers, body }: WebhookDelivery,
): Promise<WebhookVerification> {
  const signature = headers.get('x-hub-signature-256');
  if (!signature?.startsWith('sha256=')) {
    return { ok: false, reason: 'missing X-Hub-Signature-256 header (sha256=<hex>)' };
  }
  if (!(await hmacMatches(source.secret, body, signature.slice('sha256='.length)))) {
    return { ok: false, reason: 'X-Hub-Signature-256 does not match the body' };
  }
  const id = headers.get('x-github-delivery') ?? (await digestOf(body));
  const type = headers.get('x-github-event') ?? undefined;
  return { ok: true, id, ...(type ? { type } : {}) };
}

async function verifyHmac(
  source: WebhookSource,
  { headers, body }: WebhookDelivery,
  now: number,
): Promise<WebhookVerification> {
  const header = source.signatureHeader ?? 'x-signature';
  const signature = headers.get(header)?.replace(/^sha256=/, '');
  if (!signature) return { ok: false, reason: `missing ${header} header` };
  let signed = body;
  if (source.timestampHeader) {
    const timestamp = headers.get(source.timestampHeader);
    if (!timestamp) return { ok: false, reason: `missing ${source.timestampHeader} header` };
    const stale = checkTimestamp(timestamp, source, now);
    if (stale) return { ok: false, reason: stale };
    signed = concat(encoder.encode(`${timestamp}.`), body);
  }
  if (!(await hmacMatches(source.secret, signed, signature))) {
    return { ok: false, reason: `${header} does not match the body` };
  }
  return { ok: true, id: await eventIdOf(source, headers, body) };
}

async function verifyBearer(
  source: WebhookSource,
  { headers, body }: WebhookDelivery,
): Promise<WebhookVerification> {
  const authorization = headers.get('authorization') ?? '';
  const match = /^Bearer (.+)$/i.exec(authorization);
  if (!match) return { ok: false, reason: 'missing Authorization: Bearer header' };
  // Digests of equal length, compared without an early exit.
  const [given, expected] = await Promise.all([
    sha256(encoder.encode(match[1] as string)),
    sha256(encoder.encode(source.secret)),
  ]);
  if (!constantTimeEqual(given, expected)) return { ok: false, reason: 'bearer secret refused' };
  return { ok: true, id: await eventIdOf(source, headers, body) };
}

/** A reason when a Unix-seconds timestamp is malformed or outside the tolerance. */
function checkTimestamp(value: string, source: WebhookSource, now: number): string | undefined {
  const seconds = Number(value);
  if (!/^\d+$/.test(value) || !Number.isSafeInteger(seconds)) {
    return 'timestamp is not a Unix time in seconds';
  }
  const tolerance = source.toleranceSec ?? DEFAULT_TOLERANCE_SEC;
  const skew = Math.abs(now / 1000 - seconds);
  return skew > tolerance
    ? `timestamp outside the tolerance of ${tolerance} s (stale or replayed)`
    : undefined;
}

async function eventIdOf(source: WebhookSource, headers: Headers, body: Uint8Array) {
  return headers.get(source.idHeader ?? 'webhook-id') ?? (await digestOf(body));
}

/** A content-addressed id for deliveries without one: the same body is the same event. */
async function digestOf(body: Uint8Array): Promise<string> {
  return `sha256-${toHex(await sha256(body))}`;
}

async function hmacMatches(secret: string, data: Uint8Array, given: string): Promise<boolean> {
  const signature = decodeSignature(given.trim());
  if (!signature) return false;
  const key = await crypto.subtle.importKey(
    'raw',
    encoder.encode(secret),
    { name: 'HMAC', hash: 'SHA-256' },
    false,
    ['verify'],
  );
  // Web Crypto's HMAC verify compares in constant time.
  return crypto.subtle.verify('HMAC', key, signature as BufferSource, data as BufferSource);
}

/** Hex (64 characters) or base64 (44) of a SHA-256 HMAC; `undefined` when neither. */
function decodeSignature(value: string): Uint8Array | undefined {
  if (/^[0-9a-f]{64}$/i.test(value)) {
    return Uint8Array.from(value.match(/../g) as string[], (pair) => Number.parseInt(pair, 16));
  }
  if (/^[A-Za-z0-9+/]{43}=$/.test(value)) {
    return Uint8Array.from(atob(value), (character) => character.charCodeAt(0));
  }
  return undefined;
}

async function sha256(data: Uint8Array): Promise<Uint8Array> {
  return new Uint8Array(await crypto.subtle.digest('SHA-256', data as BufferSource));
}

function constantTimeEqual(left: Uint8Array, right: Uint8Array): boolean {
  let difference = left.length ^ right.length;
  for (let index = 0; index < left.length; index += 1) {
    difference |= (left[index] as number) ^ (right[index % right.length] as number);
  }
  return difference === 0;
}

function concat(left: Uint8Array, right: Uint8Array): Uint8Array {
  const joined = new Uint8Array(left.length + right.length);
  joined.set(left);
  joined.set(right, left.length);
  return joined;
}

function toHex(bytes: Uint8Array): string {
  return Array.from(bytes, (byte) => byte.toString(16).padStart(2, '0')).join('');
}
