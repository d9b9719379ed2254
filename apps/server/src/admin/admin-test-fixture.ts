/**
 * A running hub for the admin API, facade and dashboard tests: two SDK upstreams over
 * Streamable HTTP (`docs`, in the config; `extra`, added through the API), API keys for an
 * operator (`admin` scope) and a user, pinning holding new tools, and a consent rule on
 * `docs__write`. Not exported from the package.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateApiKey, hashApiKey } from '@fedmcp/proxy-auth';
import { createMcpHttpHost, type McpHttpHost } from '@fedmcp/transports/node';
import { McpServer } from '@modelcontextprotocol/server';
import * as z from 'zod';
import type { FedmcpConfigInput } from '../config/config-schema.js';
import { parseConfig } from '../config/load-config.js';
import { createFedmcpServer, type FedmcpServer } from '../create-fedmcp-server.js';

/** An upstream with `echo` (read) and `write` (needs consent by the hub's policy). */
function createUpstream(name: string): McpServer {
  const server = new McpServer({ name, version: '1.0.0' });
  server.registerTool(
    'echo',
    { description: `Echoes a text (${name})`, inputSchema: z.object({ text: z.string() }) },
    async ({ text }) => ({ content: [{ type: 'text', text: `${name}: ${text}` }] }),
  );
  server.registerTool(
    'write',
    { description: `Writes a note (${name})`, inputSchema: z.object({ note: z.string() }) },
    async ({ note }) => ({ content: [{ type: 'text', text: `wrote ${note}` }] }),
  );
  return server;
}

/** See {@link startAdminFixture}. */
export interface AdminFixture extends AsyncDisposable {
  server: FedmcpServer;
  /** `http://127.0.0.1:<port>` */
  baseUrl: string;
  /** The MCP endpoint of the `extra` upstream (not in the config). */
  extraUrl: string;
  adminKey: string;
  userKey: string;
  /** A JSON request to the hub with a key (`undefined`: none). */
  request(
    method: string,
    path: string,
    options?: { key?: string; body?: unknown },
  ): Promise<Response>;
  /** Applies the config input changed by `change` (hot reload, as on a config file edit). */
  reconfigure(change: (input: FedmcpConfigInput) => FedmcpConfigInput): Promise<void>;
  /** An admin request's JSON body, failing on a non-2xx status. */
  admin<T = Record<string, unknown>>(method: string, path: string, body?: unknown): Promise<T>;
}

/**
 * Starts the hub and its upstreams; dispose it to stop everything. With `stateDirectory` the
 * hub's state is a SQLite file there (kept after disposal), else in memory.
 */
export async function startAdminFixture(
  options: { stateDirectory?: string } = {},
): Promise<AdminFixture> {
  const directory = await mkdtemp(join(tmpdir(), 'fedmcp-admin-'));
  const store = options.stateDirectory
    ? `sqlite:${join(options.stateDirectory, 'state.db')}`
    : 'memory:';
  const upstreams: McpHttpHost[] = [];
  const startUpstream = async (name: string) => {
    const host = createMcpHttpHost({ createServer: () => createUpstream(name) });
    upstreams.push(host);
    return `${(await host.listen()).url}/mcp`;
  };
  const docsUrl = await startUpstream('docs');
  const extraUrl = await startUpstream('extra');
  const adminKey = generateApiKey();
  const userKey = generateApiKey();
  let input: FedmcpConfigInput = {
    hub: { host: '127.0.0.1', port: 0, id: 'admin-hub' },
    store,
    runtime: false,
    auth: {
      apiKeys: [
        { hash: await hashApiKey(adminKey), subject: 'ops', scopes: ['admin'] },
        { hash: await hashApiKey(userKey), subject: 'alice' },
      ],
    },
    mcpServers: { docs: { url: docsUrl, type: 'http' } },
    pinning: { newItems: 'hold' },
    policy: {
      rules: [
        {
          id: 'ask-before-writing',
          consent: 'required',
          subjects: ['*'],
          actions: ['tools/call'],
          targets: ['*__write'],
        },
        { id: 'all', effect: 'allow', subjects: ['*'], actions: ['*'] },
      ],
    },
  };
  const server = await createFedmcpServer({
    config: parseConfig(input, 'test.json', { env: {} }),
    baseDirectory: directory,
    env: {},
  });
  const { url } = await server.listen();
  const baseUrl = url.replace(/\/mcp$/, '');
  const request: AdminFixture['request'] = (method, path, options = {}) =>
    fetch(`${baseUrl}${path}`, {
      method,
      headers: {
        ...(options.key ? { authorization: `Bearer ${options.key}` } : {}),
        ...(options.body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(options.body === undefined ? {} : { body: JSON.stringify(options.body) }),
    });
  return {
    server,
    baseUrl,
    extraUrl,
    adminKey,
    userKey,
    request,
    async reconfigure(change) {
      input = change(input);
      await server.applyConfig(parseConfig(input, 'test.json', { env: {} }));
    },
    async admin<T>(method: string, path: string, body?: unknown) {
      const response = await request(method, `/admin/v1${path}`, { key: adminKey, body });
      if (!response.ok) {
        throw new Error(`${method} ${path}: ${response.status} ${await response.text()}`);
      }
      return (response.status === 204 ? undefined : await response.json()) as T;
    },
    async [Symbol.asyncDispose]() {
      await server.close();
      for (const host of upstreams) await host.close();
      await rm(directory, { recursive: true, force: true });
    },
  };
}
