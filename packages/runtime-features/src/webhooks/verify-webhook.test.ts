import { createMemoryStore } from '@fedmcp/store';
import { Webhook } from 'standardwebhooks';
import { describe, expect, it } from 'vitest';
import { verifyWebhook, type WebhookSource } from './verify-webhook.js';
import { createWebhookInbox } from './webhook-inbox.js';

const encoder = new TextEncoder();
const standard: WebhookSource = {
  name: 'meetings',
  scheme: 'standard-webhooks',
  secret: `whsec_${btoa('a-standard-webhooks-unit-secret')}`,
};

async function hmacHex(secret: string, text: string): Promise<string> {
  const key = await crypto.subtle.importKey(
    'raw',
    encoder.encode(secret),
    { name: 'HMAC', hash: 'SHA-256' },
    false,
    ['sign'],
  );
  const signature = new Uint8Array(await crypto.subtle.sign('HMAC', key, encoder.encode(text)));
  return Array.from(signature, (byte) => byte.toString(16).padStart(2, '0')).join('');
}

describe('verifyWebhook', () => {
  it('accepts a Standard Webhooks delivery signed by the package and refuses a changed body', async () => {
    const body = '{"type":"transcript.ready"}';
    const at = new Date();
    const headers = new Headers({
      'webhook-id': 'msg_1',
      'webhook-timestamp': String(Math.floor(at.getTime() / 1000)),
      'webhook-signature': new Webhook(standard.secret).sign('msg_1', at, body),
    });
    expect(await verifyWebhook(standard, { headers, body: encoder.encode(body) })).toEqual({
      ok: true,
      id: 'msg_1',
    });
    const tampered = await verifyWebhook(standard, { headers, body: encoder.encode(`${body} `) });
    expect(tampered).toMatchObject({
      ok: false,
      reason: expect.stringMatching(/signature refused/),
    });
  });

  it('refuses a timestamp outside the source tolerance before checking the signature', async () => {
    const at = new Date(Date.now() - 120_000);
    const headers = new Headers({
      'webhook-id': 'msg_2',
      'webhook-timestamp': String(Math.floor(at.getTime() / 1000)),
      'webhook-signature': new Webhook(standard.secret).sign('msg_2', at, '{}'),
    });
    const result = await verifyWebhook(
      { ...standard, toleranceSec: 60 },
      { headers, body: encoder.encode('{}') },
    );
    expect(result).toEqual({
      ok: false,
      reason: 'timestamp outside the tolerance of 60 s (stale or replayed)',
    });
  });

  it('checks GitHub signatures and takes the delivery id and event type', async () => {
    const source: WebhookSource = { name: 'gh', scheme: 'github', secret: 'gh-secret' };
    const body = '{"action":"opened"}';
    const headers = new Headers({
      'x-hub-signature-256': `sha256=${await hmacHex('gh-secret', body)}`,
      'x-github-delivery': 'd-1',
      'x-github-event': 'issues',
    });
    expect(await verifyWebhook(source, { headers, body: encoder.encode(body) })).toEqual({
      ok: true,
      id: 'd-1',
      type: 'issues',
    });
    headers.set('x-hub-signature-256', `sha256=${await hmacHex('other-secret', body)}`);
    expect(await verifyWebhook(source, { headers, body: encoder.encode(body) })).toMatchObject({
      ok: false,
    });
  });

  it('names a body digest as the id of a bearer delivery without an id header', async () => {
    const source: WebhookSource = { name: 'bot', scheme: 'bearer', secret: 'bearer-secret' };
    const headers = new Headers({ authorization: 'Bearer bearer-secret' });
    const first = await verifyWebhook(source, { headers, body: encoder.encode('same') });
    const second = await verifyWebhook(source, { headers, body: encoder.encode('same') });
    expect(first.ok && first.id).toMatch(/^sha256-[0-9a-f]{64}$/);
    expect(second).toEqual(first);
    const wrong = await verifyWebhook(source, {
      headers: new Headers({ authorization: 'Bearer bearer-secreT' }),
      body: encoder.encode('same'),
    });
    expect(wrong).toEqual({ ok: false, reason: 'bearer secret refused' });
  });
});

describe('createWebhookInbox', () => {
  it('keeps one canonical entry per event id and skips entries no id claims', async () => {
    await using store = createMemoryStore();
    const inbox = createWebhookInbox({ store });
    const event = { id: 'e1', source: 'meetings', receivedAt: 1, body: { n: 1 } };
    const first = await inbox.append(event);
    expect(first.duplicate).toBe(false);
    expect(await inbox.append(event)).toEqual({ duplicate: true, entryId: first.entryId });
    // An entry appended by a process killed before it claimed the id.
    await store.streams.append('runtime:webhooks:meetings', JSON.stringify({ ...event, id: 'e2' }));
    expect((await inbox.list('meetings')).map((entry) => entry.event.id)).toEqual(['e1']);
    expect((await inbox.get('meetings', 'e1'))?.event.body).toEqual({ n: 1 });
    expect(await inbox.get('meetings', 'e2')).toBeUndefined();
  });
});
