/**
 * The transport matrix: the same scenario over stdio, Streamable HTTP (2025 era and 2026-07-28),
 * legacy SSE and WebSocket, each with real SDK clients (v1 for 2025-era paths, v2 for both eras)
 * against the test server served by our hosts.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createMcpHttpHost, type McpHttpHost } from '../../src/node/index.js';
import {
  connectV1Client,
  connectV2Client,
  ELICITED_NAME,
  type MatrixClient,
} from './fixtures/matrix-clients.js';
import {
  COUNTER_URI,
  createTestServerFactory,
  type TestServerFactory,
} from './fixtures/test-server.js';
import { connectV2WebSocketClient } from './fixtures/v2-websocket.js';

interface Leg {
  name: string;
  transport: 'stdio' | 'streamable-http' | 'sse' | 'websocket';
  connect: () => Promise<MatrixClient>;
}

let host: McpHttpHost;
let factory: TestServerFactory;
let baseUrl: string;

beforeAll(async () => {
  factory = createTestServerFactory();
  host = createMcpHttpHost({ createServer: factory.createServer, bus: factory.bus });
  baseUrl = (await host.listen()).url;
});

afterAll(async () => {
  await host.close();
});

const legs: Leg[] = [
  { name: 'stdio · v1 client (2025)', transport: 'stdio', connect: () => connectV1Client('stdio') },
  {
    name: 'stdio · v2 client (2026-07-28)',
    transport: 'stdio',
    connect: () => connectV2Client('stdio', 'modern'),
  },
  {
    name: 'Streamable HTTP 2025 · v1 client',
    transport: 'streamable-http',
    connect: () => connectV1Client('streamable-http', `${baseUrl}/mcp`),
  },
  {
    name: 'Streamable HTTP 2025 · v2 client (legacy mode)',
    transport: 'streamable-http',
    connect: () => connectV2Client('streamable-http', 'legacy', `${baseUrl}/mcp`),
  },
  {
    name: 'Streamable HTTP 2026-07-28 · v2 client',
    transport: 'streamable-http',
    connect: () => connectV2Client('streamable-http', 'modern', `${baseUrl}/mcp`),
  },
  {
    name: 'legacy SSE · v1 client',
    transport: 'sse',
    connect: () => connectV1Client('sse', `${baseUrl}/sse`),
  },
  {
    name: 'WebSocket · v1 client (2025)',
    transport: 'websocket',
    connect: () => connectV1Client('websocket', `${baseUrl.replace('http', 'ws')}/ws`),
  },
  {
    name: 'WebSocket · v2 client (2026-07-28)',
    transport: 'websocket',
    connect: () => connectV2WebSocketClient(`${baseUrl.replace('http', 'ws')}/ws`, 'modern'),
  },
  {
    name: 'WebSocket · v2 client (2025)',
    transport: 'websocket',
    connect: () => connectV2WebSocketClient(`${baseUrl.replace('http', 'ws')}/ws`, 'legacy'),
  },
];

async function stats(client: MatrixClient) {
  return JSON.parse(await client.callText('stats')) as {
    counter: number;
    cancelled: number;
    slowRunning: number;
  };
}

// Generous: stdio legs spawn tsx processes (the 2026 v2 client spawns a probe sibling too), and
// the machine may be busy.
const stepOptions = { timeout: 30_000 };

describe.each(legs)('$name', (leg) => {
  let client: MatrixClient;

  it('connects (initialize or server/discover)', stepOptions, async () => {
    client = await leg.connect();
    expect(client.serverName()).toBe('matrix-test-server');
  });

  it('lists tools', stepOptions, async () => {
    expect(await client.listTools()).toEqual([
      'echo',
      'progress',
      'release_progress',
      'ask',
      'slow',
      'bump',
      'stats',
    ]);
  });

  it('calls a tool', stepOptions, async () => {
    expect(await client.callText('echo', { text: `hello over ${leg.transport}` })).toBe(
      `hello over ${leg.transport}`,
    );
  });

  it('delivers progress notifications', stepOptions, async () => {
    const progress: number[] = [];
    const call = client.callText(
      'progress',
      { steps: 3, holdResult: true },
      { onProgress: (value) => progress.push(value) },
    );
    await vi.waitFor(() => expect(progress).toHaveLength(3), { timeout: 10_000 });
    await client.callText('release_progress');
    expect(await call).toBe('done 3');
    expect(progress).toEqual([1, 2, 3]);
  });

  it('relays a server→client elicitation answered by the client', stepOptions, async () => {
    expect(await client.callText('ask')).toBe(`Hello, ${ELICITED_NAME}`);
  });

  it('delivers a resource update notification', stepOptions, async () => {
    const updates: string[] = [];
    await client.watchCounter((uri) => updates.push(uri));
    await client.callText('bump');
    await vi.waitFor(() => expect(updates).toContain(COUNTER_URI), { timeout: 10_000 });
  });

  it('cancels an in-flight call', stepOptions, async () => {
    const before = (await stats(client)).cancelled;
    const controller = new AbortController();
    const call = client.callText('slow', {}, { signal: controller.signal });
    call.catch(() => {});
    await vi.waitFor(async () => expect((await stats(client)).slowRunning).toBeGreaterThan(0), {
      timeout: 10_000,
      interval: 50,
    });
    controller.abort();
    await expect(call).rejects.toThrow();
    await vi.waitFor(async () => expect((await stats(client)).cancelled).toBe(before + 1), {
      timeout: 10_000,
      interval: 50,
    });
  });

  it('closes cleanly', stepOptions, async () => {
    const pid = client.pid();
    await client.close();
    if (leg.transport === 'stdio') {
      expect(pid).toBeTypeOf('number');
      await vi.waitFor(() => expect(isRunning(pid as number)).toBe(false), { timeout: 10_000 });
    } else {
      await vi.waitFor(() => expect(host.sessionCount).toBe(0), { timeout: 10_000 });
    }
  });
});

describe('the server factory context', () => {
  it('names the transport and era of every session it built', () => {
    const seen = new Set(
      factory.state.contexts.map((context) => `${context.transport}/${context.era}`),
    );
    expect([...seen].sort()).toEqual([
      'sse/legacy',
      'streamable-http/legacy',
      'streamable-http/modern',
      'websocket/legacy',
      'websocket/modern',
    ]);
  });
});

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
