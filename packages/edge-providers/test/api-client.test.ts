import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { createApiClient } from '../src/api-client.js';
import { createSupabaseProvider } from '../src/index.js';

describe('createApiClient', () => {
  it('names the host it could not reach, without the token', async () => {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    await new Promise<void>((resolve) => server.close(() => resolve()));
    const client = createApiClient({
      provider: 'fly',
      baseUrl: `http://127.0.0.1:${port}`,
      authorization: 'Bearer tok-42',
    });
    const error = await client
      .send({ method: 'GET', path: '/v1/apps/x', what: 'Reading the app' })
      .then(
        () => undefined,
        (caught: unknown) => caught as Error,
      );
    expect(error?.message).toBe(
      `Reading the app failed: 127.0.0.1:${port} could not be reached (ECONNREFUSED). Check the network, or the API URL override.`,
    );
  });

  it('redacts the token and secret values a platform echoes in an error answer', async () => {
    // The deploy (multipart) succeeds; the secrets request (JSON) is echoed back in a 400.
    const echo: typeof fetch = async (_url, init) =>
      typeof init?.body !== 'string'
        ? new Response('{"id":"f","slug":"fedmcp-hub","status":"ACTIVE","version":1}', {
            status: 201,
          })
        : new Response(
            JSON.stringify({
              message: `bad: ${init.body} ${new Headers(init.headers).get('authorization')}`,
            }),
            { status: 400 },
          );
    const supabase = createSupabaseProvider({
      token: 'sbp_secret_token',
      projectRef: 'ref',
      fetch: echo,
    });
    const bundle = { entry: 'index.ts', files: [{ path: 'index.ts', content: 'x' }] };
    const error = await supabase.deploy({ bundle, secrets: { KEY: 'value-to-hide' } }).then(
      () => undefined,
      (caught: unknown) => caught as Error,
    );
    expect(error?.message).toContain(
      'HTTP 400 (bad: [{"name":"KEY","value":"[redacted]"}] Bearer [redacted])',
    );
    expect(error?.message).not.toMatch(/sbp_secret_token|value-to-hide/);
  });
});
