// The checks that the hub `fedmcp deploy` builds serves its whole config, shared by the deploy
// tests (the uploaded Worker in Miniflare, the Supabase function in Deno) and the `fedmcp dev`
// tests (the same bundle run locally): a config with consent, a pinned tool that changed, a
// policy rate limit, tasks options, CORS, the Host check and the Protected Resource Metadata,
// and what a client sees of each.
import { writeFile } from 'node:fs/promises';
import { request as httpRequest } from 'node:http';
import { dirname, join } from 'node:path';
import { generateApiKey, hashApiKey } from '@fedmcp/proxy-auth';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { expect } from 'vitest';

/** The API key the front-door config accepts (subject `ada`). */
export const apiKey = generateApiKey();
/** Takes any result as it is (a Standard Schema): a task result is not the tools/call shape. */
const anyResult = {
  '~standard': { version: 1, vendor: 'fedmcp-test', validate: (value: unknown) => ({ value }) },
} as const;
/** The origin the config's `hub.cors` allows. */
export const allowed = 'https://app.example.com';

/** A GET with any `Host` header (fetch keeps its own), answered with its status. */
function getWithHost(url: string, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const request = httpRequest(url, { headers: { host } }, (response) => {
      response.resume();
      response.on('end', () => resolve(response.statusCode ?? 0));
    });
    request.on('error', reject);
    request.end();
  });
}

/**
 * Writes the front-door config to `file` (its upstream `${EVERYTHING_URL}`, its pin file
 * `./pins.json` next to it: see {@link writePins}), with `extra` top-level keys.
 */
export async function writeConfig(
  file: string,
  extra: Record<string, unknown> = {},
  url = 'https://hub.example.com/mcp',
) {
  await writeFile(
    file,
    JSON.stringify({
      hub: {
        id: 'front-hub',
        name: 'Front hub',
        url,
        dataDir: join(dirname(file), 'data'),
        allowedHosts: ['127.0.0.1', 'localhost', 'hub.example.com'],
        cors: { allowedOrigins: [allowed] },
        instructions: 'The front hub answers.',
        tasks: { pollIntervalMs: 4321, maxTtlMs: 120_000 },
      },
      // biome-ignore lint/suspicious/noTemplateCurlyInString: a config reference, not a template
      mcpServers: { everything: { url: '${EVERYTHING_URL}' } },
      auth: {
        apiKeys: [{ hash: await hashApiKey(apiKey), subject: 'ada' }],
        oauth: {
          issuer: 'https://auth.example.com/',
          jwksUri: 'https://auth.example.com/jwks',
          scopesSupported: ['mcp'],
        },
      },
      policy: {
        rules: [
          { id: 'everyone', effect: 'allow', subjects: ['*'], actions: ['*'] },
          {
            id: 'ask-before-echo',
            subjects: ['*'],
            actions: ['tools/call'],
            targets: ['everything__echo'],
            consent: 'required',
          },
          {
            id: 'two-echoes',
            subjects: ['*'],
            actions: ['tools/call'],
            targets: ['everything__echo'],
            rateLimit: { limit: 2, per: 'hour', by: ['principal'] },
          },
        ],
      },
      consent: { periods: ['1h'] },
      // get-sum is pinned at a digest it no longer has: it changed, so it is held for review.
      pinning: { pinFile: './pins.json' },
      ...extra,
    }),
  );
}

/** The pin file of the front-door config: get-sum pinned at a digest it no longer has. */
export async function writePins(directory: string): Promise<void> {
  await writeFile(
    join(directory, 'pins.json'),
    JSON.stringify({
      version: 1,
      upstreams: {
        everything: {
          tools: {
            'get-sum': { digest: `sha256:${'0'.repeat(64)}`, pinnedAt: '2026-01-01T00:00:00Z' },
          },
        },
      },
    }),
  );
}

/**
 * What every runtime must answer at its hub base URL (`base` ends without a slash): `metadataPath`
 * is where the function serves the metadata of `resource`, `metadataUrl` what challenges name.
 */
export async function checkFrontDoor(
  base: string,
  resource = 'https://hub.example.com/mcp',
  metadataPath = '/.well-known/oauth-protected-resource/mcp',
  metadataUrl = 'https://hub.example.com/.well-known/oauth-protected-resource/mcp',
) {
  // A preflight from the allowed origin is answered; another origin is refused.
  const preflight = await fetch(`${base}/mcp`, {
    method: 'OPTIONS',
    headers: {
      origin: allowed,
      'access-control-request-method': 'POST',
      'access-control-request-headers': 'content-type, authorization, mcp-protocol-version',
    },
  });
  expect(preflight.status).toBe(204);
  expect(preflight.headers.get('access-control-allow-origin')).toBe(allowed);
  expect(preflight.headers.get('access-control-allow-methods')).toContain('POST');
  const foreign = await fetch(`${base}/mcp`, {
    method: 'POST',
    headers: {
      origin: 'https://evil.example.com',
      'content-type': 'application/json',
      accept: 'application/json, text/event-stream',
      authorization: `Bearer ${apiKey}`,
    },
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list' }),
  });
  expect(foreign.status).toBe(403);
  expect(foreign.headers.get('access-control-allow-origin')).toBeNull();
  await foreign.body?.cancel();
  // DNS rebinding: a name the hub is not served under.
  expect(await getWithHost(`${base}/healthz`, 'rebound.attacker.example')).toBe(403);
  expect(await getWithHost(`${base}/healthz`, 'hub.example.com')).toBe(200);
  // RFC 9728: the metadata document, and the 401 challenge that points at it.
  const metadata = await fetch(`${base}${metadataPath}`);
  expect(metadata.status).toBe(200);
  expect(await metadata.json()).toMatchObject({
    resource,
    authorization_servers: ['https://auth.example.com/'],
    scopes_supported: ['mcp'],
    resource_name: 'Front hub',
  });
  const anonymous = await fetch(`${base}/mcp`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list' }),
  });
  expect(anonymous.status).toBe(401);
  expect(anonymous.headers.get('www-authenticate')).toContain(`resource_metadata="${metadataUrl}"`);
  await anonymous.body?.cancel();
}

/** Consent asked and answered, and the held tool hidden and refused. */
export async function checkConsentAndPinning(mcpUrl: URL) {
  const asked: string[] = [];
  const client = new Client(
    { name: 'front', version: '1.0.0' },
    { capabilities: { elicitation: { form: {} } } },
  );
  client.setRequestHandler('elicitation/create', (request) => {
    asked.push(String(request.params.message));
    return { action: 'accept' as const, content: { decision: 'always_allow' } };
  });
  await client.connect(
    new StreamableHTTPClientTransport(mcpUrl, {
      requestInit: { headers: { authorization: `Bearer ${apiKey}` } },
    }),
  );
  try {
    const echoed = await client.callTool({
      name: 'everything__echo',
      arguments: { message: 'hi' },
    });
    expect(echoed.content).toEqual([{ type: 'text', text: 'Echo: hi' }]);
    expect(asked).toHaveLength(1);
    expect(asked[0]).toContain('everything__echo');
    // Remembered ("always allow"): not asked again.
    await client.callTool({ name: 'everything__echo', arguments: { message: 'again' } });
    expect(asked).toHaveLength(1);
    // The rule's rate limit (two an hour), counted in the hub's store.
    const limited = await client
      .callTool({ name: 'everything__echo', arguments: { message: 'third' } })
      .then(
        (result) => JSON.stringify(result),
        (error: Error) => error.message,
      );
    expect(limited).toMatch(/rate limit/i);
    expect(client.getInstructions()).toContain('The front hub answers.');
    // hub.tasks: a task-augmented call gets the configured poll interval, its ttl capped.
    const created = (await client.request(
      {
        method: 'tools/call',
        params: { name: 'everything__get-env', arguments: {}, task: { ttl: 600_000 } },
      },
      anyResult,
    )) as { task?: { taskId?: string; ttl?: number; pollInterval?: number } };
    expect(created.task).toMatchObject({ ttl: 120_000, pollInterval: 4321 });
    const names = (await client.listTools()).tools.map((tool) => tool.name);
    expect(names).toContain('everything__echo');
    expect(names).not.toContain('everything__get-sum');
    const held = await client
      .callTool({ name: 'everything__get-sum', arguments: { a: 1, b: 2 } })
      .then(
        (result) => JSON.stringify(result),
        (error: Error) => error.message,
      );
    expect(held).toMatch(/quarantined \(definition changed\) until an operator reviews it/);
  } finally {
    await client.close();
  }
}
