/**
 * Unit tests of the federation web root under Deno (`deno test`, run by web-root-deno.test.ts):
 * the hub's fetch handler answers its fixed routes and refuses bad requests with a reason, with
 * no upstream, no network and no `node:` module in the code under test.
 */
import { InvalidConfigError } from '@fedmcp/protocol';
import { createHub, createHubHandler, type HubHandler } from '../../../src/index.ts';

declare const Deno: {
  test(name: string, fn: () => Promise<void> | void): void;
};

function check(condition: unknown, message: string): asserts condition {
  if (!condition) throw new Error(message);
}

async function withHandler(run: (handler: HubHandler) => Promise<void>): Promise<void> {
  const handler = await createHubHandler(createHub({}), { hubId: 'deno-unit', maxBodyBytes: 1024 });
  try {
    await run(handler);
  } finally {
    await handler.close();
  }
}

const base = 'http://hub.test';

Deno.test('answers /healthz', () =>
  withHandler(async (handler) => {
    const response = await handler(new Request(`${base}/healthz`));
    check(response.status === 200, `status ${response.status}`);
    const body = await response.json();
    check(body.status === 'ok', JSON.stringify(body));
  }));

Deno.test('serves its discovery document and the JWKS it points at', () =>
  withHandler(async (handler) => {
    const document = await (
      await handler(new Request(`${base}/.well-known/mcp-federation`))
    ).json();
    check(document.hubId === 'deno-unit', JSON.stringify(document));
    check(document.endpoint === `${base}/mcp`, document.endpoint);
    const jwks = await (await handler(new Request(document.jwksUri))).json();
    check(Array.isArray(jwks.keys) && jwks.keys.length === 1, JSON.stringify(jwks));
    check(!('d' in jwks.keys[0]), 'the JWKS must not publish a private key');
  }));

Deno.test('says where MCP is for an unknown path', () =>
  withHandler(async (handler) => {
    const response = await handler(new Request(`${base}/nope`));
    check(response.status === 404, `status ${response.status}`);
    const body = await response.json();
    check(String(body.message).includes('/mcp'), JSON.stringify(body));
  }));

Deno.test('refuses other methods on /mcp with 405 and Allow', () =>
  withHandler(async (handler) => {
    const response = await handler(new Request(`${base}/mcp`, { method: 'PUT' }));
    check(response.status === 405, `status ${response.status}`);
    check(
      response.headers.get('allow') === 'GET, POST, DELETE',
      String(response.headers.get('allow')),
    );
    await response.body?.cancel();
  }));

Deno.test('refuses a body over maxBodyBytes and malformed JSON, without a 5xx', () =>
  withHandler(async (handler) => {
    const headers = {
      'content-type': 'application/json',
      accept: 'application/json, text/event-stream',
    };
    const big = await handler(
      new Request(`${base}/mcp`, { method: 'POST', headers, body: 'x'.repeat(4096) }),
    );
    check(big.status === 413, `oversized: status ${big.status}`);
    await big.body?.cancel();
    const malformed = await handler(
      new Request(`${base}/mcp`, { method: 'POST', headers, body: '{"jsonrpc":' }),
    );
    check(malformed.status >= 400 && malformed.status < 500, `malformed: ${malformed.status}`);
    await malformed.body?.cancel();
  }));

Deno.test('refuses a stdio upstream with a config error that says what to do', async () => {
  const hub = createHub({ upstreams: { local: { command: 'node', args: ['server.js'] } } });
  try {
    await createHubHandler(hub);
    throw new Error('createHubHandler accepted a stdio upstream');
  } catch (error) {
    check(InvalidConfigError.isInstance(error), `not an InvalidConfigError: ${String(error)}`);
    check(String((error as Error).message).includes('give it a url'), String(error));
  } finally {
    await hub.close();
  }
});
