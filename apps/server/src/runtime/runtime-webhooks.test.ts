/**
 * The built-in runtime through a listening fedmcp server (real HTTP, an SDK client over
 * Streamable HTTP): verified webhooks (Standard Webhooks, GitHub, generic HMAC, bearer) refused
 * when tampered, replayed, stale, oversized or unknown; `resources/updated` on a new event; the
 * transcript automation's result; a denied service principal dead-lettered with the reason.
 */
import { createHmac } from 'node:crypto';
import { toHubResourceUri } from '@fedmcp/protocol';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../config/load-config.js';
import { createFedmcpServer, type FedmcpServer } from '../create-fedmcp-server.js';

const STANDARD_SECRET = `whsec_${Buffer.from('a-standard-webhooks-test-secret!').toString('base64')}`;
const GITHUB_SECRET = 'github-webhook-secret';
const HMAC_SECRET = 'generic-hmac-secret';
const BEARER_SECRET = 'bearer-webhook-secret';
const TRANSCRIPT = [
  'Ana: We decided to ship the beta on Monday.',
  'Bo: I will write the release notes by Friday.',
  'Ana: Can you also check the pricing page?',
].join('\n');

/** Standard Webhooks 1.0: `v1,<base64 HMAC-SHA256 of "{id}.{timestamp}.{body}">`, key after `whsec_`. */
function standardSignature(id: string, at: Date, body: string): string {
  const key = Buffer.from(STANDARD_SECRET.slice('whsec_'.length), 'base64');
  const timestamp = Math.floor(at.getTime() / 1000);
  return `v1,${createHmac('sha256', key).update(`${id}.${timestamp}.${body}`).digest('base64')}`;
}

const exposed = (uri: string) => toHubResourceUri('runtime', uri);

describe('the runtime through fedmcp serve', () => {
  let server: FedmcpServer;
  let base: string;
  let client: Client;
  const updated: string[] = [];
  const waiters: Array<{ uri: string; resolve: () => void }> = [];
  const nextUpdate = (uri: string) =>
    new Promise<void>((resolve) => waiters.push({ uri, resolve }));

  beforeAll(async () => {
    const config = parseConfig(
      {
        store: 'memory:',
        hub: { port: 0 },
        policy: {
          rules: [
            {
              id: 'no-denied-service',
              effect: 'deny',
              subjects: ['user:svc-denied'],
              actions: ['tools/call'],
            },
            { effect: 'allow', subjects: ['*'], actions: ['*'] },
          ],
        },
        runtime: {
          webhooks: {
            meetings: { scheme: 'standard-webhooks', secret: STANDARD_SECRET },
            github: { scheme: 'github', secret: GITHUB_SECRET },
            generic: {
              scheme: 'hmac',
              secret: HMAC_SECRET,
              signatureHeader: 'x-signature',
              timestampHeader: 'x-timestamp',
              toleranceSec: 60,
            },
            bot: { scheme: 'bearer', secret: BEARER_SECRET, maxBodyBytes: 1024 },
          },
          automations: [
            {
              name: 'transcripts',
              on: 'webhook:meetings',
              call: 'runtime__process_transcript',
              arguments: { transcript: '{{event.body.transcript}}', title: '{{event.body.topic}}' },
              as: 'svc-transcripts',
            },
            {
              name: 'denied',
              on: 'webhook:github',
              call: 'runtime__health',
              as: 'svc-denied',
              maxAttempts: 2,
            },
          ],
          retryDelayMs: 10,
        },
      },
      'fedmcp.config.json',
    );
    server = await createFedmcpServer({ config, baseDirectory: process.cwd() });
    const address = await server.listen();
    base = address.url;
    client = new Client({ name: 'runtime-test', version: '1.0.0' });
    client.setNotificationHandler('notifications/resources/updated', (notification) => {
      updated.push(notification.params.uri);
      for (const waiter of waiters.splice(0)) {
        if (waiter.uri === notification.params.uri) waiter.resolve();
        else waiters.push(waiter);
      }
    });
    await client.connect(new StreamableHTTPClientTransport(new URL(`${base}/mcp`)));
  });
  afterAll(async () => {
    await client?.close();
    await server?.close();
  });

  const post = (name: string, body: string, headers: Record<string, string>) =>
    fetch(`${base}/hooks/${name}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body,
    });
  const standardHeaders = (id: string, body: string, at = new Date()) => ({
    'webhook-id': id,
    'webhook-timestamp': String(Math.floor(at.getTime() / 1000)),
    'webhook-signature': standardSignature(id, at, body),
  });

  it('lists the runtime tools with output schemas', async () => {
    const { tools } = await client.listTools();
    const runtime = tools.filter((tool) => tool.name.startsWith('runtime__'));
    expect(runtime.map((tool) => tool.name).sort()).toEqual([
      'runtime__detect_intents',
      'runtime__health',
      'runtime__process_transcript',
    ]);
    for (const tool of runtime) expect(tool.outputSchema?.type).toBe('object');
    const health = await client.callTool({ name: 'runtime__health', arguments: {} });
    expect(health.structuredContent).toMatchObject({ status: 'ok', store: { ok: true } });
  });

  it('stores a verified Standard Webhooks event once, announces it and runs its automation', async () => {
    await client.subscribeResource({ uri: exposed('webhook://meetings/events') });
    await client.subscribeResource({
      uri: exposed('automation://transcripts/runs/msg_standard_1'),
    });
    const body = JSON.stringify({
      type: 'transcript.ready',
      topic: 'Beta launch',
      transcript: TRANSCRIPT,
    });
    const announced = nextUpdate(exposed('webhook://meetings/events'));
    const ran = nextUpdate(exposed('automation://transcripts/runs/msg_standard_1'));
    const first = await post('meetings', body, standardHeaders('msg_standard_1', body));
    expect(first.status).toBe(202);
    await announced;
    // The sender's retry of the same event: acknowledged, not stored twice.
    const again = await post('meetings', body, standardHeaders('msg_standard_1', body));
    expect(again.status).toBe(200);
    expect(await again.json()).toEqual({ id: 'msg_standard_1', duplicate: true });

    const list = await client.readResource({ uri: exposed('webhook://meetings/events') });
    const listed = JSON.parse((list.contents[0] as { text: string }).text);
    expect(listed.events.map((event: { id: string }) => event.id)).toEqual(['msg_standard_1']);
    const one = await client.readResource({
      uri: exposed('webhook://meetings/events/msg_standard_1'),
    });
    expect(JSON.parse((one.contents[0] as { text: string }).text)).toMatchObject({
      id: 'msg_standard_1',
      source: 'meetings',
      type: 'transcript.ready',
      body: { topic: 'Beta launch' },
    });

    await ran;
    const run = await client.readResource({
      uri: exposed('automation://transcripts/runs/msg_standard_1'),
    });
    const record = JSON.parse((run.contents[0] as { text: string }).text);
    expect(record).toMatchObject({ state: 'done', attempts: 1 });
    expect(record.result.title).toBe('Beta launch');
    expect(
      record.result.participants.map((participant: { name: string }) => participant.name),
    ).toEqual(['Ana', 'Bo']);
    expect(record.result.actionItems[0]).toMatchObject({ owner: 'Bo' });
  });

  it('summarises with the calling client’s model when it can sample, through the hub', async () => {
    const sampler = new Client(
      { name: 'sampler', version: '1.0.0' },
      { capabilities: { sampling: {} } },
    );
    const asked: string[] = [];
    sampler.setRequestHandler('sampling/createMessage', async (request) => {
      const first = request.params.messages[0]?.content;
      asked.push(first && 'text' in first ? String(first.text) : '');
      return {
        model: 'test-model',
        role: 'assistant',
        content: { type: 'text', text: 'Ana and Bo agreed to ship on Monday.' },
      };
    });
    await sampler.connect(new StreamableHTTPClientTransport(new URL(`${base}/mcp`)));
    try {
      const result = await sampler.callTool({
        name: 'runtime__process_transcript',
        arguments: { transcript: TRANSCRIPT },
      });
      expect(result.structuredContent).toMatchObject({
        summary: 'Ana and Bo agreed to ship on Monday.',
        summarySource: 'sampling',
      });
      expect(asked[0]).toContain('Bo: I will write the release notes by Friday.');
    } finally {
      await sampler.close();
    }
    // A client without sampling gets the extractive summary.
    const plain = await client.callTool({
      name: 'runtime__process_transcript',
      arguments: { transcript: TRANSCRIPT },
    });
    expect(plain.structuredContent).toMatchObject({ summarySource: 'extractive' });
  });

  it('announces status://hub to subscribers when an upstream changes state', async () => {
    const status = exposed('status://hub');
    await client.subscribeResource({ uri: status });
    const changed = nextUpdate(status);
    // Nothing listens on port 9: the upstream goes down, and its state change is announced.
    await server.hub.upstreams.add('late', { url: 'http://127.0.0.1:9/mcp' });
    await changed;
    const read = await client.readResource({ uri: status });
    const document = JSON.parse((read.contents[0] as { text: string }).text);
    expect(document.upstreams).toEqual([
      expect.objectContaining({ id: 'late', state: expect.stringMatching(/down|connecting/) }),
    ]);
    await server.hub.upstreams.remove('late');
    const health = await client.callTool({ name: 'runtime__health', arguments: {} });
    expect(health.structuredContent).toMatchObject({ status: 'ok', upstreams: [] });
  });

  it('refuses tampered, stale, unsigned and unknown deliveries with the reason', async () => {
    const body = JSON.stringify({ transcript: 'x' });
    const tampered = await post('meetings', `${body} `, standardHeaders('msg_t', body));
    expect(tampered.status).toBe(401);
    expect((await tampered.json()).error).toMatch(/signature refused/);
    const stale = await post(
      'meetings',
      body,
      standardHeaders('msg_s', body, new Date(Date.now() - 10 * 60_000)),
    );
    expect(stale.status).toBe(401);
    expect((await stale.json()).error).toMatch(/tolerance/);
    const unsigned = await post('meetings', body, {});
    expect(unsigned.status).toBe(401);
    expect((await unsigned.json()).error).toMatch(/missing webhook-id/);
    const unknown = await post('nope', body, {});
    expect(unknown.status).toBe(404);
    expect((await post('%E0%A4%A', body, {})).status).toBe(404);
    const list = await client.readResource({ uri: exposed('webhook://meetings/events') });
    const ids = JSON.parse((list.contents[0] as { text: string }).text).events.map(
      (event: { id: string }) => event.id,
    );
    expect(ids).not.toContain('msg_t');
    expect(ids).not.toContain('msg_s');
  });

  it('verifies generic HMAC with a timestamp, and refuses a replay outside the tolerance', async () => {
    const body = JSON.stringify({ event: 'order.paid' });
    const sign = (timestamp: string) =>
      createHmac('sha256', HMAC_SECRET).update(`${timestamp}.${body}`).digest('hex');
    const now = String(Math.floor(Date.now() / 1000));
    const ok = await post('generic', body, {
      'x-timestamp': now,
      'x-signature': sign(now),
      'webhook-id': 'order-1',
    });
    expect(ok.status).toBe(202);
    const old = String(Math.floor(Date.now() / 1000) - 120);
    const replayed = await post('generic', body, { 'x-timestamp': old, 'x-signature': sign(old) });
    expect(replayed.status).toBe(401);
    expect((await replayed.json()).error).toMatch(/tolerance of 60 s/);
    const forged = await post('generic', body, { 'x-timestamp': now, 'x-signature': sign(old) });
    expect(forged.status).toBe(401);
  });

  it('checks a bearer secret and the body size limit', async () => {
    const small = JSON.stringify({ text: 'hello' });
    expect((await post('bot', small, { authorization: `Bearer ${BEARER_SECRET}` })).status).toBe(
      202,
    );
    // Same body, no id header: the body digest is its id, so it is a duplicate.
    expect((await post('bot', small, { authorization: `Bearer ${BEARER_SECRET}` })).status).toBe(
      200,
    );
    const wrong = await post('bot', small, { authorization: 'Bearer not-the-secret' });
    expect(wrong.status).toBe(401);
    const big = JSON.stringify({ text: 'x'.repeat(2048) });
    const oversized = await post('bot', big, { authorization: `Bearer ${BEARER_SECRET}` });
    expect(oversized.status).toBe(413);
  });

  it('dead-letters the automation of a denied service principal with the policy’s reason', async () => {
    await client.subscribeResource({ uri: exposed('automation://dead-letter') });
    const lettered = nextUpdate(exposed('automation://dead-letter'));
    const body = JSON.stringify({ action: 'opened' });
    const signature = `sha256=${createHmac('sha256', GITHUB_SECRET).update(body).digest('hex')}`;
    const bad = await post('github', body, { 'x-hub-signature-256': `sha256=${'0'.repeat(64)}` });
    expect(bad.status).toBe(401);
    const delivered = await post('github', body, {
      'x-hub-signature-256': signature,
      'x-github-delivery': 'delivery-1',
      'x-github-event': 'issues',
    });
    expect(delivered.status).toBe(202);
    await lettered;
    const letters = await client.readResource({ uri: exposed('automation://dead-letter') });
    const { deadLetters } = JSON.parse((letters.contents[0] as { text: string }).text);
    expect(deadLetters).toEqual([
      expect.objectContaining({
        automation: 'denied',
        trigger: 'delivery-1',
        call: 'runtime__health',
        attempts: 2,
        reason: expect.stringMatching(/^Policy rule "no-denied-service" denies tools\/call/),
      }),
    ]);
  });
});

describe('"runtime": false', () => {
  it('mounts no runtime: no runtime tools and no /hooks route', async () => {
    const config = parseConfig(
      { store: 'memory:', hub: { port: 0 }, runtime: false },
      'fedmcp.config.json',
    );
    await using server = await createFedmcpServer({ config, baseDirectory: process.cwd() });
    const { url } = await server.listen();
    const client = new Client({ name: 'runtime-off', version: '1.0.0' });
    await client.connect(new StreamableHTTPClientTransport(new URL(`${url}/mcp`)));
    try {
      expect((await client.listTools()).tools).toEqual([]);
      const hook = await fetch(`${url}/hooks/meetings`, { method: 'POST', body: '{}' });
      expect(hook.status).toBe(404);
    } finally {
      await client.close();
    }
  });

  it('refuses an automation naming a webhook source that is not configured, naming the key', () => {
    expect(() =>
      parseConfig(
        {
          runtime: {
            automations: [{ on: 'webhook:nope', call: 'runtime__health', as: 'svc' }],
          },
        },
        'fedmcp.config.json',
      ),
    ).toThrow(/runtime\.automations\[0\]\.on: no webhook source "nope" in runtime\.webhooks/);
    expect(() =>
      parseConfig(
        { runtime: { automations: [{ on: 'schedule:not a cron', call: 'x', as: 'svc' }] } },
        'fedmcp.config.json',
      ),
    ).toThrow(/is not a cron expression/);
  });

  it('logs refused and stored deliveries without a secret, a signature or a body', async () => {
    const lines: string[] = [];
    const capture = (object: unknown, message?: string) => {
      lines.push(`${JSON.stringify(object)} ${message ?? ''}`);
    };
    const logger = { debug: capture, info: capture, warn: capture, error: capture };
    const config = parseConfig(
      {
        store: 'memory:',
        hub: { port: 0 },
        runtime: { webhooks: { bot: { scheme: 'bearer', secret: BEARER_SECRET } } },
      },
      'fedmcp.config.json',
    );
    await using server = await createFedmcpServer({ config, baseDirectory: process.cwd(), logger });
    const { url } = await server.listen();
    const send = (token: string) =>
      fetch(`${url}/hooks/bot`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}` },
        body: '{"text":"private words"}',
      });
    expect((await send(`${BEARER_SECRET}-guess`)).status).toBe(401);
    expect((await send(BEARER_SECRET)).status).toBe(202);
    const logged = lines.join('\n');
    expect(logged).toContain('webhook refused');
    expect(logged).toContain('webhook stored');
    expect(logged).not.toContain(BEARER_SECRET);
    expect(logged).not.toContain('private words');
  });
});
