import { describe, expect, it } from 'vitest';
import { createFlyProvider, createSupabaseProvider, EdgeProviderError } from '../src/index.js';
import { startFlyFake, startSupabaseFake } from '../src/node/index.js';

const bundle = {
  entry: 'index.ts',
  files: [{ path: 'index.ts', content: 'Deno.serve(() => new Response("hub"));' }],
};

describe('createSupabaseProvider', () => {
  const token = 'sbp_0123456789abcdef0123456789abcdef01234567';
  const projectRef = 'abcdefghijklmnopqrst';

  it('a dry run lists the deploy and the secrets requests, values redacted', async () => {
    const supabase = createSupabaseProvider({ token, projectRef, name: 'hub', dryRun: true });
    const result = await supabase.deploy({
      bundle,
      config: '{"hub":{}}',
      vars: { MODE: 'edge' },
      secrets: { KEY: 'sekret' },
    });
    expect(result.url).toBe(`https://${projectRef}.supabase.co/functions/v1/hub`);
    expect(result.requests.map((request) => `${request.method} ${request.url}`)).toEqual([
      `POST https://api.supabase.com/v1/projects/${projectRef}/functions/deploy?slug=hub`,
      `POST https://api.supabase.com/v1/projects/${projectRef}/secrets`,
    ]);
    expect(result.requests[0]?.parts?.map((part) => `${part.name} ${part.filename ?? ''}`)).toEqual(
      ['metadata ', 'file index.ts', 'file fedmcp.config.json'],
    );
    expect(JSON.parse(result.requests[0]?.parts?.[0]?.content ?? '')).toEqual({
      entrypoint_path: 'index.ts',
      name: 'hub',
      verify_jwt: false,
      static_patterns: [],
    });
    expect(result.requests[1]?.json).toEqual([
      { name: 'MODE', value: 'edge' },
      { name: 'KEY', value: '[redacted]' },
    ]);
  });

  it("turns the fake's refusal of a reserved secret name into an INVALID error naming it", async () => {
    await using fake = await startSupabaseFake({ token, projectRef });
    const supabase = createSupabaseProvider({ token, projectRef, baseUrl: fake.url });
    const error = await supabase
      .deploy({ bundle, secrets: { SUPABASE_URL: 'x' } })
      .catch((caught: unknown) => caught);
    expect(EdgeProviderError.isInstance(error) && error.code).toBe('INVALID');
    expect((error as Error).message).toContain('names starting with SUPABASE_ are reserved');
  });

  it('refuses a bundle without its entry before sending anything', async () => {
    const supabase = createSupabaseProvider({ token, projectRef, dryRun: true });
    await expect(
      supabase.deploy({ bundle: { entry: 'main.ts', files: bundle.files } }),
    ).rejects.toThrow('needs a bundle whose files include its entry file');
  });
});

describe('createFlyProvider', () => {
  const token = 'fm2_macaroon-token';

  it('sends a macaroon as FlyV1, scales only a deployed app, and a second destroy is NOT_FOUND', async () => {
    await using fake = await startFlyFake({ token });
    const fly = createFlyProvider({
      token,
      name: 'hub',
      baseUrl: fake.url,
      publicUrl: `${fake.url}/hub/hub`,
    });
    await expect(fly.scale(2)).rejects.toThrow(
      '"hub" has no machine to copy: run `fedmcp deploy fly` first.',
    );
    const result = await fly.deploy({ config: '{"hub":{}}' });
    expect(result.requests[0]?.headers.authorization).toBe('FlyV1 [redacted]');
    expect(result.files['fly.toml']).toContain('app = "hub"');
    expect((await fly.status()).health).toBe('ok');
    await fly.destroy();
    expect(fake.seen.filter((line) => line.startsWith('DELETE'))).toEqual([
      expect.stringMatching(/^DELETE \/v1\/apps\/hub\/machines\/\w+\?force=true$/),
      'DELETE /v1/apps/hub',
    ]);
    await expect(fly.destroy()).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });

  it('a redeploy updates the existing machines instead of adding more', async () => {
    await using fake = await startFlyFake({ token });
    const fly = createFlyProvider({ token, name: 'hub', baseUrl: fake.url, count: 2 });
    await fly.deploy({});
    await fly.deploy({ vars: { MODE: 'second' } });
    const machines = [...(fake.apps.get('hub')?.machines.values() ?? [])];
    expect(machines).toHaveLength(2);
    expect(
      machines.map((machine) => (machine.config as { env?: Record<string, string> }).env?.MODE),
    ).toEqual(['second', 'second']);
  });

  it('refuses secrets, which a machine config would show to every app member', async () => {
    const fly = createFlyProvider({ token, dryRun: true });
    await expect(fly.deploy({ secrets: { KEY: 'v' } })).rejects.toThrow(
      'set them with `fly secrets set NAME=VALUE -a <app>`',
    );
  });
});
