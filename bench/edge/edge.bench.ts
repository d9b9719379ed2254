/**
 * `pnpm bench edge` — the hub as a Cloudflare Worker, in workerd through miniflare, in front of
 * server-everything over HTTP on loopback, for two bundles:
 *
 * - **deploy**: the bundle `fedmcp deploy cloudflare` uploads (and `fedmcp dev --runtime workerd`
 *   runs), built by the CLI's `buildHubBundle` from a config with that one upstream; its state in
 *   the Durable Object engine (`FEDMCP_STORE`, SQLite) and the hub in `FEDMCP_HUB`;
 * - **test worker**: the esbuild bundle of the edge tests' worker entry (API-key auth), as before.
 *
 * For each: the bundle's size, minified and gzip (target ≤ 1 MiB minified; the Supabase build of
 * the deploy bundle too), and the cold start: from a new worker (a new isolate: `new Miniflare()`
 * until ready) to the answer of its first MCP call (a 2026-07-28 client: discover, then
 * `everything__echo`), against the same call on the warm isolate right after (the baseline,
 * measured in the same round). Rounds are interleaved (deploy cold, warm, test worker cold, warm,
 * next round…); medians are printed with their ratios. `FEDMCP_BENCH_EDGE_ROUNDS` sets the
 * number of workers started per bundle (default 7).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { generateApiKey, hashApiKey } from '@fedmcp/proxy-auth';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { Miniflare, type MiniflareOptions } from 'miniflare';
import {
  buildHubBundle,
  HUB_DURABLE_OBJECTS,
} from '../../apps/cli/src/commands/deploy-hub-bundle.js';
import {
  bundleEdge,
  workerEntry,
} from '../../packages/federation/test/edge/fixtures/bundle-edge.js';
// The server-everything fixture of the tests (bench has no dependency on @fedmcp/test-support).
import { startEverything } from '../../test/support/src/server-everything.js';

const rounds = Number(process.env.FEDMCP_BENCH_EDGE_ROUNDS ?? 7);

/** One MCP call from a new 2026-07-28 client: its connect (discover) and an echo. */
/** A bundle file's bytes (its content is text or bytes). */
const bytesOf = (content: string | Uint8Array | undefined): Uint8Array =>
  typeof content === 'string' || content === undefined
    ? new TextEncoder().encode(content ?? '')
    : content;

async function callOnce(url: URL, headers: Record<string, string>): Promise<number> {
  const started = performance.now();
  const client = new Client(
    { name: 'bench-edge', version: '1.0.0' },
    { versionNegotiation: { mode: { pin: '2026-07-28' } } },
  );
  await client.connect(new StreamableHTTPClientTransport(url, { requestInit: { headers } }));
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
function printSize(label: string, code: Uint8Array): void {
  const gzip = gzipSync(code).length;
  console.log(
    `${label.padEnd(41)}: ${code.length} bytes (${mib(code.length)}) minified, ${gzip} bytes (${mib(gzip)}) gzip; target ≤ 1 MiB minified: ${code.length <= 1024 * 1024 ? 'met' : 'not met'}`,
  );
}

await using everything = await startEverything();
const folder = mkdtempSync(join(tmpdir(), 'fedmcp-bench-edge-'));
try {
  // The deploy bundle of a config with server-everything as its one upstream.
  const config = join(folder, 'fedmcp.config.json');
  writeFileSync(
    config,
    JSON.stringify({
      hub: { id: 'bench-edge' },
      mcpServers: { everything: { url: everything.url } },
    }),
  );
  const deployed = await buildHubBundle(config, 'cloudflare', undefined);
  const deployCode = bytesOf(deployed.bundle.files[0]?.content);
  const supabase = await buildHubBundle(config, 'supabase', 'mcp');
  const supabaseCode = bytesOf(supabase.bundle.files[0]?.content);
  const { code: testCode } = await bundleEdge(workerEntry);
  printSize('deploy bundle (fedmcp deploy cloudflare)', deployCode);
  printSize('deploy bundle (fedmcp deploy supabase)', supabaseCode);
  printSize('test worker bundle', testCode);
  console.log(`  deploy / test worker size: ${(deployCode.length / testCode.length).toFixed(2)}×`);

  const key = generateApiKey();
  const keyHash = await hashApiKey(key);
  const subjects = [
    {
      name: 'deploy bundle',
      options: (round: number): MiniflareOptions => ({
        modules: [{ type: 'ESModule', path: 'index.js', contents: deployCode }],
        durableObjects: Object.fromEntries(
          HUB_DURABLE_OBJECTS.map(({ binding, className }) => [
            binding,
            { className, useSQLite: className === 'FedmcpStoreObject' },
          ]),
        ),
        // A fresh store per worker: nothing carried over from the round before.
        durableObjectsPersist: join(folder, `do-${round}`),
      }),
      headers: {} as Record<string, string>,
    },
    {
      name: 'test worker',
      options: (): MiniflareOptions => ({
        modules: [{ type: 'ESModule', path: 'worker.mjs', contents: testCode }],
        // The hub runs in a Durable Object (a paused call resumes there); the cold start includes it.
        durableObjects: { FEDMCP_HUB: { className: 'FedmcpHubObject' } },
        bindings: { UPSTREAM_URL: everything.url, API_KEY_HASHES: keyHash },
      }),
      headers: { authorization: `Bearer ${key}` },
    },
  ];
  const figures = subjects.map(() => ({
    startup: [] as number[],
    cold: [] as number[],
    warm: [] as number[],
  }));
  for (let round = 0; round < rounds; round += 1) {
    for (const [index, subject] of subjects.entries()) {
      const figure = figures[index]!;
      const started = performance.now();
      const miniflare = new Miniflare({
        compatibilityDate: '2025-09-01',
        compatibilityFlags: ['nodejs_compat'],
        host: '127.0.0.1',
        port: 0,
        cf: false,
        ...subject.options(round),
      } as MiniflareOptions);
      try {
        const url = new URL('/mcp', await miniflare.ready);
        figure.startup.push(performance.now() - started);
        figure.cold.push(await callOnce(url, subject.headers));
        figure.warm.push(await callOnce(url, subject.headers));
      } finally {
        await miniflare.dispose();
      }
    }
    process.stdout.write(`  round ${round + 1}/${rounds} done\n`);
  }

  console.log(`\n${rounds} new workers per bundle (workerd via miniflare), medians:`);
  for (const [index, subject] of subjects.entries()) {
    const { startup, cold, warm } = figures[index]!;
    const coldMedian = median(cold);
    const warmMedian = median(warm);
    console.log(`  ${subject.name}:`);
    console.log(
      `    worker start (new Miniflare → ready):          ${median(startup).toFixed(1)} ms`,
    );
    console.log(`    first call on a new isolate (connect + echo):  ${coldMedian.toFixed(1)} ms`);
    console.log(`    the same call on the warm isolate (baseline):  ${warmMedian.toFixed(1)} ms`);
    console.log(`    cold / warm: ${(coldMedian / warmMedian).toFixed(2)}×`);
  }
  const deployCold = median(figures[0]!.cold);
  const testCold = median(figures[1]!.cold);
  console.log(
    `  deploy / test worker, first call on a new isolate: ${(deployCold / testCold).toFixed(2)}×`,
  );
} finally {
  rmSync(folder, { recursive: true, force: true });
}
