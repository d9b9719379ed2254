/**
 * `pnpm bench edge` — the hub as a Cloudflare Worker (the esbuild bundle of the edge tests' worker
 * entry, in workerd through miniflare, in front of server-everything over HTTP on loopback):
 *
 * - the bundle's size, minified and gzip (target ≤ 1 MiB minified);
 * - cold start: from a new worker (a new isolate: `new Miniflare()` until ready) to the answer of
 *   its first MCP call (a 2026-07-28 client: discover, then `everything__echo`), against the same
 *   call on the warm isolate right after (the baseline, measured in the same round).
 *
 * Rounds are interleaved (cold, warm, next worker…); medians are printed with their ratio.
 * `FEDMCP_BENCH_EDGE_ROUNDS` sets the number of workers started (default 7).
 */
import { gzipSync } from 'node:zlib';
import { generateApiKey, hashApiKey } from '@fedmcp/proxy-auth';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { Miniflare } from 'miniflare';
import {
  bundleEdge,
  workerEntry,
} from '../../packages/federation/test/edge/fixtures/bundle-edge.js';
// The server-everything fixture of the tests (bench has no dependency on @fedmcp/test-support).
import { startEverything } from '../../test/support/src/server-everything.js';

const rounds = Number(process.env.FEDMCP_BENCH_EDGE_ROUNDS ?? 7);

/** One MCP call from a new 2026-07-28 client: its connect (discover) and an echo. */
async function callOnce(url: URL, key: string): Promise<number> {
  const started = performance.now();
  const client = new Client(
    { name: 'bench-edge', version: '1.0.0' },
    { versionNegotiation: { mode: { pin: '2026-07-28' } } },
  );
  await client.connect(
    new StreamableHTTPClientTransport(url, {
      requestInit: { headers: { authorization: `Bearer ${key}` } },
    }),
  );
  const result = await client.callTool({ name: 'everything__echo', arguments: { message: 'x' } });
  const elapsed = performance.now() - started;
  await client.close();
  if (result.isError) throw new Error(`the echo failed: ${JSON.stringify(result.content)}`);
  return elapsed;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2
    ? (sorted[middle] ?? 0)
    : ((sorted[middle - 1] ?? 0) + (sorted[middle] ?? 0)) / 2;
}

const mib = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(2)} MiB`;

const { code } = await bundleEdge(workerEntry);
const gzip = gzipSync(code).length;
console.log(
  `worker bundle: ${code.length} bytes (${mib(code.length)}) minified, ${gzip} bytes (${mib(gzip)}) gzip; target ≤ 1 MiB minified: ${code.length <= 1024 * 1024 ? 'met' : 'not met'}`,
);

const key = generateApiKey();
const keyHash = await hashApiKey(key);
await using everything = await startEverything();
const startup: number[] = [];
const cold: number[] = [];
const warm: number[] = [];
for (let round = 0; round < rounds; round += 1) {
  const started = performance.now();
  const miniflare = new Miniflare({
    modules: [{ type: 'ESModule', path: 'worker.mjs', contents: code }],
    compatibilityDate: '2025-09-01',
    compatibilityFlags: ['nodejs_compat'],
    // The hub runs in a Durable Object (a paused call resumes there); the cold start includes it.
    durableObjects: { FEDMCP_HUB: { className: 'FedmcpHubObject' } },
    bindings: { UPSTREAM_URL: everything.url, API_KEY_HASHES: keyHash },
    host: '127.0.0.1',
    port: 0,
    cf: false,
  });
  try {
    const url = new URL('/mcp', await miniflare.ready);
    startup.push(performance.now() - started);
    cold.push(await callOnce(url, key));
    warm.push(await callOnce(url, key));
  } finally {
    await miniflare.dispose();
  }
  process.stdout.write(`  worker ${round + 1}/${rounds} done\n`);
}

const coldMedian = median(cold);
const warmMedian = median(warm);
console.log(`\n${rounds} new workers (workerd via miniflare), medians:`);
console.log(`  worker start (new Miniflare → ready):          ${median(startup).toFixed(1)} ms`);
console.log(`  first call on a new isolate (connect + echo):  ${coldMedian.toFixed(1)} ms`);
console.log(`  the same call on the warm isolate (baseline):  ${warmMedian.toFixed(1)} ms`);
console.log(`  cold / warm: ${(coldMedian / warmMedian).toFixed(2)}×`);
