/**
 * Test helpers: in-memory upstream connectors and downstream clients of every kind (SDK v2
 * 2025-era and 2026-07-28 clients, SDK v1 client) in front of a hub.
 */
import type { PolicyRule } from '@fedmcp/proxy-auth';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { Client as V1Client } from '@modelcontextprotocol/sdk/client/index.js';
import { InMemoryTransport as V1InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import type {
  ClientCapabilities,
  McpHttpHandler,
  Server,
  ServerNotifier,
} from '@modelcontextprotocol/server';
import { createMcpHandler, InMemoryTransport } from '@modelcontextprotocol/server';
import type { Hub, UpstreamConnector } from '../src/index.js';

/** A connector serving `{ url: 'memory://<name>' }` specs from in-process server factories. */
export function memoryConnector(factories: Record<string, () => Server>): UpstreamConnector {
  return async (spec, options) => {
    const name = 'url' in spec ? new URL(spec.url).hostname : '';
    const factory = factories[name];
    if (!factory) throw new Error(`no in-memory upstream named ${name}`);
    const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
    await factory().connect(serverSide);
    const client = new Client(options.clientInfo, { capabilities: options.capabilities });
    options.configure(client);
    await client.connect(clientSide);
    return client;
  };
}

/** Policy rules under which everyone may do anything, and calling `up__echo` needs consent. */
export const CONSENT_ON_ECHO: PolicyRule[] = [
  { id: 'everyone', effect: 'allow', subjects: ['*'], actions: ['*'] },
  {
    id: 'ask-echo',
    subjects: ['*'],
    actions: ['tools/call'],
    targets: ['up__echo'],
    consent: 'required',
  },
];

export const INTERACTIVE: ClientCapabilities = {
  sampling: {},
  elicitation: { form: {}, url: {} },
  roots: { listChanged: true },
};

/** A v2 client in the 2025 era, over an in-memory pair, in front of the hub. */
export async function connectLegacyClient(
  hub: Hub,
  capabilities: ClientCapabilities = {},
  configure?: (client: Client) => void,
): Promise<Client> {
  const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
  await hub.createServer({ era: 'legacy', transport: 'in-memory' }).connect(serverSide);
  const client = new Client({ name: 'legacy-client', version: '1.0.0' }, { capabilities });
  configure?.(client);
  await client.connect(clientSide);
  return client;
}

/** A v2 client pinned to 2026-07-28, over the SDK's web handler (no sockets), in front of the hub. */
export async function connectModernClient(
  hub: Hub,
  capabilities: ClientCapabilities = {},
  configure?: (client: Client) => void,
): Promise<{ client: Client; close: () => Promise<void> }> {
  const handler = createMcpHandler((context) => hub.createServer({ era: context.era }), {
    legacy: 'reject',
    bus: hub.bus,
  });
  const transport = new StreamableHTTPClientTransport(new URL('http://hub.test/mcp'), {
    fetch: (url, init) => handler.fetch(new Request(url, init)),
  });
  const client = new Client(
    { name: 'modern-client', version: '1.0.0' },
    { capabilities, versionNegotiation: { mode: { pin: '2026-07-28' } } },
  );
  configure?.(client);
  await client.connect(transport);
  return {
    client,
    close: async () => {
      await client.close();
      await handler.close();
    },
  };
}

/** An SDK v1 client (2025 era) over v1's in-memory pair, in front of the hub. */
export async function connectV1Client(
  hub: Hub,
  capabilities: ClientCapabilities = {},
): Promise<V1Client> {
  const [clientSide, serverSide] = V1InMemoryTransport.createLinkedPair();
  await hub.createServer({ era: 'legacy' }).connect(serverSide as never);
  const client = new V1Client({ name: 'v1-client', version: '1.0.0' }, { capabilities });
  await client.connect(clientSide);
  return client;
}

/** Waits until `check` returns a truthy value (polling; for events, not for timing). */
export async function eventually<T>(check: () => T | Promise<T>, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** The text of the first content block of a tool result. */
export function textOf(result: unknown): string {
  const content = (result as { content?: Array<{ type: string; text?: string }> }).content;
  return content?.[0]?.text ?? '';
}

/**
 * A connector reaching in-process servers served the 2026-07-28 way (the SDK's web handler,
 * `legacy: 'reject'`), through a Streamable HTTP client with an injected fetch: no sockets.
 */
export function modernConnector(
  factories: Record<string, (notify: ServerNotifier) => Server>,
): UpstreamConnector {
  return async (spec, options) => {
    const name = 'url' in spec ? new URL(spec.url).hostname : '';
    const factory = factories[name];
    if (!factory) throw new Error(`no modern upstream named ${name}`);
    const handler: McpHttpHandler = createMcpHandler(() => factory(handler.notify), {
      legacy: 'reject',
    });
    const transport = new StreamableHTTPClientTransport(new URL(`http://${name}.test/mcp`), {
      fetch: (url, init) => handler.fetch(new Request(url, init)),
    });
    const client = new Client(options.clientInfo, {
      capabilities: options.capabilities,
      versionNegotiation: { mode: 'auto' },
    });
    options.configure(client);
    await client.connect(transport);
    const close = client.onclose;
    client.onclose = () => {
      close?.();
      void handler.close();
    };
    return client;
  };
}

/** How often a fast request's `signal` and `cancellation` were read (see {@link watchReads}). */
export interface ExtraReads {
  signal: number;
  cancellation: number;
}

/**
 * `extra` behind a proxy that counts reads of its `signal` and `cancellation` into `reads`: tests
 * of the fast paths' lazy cancellation (a plain call must watch the cancellation, never build a
 * signal).
 */
export function watchReads<T extends object>(extra: T, reads: ExtraReads): T {
  return new Proxy(extra, {
    get(target, property) {
      if (property === 'signal') reads.signal += 1;
      if (property === 'cancellation') reads.cancellation += 1;
      return Reflect.get(target, property);
    },
  });
}
