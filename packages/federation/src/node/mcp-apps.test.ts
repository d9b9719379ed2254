/**
 * MCP Apps (`io.modelcontextprotocol/ui`) through the hub, with two copies of the npm server
 * `@modelcontextprotocol/server-basic-vanillajs` (each serves `ui://get-time/mcp-app.html` for its
 * `get-time` tool) behind the default prefix: the UI resources keep their `ui://` scheme and stay
 * apart, the tools point at them, reads route back, policy hides an app with its tool, and all of
 * it holds through a peer hop.
 */
import { fileURLToPath } from 'node:url';
import { createPolicy, type PolicyRule } from '@fedmcp/proxy-auth';
import type { Client } from '@modelcontextprotocol/client';
import { Client as HttpClient, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { describe, expect, it } from 'vitest';
import { connectLegacyClient } from '../../test/helpers.js';
import { minimalEnv } from '../../test/node-helpers.js';
import type { AccessRequest, HubAccess } from '../hub-access.js';
import { createPolicyAccess } from '../policy-access.js';
import { createHub, createHubServer } from './index.js';

const MCP_APP_MIME_TYPE = 'text/html;profile=mcp-app';

// The package's bin (`mcp-server-basic-vanillajs`); it serves stdio with `--stdio`.
const vanillaEntry = fileURLToPath(
  new URL(
    '../../node_modules/@modelcontextprotocol/server-basic-vanillajs/dist/index.js',
    import.meta.url,
  ),
);

/** One basic-vanillajs app server over stdio. */
const vanillaApp = () => ({
  command: process.execPath,
  args: [vanillaEntry, '--stdio'],
  env: minimalEnv,
});

const denyApp2: PolicyRule[] = [
  { effect: 'allow', subjects: ['*'], actions: ['*'] },
  { effect: 'deny', subjects: ['*'], actions: ['tools/call'], targets: ['*app2__get-time'] },
];

type ToolMeta = { ui?: { resourceUri?: string }; 'ui/resourceUri'?: string };

async function appUris(client: Client): Promise<Record<string, string | undefined>> {
  const { tools } = await client.listTools();
  return Object.fromEntries(
    tools
      .filter((tool) => tool.name.endsWith('get-time'))
      .map((tool) => {
        const meta = tool._meta as ToolMeta | undefined;
        expect(meta?.['ui/resourceUri']).toBe(meta?.ui?.resourceUri);
        return [tool.name, meta?.ui?.resourceUri];
      }),
  );
}

async function expectAppHtml(client: Client, uri: string): Promise<void> {
  const { contents } = await client.readResource({ uri });
  expect(contents).toHaveLength(1);
  expect(contents[0]).toMatchObject({ uri, mimeType: MCP_APP_MIME_TYPE });
  expect(String((contents[0] as { text?: string }).text)).toMatch(/<html/i);
}

async function connectHttpClient(url: string): Promise<Client & AsyncDisposable> {
  const client = new HttpClient({ name: 'host', version: '1.0.0' });
  await client.connect(new StreamableHTTPClientTransport(new URL(`${url}/mcp`)));
  return Object.assign(client, { [Symbol.asyncDispose]: () => client.close() });
}

describe('MCP Apps through the hub', () => {
  it('points two app servers’ tools at distinct ui:// URIs that read back as mcp-app HTML', async () => {
    const calls: AccessRequest[] = [];
    const recording: HubAccess = {
      check: (request) => {
        calls.push(request);
        return { kind: 'allow' };
      },
    };
    await using hub = createHub({
      upstreams: { app1: vanillaApp(), app2: vanillaApp() },
      healthIntervalMs: 0,
      access: recording,
    });
    await hub.start();
    const client = await connectLegacyClient(hub);
    try {
      expect(await appUris(client)).toEqual({
        'app1__get-time': 'ui://app1/get-time/mcp-app.html',
        'app2__get-time': 'ui://app2/get-time/mcp-app.html',
      });
      const { resources } = await client.listResources();
      expect(resources.map((resource) => [resource.uri, resource.mimeType])).toEqual([
        ['ui://app1/get-time/mcp-app.html', MCP_APP_MIME_TYPE],
        ['ui://app2/get-time/mcp-app.html', MCP_APP_MIME_TYPE],
      ]);
      await expectAppHtml(client, 'ui://app1/get-time/mcp-app.html');
      await expectAppHtml(client, 'ui://app2/get-time/mcp-app.html');
      expect(calls.map((call) => [call.upstream, call.upstreamTarget])).toEqual([
        ['app1', 'ui://get-time/mcp-app.html'],
        ['app2', 'ui://get-time/mcp-app.html'],
      ]);

      // The host calls the tool by its exposed name…
      const byName = await client.callTool({ name: 'app1__get-time', arguments: {} });
      expect(byName.structuredContent).toMatchObject({ time: expect.any(String) });
      // …and relays the view's own call by its bare name: the app opened last (app2) gets it.
      const fromView = await client.callTool({ name: 'get-time', arguments: {} });
      expect(fromView.structuredContent).toMatchObject({ time: expect.any(String) });
      expect(calls.slice(2).map((call) => [call.target, call.upstream])).toEqual([
        ['app1__get-time', 'app1'],
        ['app2__get-time', 'app2'],
      ]);
    } finally {
      await client.close();
    }
  }, 60_000);

  it('hides the UI resource of a tool the policy denies, and refuses reading it', async () => {
    const refused: string[] = [];
    const policy = createPolicyAccess({ policy: createPolicy(denyApp2) });
    await using hub = createHub({
      upstreams: { app1: vanillaApp(), app2: vanillaApp() },
      healthIntervalMs: 0,
      access: { ...policy, refused: (request) => void refused.push(request.target) },
    });
    await hub.start();
    const client = await connectLegacyClient(hub);
    try {
      expect(await appUris(client)).toEqual({
        'app1__get-time': 'ui://app1/get-time/mcp-app.html',
      });
      const { resources } = await client.listResources();
      expect(resources.map((resource) => resource.uri)).toEqual([
        'ui://app1/get-time/mcp-app.html',
      ]);
      await expectAppHtml(client, 'ui://app1/get-time/mcp-app.html');
      const readError = await client
        .readResource({ uri: 'ui://app2/get-time/mcp-app.html' })
        .catch((error: unknown) => error);
      const callError = await client
        .callTool({ name: 'app2__get-time', arguments: {} })
        .catch((error: unknown) => error);
      expect(String(readError)).toMatch(/does not allow this caller to use the tools of the app/);
      expect(String(callError)).toMatch(/denies tools\/call on "app2__get-time"/);
      // Refused like the denied call: the same JSON-RPC error code.
      expect((readError as { code: unknown }).code).toBe((callError as { code: unknown }).code);
      expect(refused).toEqual(['ui://app2/get-time/mcp-app.html', 'app2__get-time']);
    } finally {
      await client.close();
    }
  }, 60_000);

  it('namespaces app URIs again through a peer hop, routes reads back and hides denied apps', async () => {
    await using b = await createHubServer({
      hubId: 'b',
      upstreams: { app1: vanillaApp(), app2: vanillaApp() },
    });
    await using a = await createHubServer({
      hubId: 'a',
      hub: { access: createPolicyAccess({ policy: createPolicy(denyApp2) }) },
    });
    const urlA = (await a.listen()).url;
    const urlB = (await b.listen()).url;
    await b.setPeers({ a: { url: urlA, import: false } });
    await a.setPeers({ b: { url: urlB } });
    await using open = await connectHttpClient(urlB);
    expect(await appUris(open)).toEqual({
      'app1__get-time': 'ui://app1/get-time/mcp-app.html',
      'app2__get-time': 'ui://app2/get-time/mcp-app.html',
    });

    await using client = await connectHttpClient(urlA);
    expect(await appUris(client)).toEqual({
      'b__app1__get-time': 'ui://b/app1/get-time/mcp-app.html',
    });
    const { resources } = await client.listResources();
    expect(resources.map((resource) => [resource.uri, resource.mimeType])).toEqual([
      ['ui://b/app1/get-time/mcp-app.html', MCP_APP_MIME_TYPE],
    ]);
    await expectAppHtml(client, 'ui://b/app1/get-time/mcp-app.html');
    await expect(client.readResource({ uri: 'ui://b/app2/get-time/mcp-app.html' })).rejects.toThrow(
      /does not allow this caller/,
    );
    const result = await client.callTool({ name: 'b__app1__get-time', arguments: {} });
    expect(result.structuredContent).toMatchObject({ time: expect.any(String) });
    // The view's bare-name call through both hubs.
    const fromView = await client.callTool({ name: 'get-time', arguments: {} });
    expect(fromView.structuredContent).toMatchObject({ time: expect.any(String) });
  }, 60_000);
});
