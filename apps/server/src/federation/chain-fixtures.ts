/**
 * Fixtures of the federation tests: real hubs (`createFedmcpServer` on 127.0.0.1, port 0, the
 * memory store, keys in a temp directory), server-everything over stdio, and an end user's SDK
 * client at a hub (API key, sampling and elicitation answered). Not exported from the package.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { generateApiKey, hashApiKey } from '@fedmcp/proxy-auth';
import { elicitedContent } from '@fedmcp/test-support';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import type { FedmcpConfigInput } from '../config/config-schema.js';
import { parseConfig } from '../config/load-config.js';
import {
  createFedmcpServer,
  type FedmcpServer,
  type FedmcpServerOptions,
} from '../create-fedmcp-server.js';

const everythingScript = fileURLToPath(
  new URL(
    '../../../../node_modules/@modelcontextprotocol/server-everything/dist/index.js',
    import.meta.url,
  ),
);
const observer = fileURLToPath(new URL('./cancel-observer.cjs', import.meta.url));

/** An `mcpServers` entry running server-everything over stdio, noting cancellations it reads. */
export function everythingEntry(observeFile: string) {
  return {
    command: process.execPath,
    args: ['--require', observer, everythingScript, 'stdio'],
    env: { PATH: process.env.PATH ?? '', FEDMCP_OBSERVE_FILE: observeFile },
  };
}

/** How many `notifications/cancelled` server-everything read. */
export function cancellationsSeen(observeFile: string): number {
  if (!existsSync(observeFile)) return 0;
  return readFileSync(observeFile, 'utf8').split('\n').filter(Boolean).length;
}

/** A running hub of a test, with the config input it runs on (to apply changes to). */
export interface TestHub {
  server: FedmcpServer;
  /** Its base URL (`http://127.0.0.1:<port>`). */
  url: string;
  input: FedmcpConfigInput;
  /** Applies the config input changed by `change`. */
  reconfigure(change: (input: FedmcpConfigInput) => FedmcpConfigInput): Promise<void>;
}

/** Starts a hub with id `id` in `directory` on 127.0.0.1:0 and the memory store. */
export async function startTestHub(
  directory: string,
  id: string,
  extra: Partial<FedmcpConfigInput> = {},
  options: Partial<Omit<FedmcpServerOptions, 'config' | 'baseDirectory'>> = {},
): Promise<TestHub> {
  let input: FedmcpConfigInput = {
    // The federation tests count exact catalogs: the built-in runtime only when a test asks.
    runtime: false,
    ...extra,
    hub: { host: '127.0.0.1', port: 0, id, ...extra.hub },
    store: 'memory:',
  };
  const server = await createFedmcpServer({
    config: parseConfig(input, id),
    baseDirectory: directory,
    ...options,
  });
  const { url } = await server.listen();
  const hub: TestHub = {
    server,
    url: url.replace(/\/mcp$/, ''),
    get input() {
      return input;
    },
    async reconfigure(change) {
      const next = change(input);
      await server.applyConfig(parseConfig(next, id));
      input = next;
    },
  };
  return hub;
}

/** An API key and its `auth.apiKeys` entry. */
export async function apiKeyFor(subject: string) {
  const key = generateApiKey();
  return { key, entry: { hash: await hashApiKey(key), subject } };
}

/** What a user's client saw. */
export interface UserClient {
  client: Client;
  sampling: string[];
  elicitations: string[];
  toolsChanged: number;
  close(): Promise<void>;
}

/**
 * Connects an end user's SDK client (2025 era session) to a hub with an API key; it answers
 * sampling with `sampled by <subject>` and elicitation forms with the name `<subject>`.
 */
export async function connectUser(
  hubUrl: string,
  apiKey: string,
  subject: string,
): Promise<UserClient> {
  const client = new Client(
    { name: `client-of-${subject}`, version: '1.0.0' },
    {
      capabilities: { sampling: {}, elicitation: { form: {} } },
      versionNegotiation: { mode: 'legacy' },
    },
  );
  const seen: UserClient = {
    client,
    sampling: [],
    elicitations: [],
    toolsChanged: 0,
    close: async () => {},
  };
  client.setRequestHandler('sampling/createMessage', (request) => {
    seen.sampling.push(JSON.stringify(request.params.messages));
    return {
      model: 'test-model',
      role: 'assistant' as const,
      content: { type: 'text' as const, text: `sampled by ${subject}` },
    };
  });
  client.setRequestHandler('elicitation/create', (request) => {
    seen.elicitations.push(request.params.message);
    return { action: 'accept' as const, content: elicitedContent(subject) };
  });
  client.setNotificationHandler('notifications/tools/list_changed', () => {
    seen.toolsChanged += 1;
  });
  const transport = new StreamableHTTPClientTransport(new URL(`${hubUrl}/mcp`), {
    requestInit: { headers: { authorization: `Bearer ${apiKey}` } },
  });
  await client.connect(transport);
  seen.close = async () => {
    await transport.terminateSession().catch(() => {});
    await client.close();
  };
  return seen;
}

/** The text of a tool result. */
export function textOf(result: unknown): string {
  const content = (result as { content?: Array<{ type: string; text?: string }> }).content ?? [];
  return content
    .filter((item) => item.type === 'text')
    .map((item) => item.text)
    .join('\n');
}

/** Policy rules letting callers arriving through `peer` see and use everything. */
export function exportAllTo(peer: string) {
  return {
    rules: [
      {
        id: `export-to-${peer}`,
        effect: 'allow' as const,
        subjects: [`via:${peer}`],
        actions: ['*'],
      },
    ],
  };
}

/**
 * Hubs A → B → C in `directory`: C fronts server-everything (its cancellations observed in
 * `observeFile`), each hub exports everything to the one before it, and alice holds an API key
 * at A. Trust is set up first (each hub accepts the tokens of the hub before it), then imports.
 */
export async function startChain(
  directory: string,
  options: Partial<Omit<FedmcpServerOptions, 'config' | 'baseDirectory'>> = {},
) {
  const observeFile = join(directory, 'cancellations.log');
  const alice = await apiKeyFor('alice');
  const c = await startTestHub(
    join(directory, 'c'),
    'c',
    { mcpServers: { everything: everythingEntry(observeFile) }, policy: exportAllTo('b') },
    options,
  );
  const b = await startTestHub(join(directory, 'b'), 'b', { policy: exportAllTo('a') }, options);
  const a = await startTestHub(
    join(directory, 'a'),
    'a',
    { auth: { apiKeys: [alice.entry] } },
    options,
  );
  await c.reconfigure((input) => ({ ...input, peers: { b: { url: b.url, import: false } } }));
  await b.reconfigure((input) => ({
    ...input,
    peers: { a: { url: a.url, import: false }, c: { url: c.url } },
  }));
  await a.reconfigure((input) => ({ ...input, peers: { b: { url: `${b.url}/mcp` } } }));
  return { a, b, c, alice, observeFile };
}
