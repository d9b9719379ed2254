import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import {
  type CreateWebSocket,
  createCloudflareProvider,
  EdgeProviderError,
  type ProgressEvent,
} from '../src/index.js';
import { type CloudflareFake, startCloudflareFake } from '../src/node/index.js';

const token = 'cf-token-0123456789';
const accountId = '023e105f4ecef8ad9ca31a8372d0c353';
const bundle = {
  entry: 'index.js',
  files: [
    { path: 'index.js', content: 'export default { fetch() { return new Response("ok"); } };' },
    { path: 'index.js.map', content: '{}' },
    { path: 'hash.wasm', content: new Uint8Array([0, 97, 115, 109]) },
  ],
};
const createWebSocket: CreateWebSocket = (url, protocol) => new WebSocket(url, protocol);

describe('createCloudflareProvider', () => {
  let fake: CloudflareFake;
  beforeAll(async () => {
    fake = await startCloudflareFake({ token, accountId });
  });
  afterAll(() => fake.close());

  const provider = (overrides: Partial<Parameters<typeof createCloudflareProvider>[0]> = {}) =>
    createCloudflareProvider({
      token,
      accountId,
      name: 'hub-one',
      baseUrl: `${fake.url}/client/v4`,
      publicUrl: `${fake.url}/hub/hub-one`,
      durableObjects: [{ binding: 'HUB_STATE', className: 'HubState' }],
      createWebSocket,
      ...overrides,
    });

  it('lists what it will create, uploads with metadata, enables the route, reports each step', async () => {
    const events: ProgressEvent[] = [];
    const cloudflare = provider({ onProgress: (event) => events.push(event) });
    expect(cloudflare.plan({ bundle, secrets: { API_KEY: 's3cret' } })).toEqual([
      {
        action: 'create-or-update',
        resource: 'Worker script "hub-one" (3 modules, entry index.js)',
      },
      { action: 'create-or-update', resource: '1 secret binding(s) on "hub-one"' },
      { action: 'create', resource: 'Durable Object class HubState bound as HUB_STATE' },
      { action: 'create-or-update', resource: 'workers.dev route for "hub-one"' },
    ]);
    const result = await cloudflare.deploy({
      bundle,
      config: '{"hub":{}}',
      secrets: { API_KEY: 's3cret' },
    });
    expect(result.url).toBe(`${fake.url}/hub/hub-one`);
    expect(events.map((event) => `${event.state} ${event.step}`)).toEqual([
      'start upload worker script',
      'done upload worker script',
      'start enable the workers.dev route',
      'done enable the workers.dev route',
    ]);
    const script = fake.scripts.get('hub-one');
    expect(script?.routeEnabled).toBe(true);
    expect(script?.modules['index.js']?.type).toBe('application/javascript+module');
    expect(script?.metadata.bindings).toContainEqual({
      name: 'API_KEY',
      type: 'secret_text',
      text: 's3cret',
    });
    expect(JSON.stringify(result.requests)).not.toContain('s3cret');
    expect(JSON.stringify(result.requests)).not.toContain(token);
  });

  it('reports the deployment and the hub health, then follows the tail over trace-v1', async () => {
    const cloudflare = provider();
    const status = await cloudflare.status();
    expect(status.state).toBe('deployed');
    expect(status.health).toBe('ok');
    expect(status.details[0]).toMatch(/^deployment \S+ \(.+\): \S+ 100%$/);
    const controller = new AbortController();
    const lines: string[] = [];
    for await (const event of cloudflare.logs({ follow: true, signal: controller.signal })) {
      lines.push(`${event.level} ${event.message}`);
      if (event.message === 'fedmcp hub ready') controller.abort();
    }
    expect(lines).toEqual(['request POST https://hub.example/mcp ok', 'log fedmcp hub ready']);
    expect(fake.seen.filter((line) => line.includes('/tails/'))).toHaveLength(1);
  });

  it('redeploys without repeating the applied Durable Object migration', async () => {
    const cloudflare = provider();
    await cloudflare.deploy({ bundle });
    expect(fake.scripts.get('hub-one')?.metadata.migrations).toBeUndefined();
    expect(fake.scripts.get('hub-one')?.classes).toEqual(['HubState']);
  });

  it('reads recent lines from the telemetry query without following', async () => {
    const lines: string[] = [];
    for await (const event of provider().logs()) lines.push(event.message);
    expect(lines).toEqual(['fedmcp hub ready']);
  });

  it('has no instance count to scale', async () => {
    await expect(provider().scale(3)).rejects.toMatchObject({ code: 'UNSUPPORTED' });
  });

  it('returns the exact requests of a dry run, token and secrets redacted, and sends nothing', async () => {
    const before = fake.seen.length;
    const result = await provider({ dryRun: true, publicUrl: undefined }).deploy({
      bundle,
      secrets: { API_KEY: 'hidden-value' },
    });
    expect(fake.seen.length).toBe(before);
    expect(result.dryRun).toBe(true);
    expect(result.requests.map((request) => `${request.method} ${request.url}`)).toEqual([
      `GET ${fake.url}/client/v4/accounts/${accountId}/workers/scripts`,
      `PUT ${fake.url}/client/v4/accounts/${accountId}/workers/scripts/hub-one`,
      `POST ${fake.url}/client/v4/accounts/${accountId}/workers/scripts/hub-one/subdomain`,
      `GET ${fake.url}/client/v4/accounts/${accountId}/workers/subdomain`,
    ]);
    const upload = result.requests[1];
    expect(upload?.headers.authorization).toBe('Bearer [redacted]');
    expect(upload?.parts?.map((part) => [part.name, part.filename, part.contentType])).toEqual([
      ['metadata', undefined, undefined],
      ['index.js', 'index.js', 'application/javascript+module'],
      ['index.js.map', 'index.js.map', 'application/source-map'],
      ['hash.wasm', 'hash.wasm', 'application/wasm'],
    ]);
    // Text modules are shown as sent; binary ones by their size.
    expect(upload?.parts?.slice(2).map((part) => part.content)).toEqual(['{}', '<4 bytes>']);
    expect(JSON.parse(upload?.parts?.[0]?.content ?? '{}').bindings).toContainEqual({
      name: 'API_KEY',
      type: 'secret_text',
      text: '[redacted]',
    });
  });

  it('turns a bad token, a foreign account and the rate limit into messages that say what to do', async () => {
    const bad = provider({ token: 'wrong-token' }).deploy({ bundle });
    await expect(bad).rejects.toThrow(
      /HTTP 401 \(Invalid API Token\)\. Check CLOUDFLARE_API_TOKEN/,
    );
    await expect(bad).rejects.not.toThrow(/wrong-token/);
    await expect(provider({ accountId: 'someone-else' }).status()).rejects.toThrow(
      /HTTP 403.*check CLOUDFLARE_ACCOUNT_ID/,
    );
    await using limited = await startCloudflareFake({ token, accountId, rateLimited: true });
    const error = await provider({ baseUrl: `${limited.url}/client/v4` })
      .deploy({ bundle })
      .catch((caught: unknown) => caught);
    expect(EdgeProviderError.isInstance(error) && error.code).toBe('QUOTA');
    expect((error as Error).message).toMatch(/wait a few minutes/);
  });

  it('deletes the worker; status then says it is missing', async () => {
    const cloudflare = provider();
    await cloudflare.destroy();
    expect(fake.scripts.has('hub-one')).toBe(false);
    expect((await cloudflare.status()).state).toBe('missing');
  });
});
