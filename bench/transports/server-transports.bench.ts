/**
 * Per-message overhead of each server transport of `createMcpHttpHost`: sequential `echo` tool
 * calls over our host's /mcp (2025 era and 2026-07-28), /sse and /ws, against the SDK's own
 * transport as the baseline in the same run — a bare `NodeStreamableHTTPServerTransport` on
 * `node:http`, no host around it. Targets are measured in interleaved rounds so drift (other
 * processes on the machine, JIT warm-up) spreads over all of them.
 *
 *   node --conditions=@fedmcp/source --import tsx bench/transports/server-transports.bench.ts
 *
 * Environment: BENCH_CALLS (calls per target, default 2000), BENCH_ROUNDS (default 4).
 */
import { randomUUID } from 'node:crypto';
import { createServer as createNodeServer, type IncomingMessage } from 'node:http';
import { createWebSocketClientTransport } from '@fedmcp/transports';
import { createMcpHttpHost } from '@fedmcp/transports/node';
import * as clientModule from '@modelcontextprotocol/client';
import * as nodeModule from '@modelcontextprotocol/node';
import * as serverModule from '@modelcontextprotocol/server';
import { WebSocket as WebSocketModule } from 'ws';

// biome-ignore lint/suspicious/noExplicitAny: the benchmark drives both eras' APIs loosely.
type Any = any;

// pnpm links the same versions as @fedmcp/transports uses, so host and benchmark share one copy.
const server: Any = serverModule;
const client: Any = clientModule;
const node: Any = nodeModule;
const WebSocket: Any = WebSocketModule;

const callsPerTarget = Number(process.env.BENCH_CALLS ?? 2000);
const rounds = Number(process.env.BENCH_ROUNDS ?? 4);
const warmupCalls = 200;

function createEchoServer(): Any {
  const echo = new server.Server(
    { name: 'bench-echo', version: '1.0.0' },
    { capabilities: { tools: {} } },
  );
  echo.setRequestHandler('tools/list', () => ({
    tools: [
      { name: 'echo', inputSchema: { type: 'object', properties: { text: { type: 'string' } } } },
    ],
  }));
  echo.setRequestHandler('tools/call', (request: Any) => ({
    content: [{ type: 'text', text: String(request.params.arguments?.text ?? '') }],
  }));
  return echo;
}

/** The SDK baseline: a sessionful Streamable HTTP transport on plain node:http, nothing else. */
async function startBaseline(): Promise<{ url: string; close(): Promise<void> }> {
  const transports = new Map<string, Any>();
  const http = createNodeServer(async (request: IncomingMessage, response) => {
    const sessionId = request.headers['mcp-session-id'] as string | undefined;
    let transport = sessionId ? transports.get(sessionId) : undefined;
    if (!transport) {
      const created = new node.NodeStreamableHTTPServerTransport({
        sessionIdGenerator: () => randomUUID(),
        onsessioninitialized: (id: string) => transports.set(id, created),
      });
      await createEchoServer().connect(created);
      transport = created;
    }
    await transport.handleRequest(request, response);
  });
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  const address = http.address() as { port: number };
  return {
    url: `http://127.0.0.1:${address.port}`,
    async close() {
      await Promise.allSettled([...transports.values()].map((transport) => transport.close()));
      http.closeAllConnections();
      await new Promise((resolve) => http.close(resolve));
    },
  };
}

interface Target {
  name: string;
  connect(): Promise<Any>;
  latencies: number[];
  totalMs: number;
  client?: Any;
}

function newClient(mode: 'legacy' | 'modern'): Any {
  return new client.Client(
    { name: 'bench-client', version: '1.0.0' },
    { versionNegotiation: { mode: mode === 'modern' ? { pin: '2026-07-28' } : 'legacy' } },
  );
}

async function connected(mode: 'legacy' | 'modern', transport: Any): Promise<Any> {
  const instance = newClient(mode);
  await instance.connect(transport);
  return instance;
}

async function callEcho(instance: Any, text: string) {
  const result = await instance.callTool({ name: 'echo', arguments: { text } });
  if (result.content[0].text !== text) throw new Error('echo returned the wrong text');
}

function percentile(sorted: number[], fraction: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * fraction))] ?? Number.NaN;
}

const baseline = await startBaseline();
const host = createMcpHttpHost({ createServer: () => createEchoServer() });
const { url } = await host.listen();
// The same host without resumability, to separate the event store's share of the overhead.
const hostWithoutEventStore = createMcpHttpHost({
  createServer: () => createEchoServer(),
  eventStore: false,
});
const plainUrl = (await hostWithoutEventStore.listen()).url;
const webSocketUrl = `ws${url.slice(4)}/ws`;

const targets: Target[] = [
  {
    name: 'SDK baseline: bare NodeStreamableHTTPServerTransport (2025)',
    connect: () =>
      connected('legacy', new client.StreamableHTTPClientTransport(new URL(`${baseline.url}/mcp`))),
  },
  {
    name: 'host /mcp, 2025 era (sessionful)',
    connect: () =>
      connected('legacy', new client.StreamableHTTPClientTransport(new URL(`${url}/mcp`))),
  },
  {
    name: 'host /mcp, 2025 era, eventStore: false',
    connect: () =>
      connected('legacy', new client.StreamableHTTPClientTransport(new URL(`${plainUrl}/mcp`))),
  },
  {
    name: 'host /mcp, 2026-07-28 (per request)',
    connect: () =>
      connected('modern', new client.StreamableHTTPClientTransport(new URL(`${url}/mcp`))),
  },
  {
    name: 'host /sse, legacy HTTP+SSE',
    connect: () => connected('legacy', new client.SSEClientTransport(new URL(`${url}/sse`))),
  },
  {
    name: 'host /ws, WebSocket (2025)',
    connect: () =>
      connected(
        'legacy',
        createWebSocketClientTransport({ url: webSocketUrl, WebSocket: WebSocket as Any }),
      ),
  },
  {
    name: 'host /ws, WebSocket (2026-07-28)',
    connect: () =>
      connected(
        'modern',
        createWebSocketClientTransport({ url: webSocketUrl, WebSocket: WebSocket as Any }),
      ),
  },
].map((target) => ({ ...target, latencies: [], totalMs: 0 }));

for (const target of targets) {
  target.client = await target.connect();
  for (let index = 0; index < warmupCalls; index += 1)
    await callEcho(target.client, `warm ${index}`);
}

const callsPerRound = Math.ceil(callsPerTarget / rounds);
const started = performance.now();
for (let round = 0; round < rounds; round += 1) {
  for (const target of targets) {
    const roundStart = performance.now();
    for (let index = 0; index < callsPerRound; index += 1) {
      const callStart = performance.now();
      await callEcho(target.client, `message ${index}`);
      target.latencies.push(performance.now() - callStart);
    }
    target.totalMs += performance.now() - roundStart;
  }
}
const elapsedSeconds = (performance.now() - started) / 1000;

const rows = targets.map((target) => {
  const sorted = [...target.latencies].sort((left, right) => left - right);
  return {
    name: target.name,
    perSecond: (target.latencies.length / target.totalMs) * 1000,
    p50: percentile(sorted, 0.5),
    p99: percentile(sorted, 0.99),
  };
});
const base = rows[0] as (typeof rows)[number];
const header = ['transport', 'calls/s', 'p50 ms', 'p99 ms', 'calls/s vs SDK', 'p50 vs SDK'];
const table = rows.map((row) => [
  row.name,
  row.perSecond.toFixed(0),
  row.p50.toFixed(2),
  row.p99.toFixed(2),
  `${(row.perSecond / base.perSecond).toFixed(2)}×`,
  `${(row.p50 / base.p50).toFixed(2)}×`,
]);
const widths = header.map((title, column) =>
  Math.max(title.length, ...table.map((cells) => (cells[column] as string).length)),
);
const line = (cells: string[]) =>
  `| ${cells.map((cell, column) => (column === 0 ? cell.padEnd(widths[column] as number) : cell.padStart(widths[column] as number))).join(' | ')} |`;
process.stdout.write(
  `Echo tool calls, sequential, one client per transport: ${table.length} targets × ${callsPerRound * rounds} calls ` +
    `(${rounds} interleaved rounds, ${warmupCalls} warm-up calls each), ${elapsedSeconds.toFixed(1)} s, Node ${process.version}\n\n`,
);
process.stdout.write(
  `${line(header)}\n|${widths.map((width) => '-'.repeat(width + 2)).join('|')}|\n`,
);
for (const cells of table) process.stdout.write(`${line(cells)}\n`);
process.stdout.write(
  '\nOne call = one request and one response. Ratios: calls/s above 1× and p50 below 1× are faster than the SDK baseline.\n',
);

for (const target of targets) await target.client?.close().catch(() => {});
await host.close();
await hostWithoutEventStore.close();
await baseline.close();
