/**
 * Tool search for large catalogs: a hub with a 1,000-tool catalog — the real tools of
 * server-everything, server-memory and server-filesystem (npm, over stdio) plus synthetic
 * SaaS-like services (`synthetic-catalog.ts`, in memory) — measured through a real MCP client:
 *   - tokens of `tools/list` at `/mcp` (every tool listed) against the same hub's `search` view
 *     (`exposure: 'search'`: only `find_tools` and `call_tool`), and of one `find_tools` answer;
 *   - recall@5 (and @1, MRR) of `find_tools` on the labelled queries of `queries.ts`;
 *   - the latency of `find_tools`.
 * Tokens are estimated as ceil(characters / 4) of the compact JSON a client receives (the common
 * ~4 characters per token rule of thumb for English text with GPT-style BPE tokenizers; JSON with
 * many short keys usually tokenizes a little denser, so the true counts are somewhat higher for
 * both modes alike, and the ratio holds). No tokenizer package is used.
 *   node --conditions=@fedmcp/source --import tsx bench/search/search.bench.ts
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { UpstreamConnector } from '@fedmcp/federation';
import { connectNodeUpstream, createHub } from '@fedmcp/federation/node';
import { Client } from '@modelcontextprotocol/client';
import { InMemoryTransport, type Tool } from '@modelcontextprotocol/server';
import { QUERIES } from './queries.ts';
import { createSyntheticUpstream, SERVICES, toolsOf } from './synthetic-catalog.ts';

const CATALOG_SIZE = 1_000;
const root = fileURLToPath(new URL('../../', import.meta.url));
const env = { PATH: process.env.PATH ?? '' };
const npmServer = (name: string, ...args: string[]) => ({
  command: process.execPath,
  args: [`${root}node_modules/@modelcontextprotocol/${name}/dist/index.js`, ...args],
  env,
});
const tokens = (value: unknown) => Math.ceil(JSON.stringify(value).length / 4);

const scratch = await mkdtemp(join(tmpdir(), 'fedmcp-search-bench-'));
const realUpstreams = {
  everything: npmServer('server-everything', 'stdio'),
  memory: {
    ...npmServer('server-memory'),
    env: { ...env, MEMORY_FILE_PATH: join(scratch, 'm.jsonl') },
  },
  filesystem: npmServer('server-filesystem', scratch),
};

// Count the real tools first, then size the synthetic services to fill the catalog to 1,000.
const probe = createHub({ upstreams: realUpstreams, healthIntervalMs: 0 });
await probe.start();
const realCount = probe.upstreams.list().reduce((sum, upstream) => sum + upstream.tools, 0);
await probe.close();
let room = CATALOG_SIZE - realCount;
const synthetic: Record<string, { url: string }> = {};
const limits = new Map<string, number>();
for (const service of SERVICES) {
  if (room <= 0) break;
  const count = Math.min(room, toolsOf(service).length);
  limits.set(service.id, count);
  synthetic[service.id] = { url: `memory://${service.id}` };
  room -= count;
}

const connect: UpstreamConnector = async (spec, options) => {
  if (!('url' in spec) || !spec.url.startsWith('memory://'))
    return connectNodeUpstream(spec, options);
  const id = spec.url.slice('memory://'.length);
  const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
  await createSyntheticUpstream(id, limits.get(id)).connect(serverSide);
  const client = new Client(options.clientInfo, { capabilities: options.capabilities });
  options.configure(client);
  await client.connect(clientSide);
  return client;
};

const hub = createHub({
  connect,
  upstreams: { ...realUpstreams, ...synthetic },
  healthIntervalMs: 0,
  pageSize: 5_000,
  views: { search: { exposure: 'search' } },
});
await hub.start();

async function clientOn(view?: string): Promise<Client> {
  const [clientSide, hubSide] = InMemoryTransport.createLinkedPair();
  await hub.createServer(view ? { view } : {}).connect(hubSide);
  const client = new Client({ name: 'bench', version: '1.0.0' });
  await client.connect(clientSide);
  return client;
}

const listed = await clientOn();
const searching = await clientOn('search');
const all = (await listed.listTools()).tools;
const meta = (await searching.listTools()).tools;
if (all.length !== CATALOG_SIZE)
  throw new Error(`catalog has ${all.length} tools, not ${CATALOG_SIZE}`);
const catalogNames = new Set(all.map((tool) => tool.name));
for (const { query, expected } of QUERIES) {
  const missing = expected.filter((name) => !catalogNames.has(name));
  if (missing.length === expected.length)
    throw new Error(`"${query}": ${missing.join(', ')} not in the catalog`);
}

let found5 = 0;
let found1 = 0;
let reciprocal = 0;
let findTokens = 0;
const misses: string[] = [];
const latencies: number[] = [];
for (const { query, expected } of QUERIES) {
  const started = performance.now();
  const result = await searching.callTool({ name: 'find_tools', arguments: { query, limit: 5 } });
  latencies.push(performance.now() - started);
  findTokens += tokens(result);
  const names = (result.structuredContent as { tools: Tool[] }).tools.map((tool) => tool.name);
  const rank = names.findIndex((name) => expected.includes(name));
  if (rank >= 0) {
    found5 += 1;
    reciprocal += 1 / (rank + 1);
    if (rank === 0) found1 += 1;
  } else {
    misses.push(
      `  "${query}" → expected ${expected[0]}, got ${names.slice(0, 3).join(', ') || '(nothing)'}`,
    );
  }
}
// The index is built on the first search after a catalog change: the first query pays for it.
const first = latencies[0] ?? 0;
const sorted = latencies.slice(1).sort((a, b) => a - b);
const median = sorted[Math.floor(sorted.length / 2)] ?? 0;
const p95 = sorted[Math.floor(sorted.length * 0.95)] ?? 0;

const servers = new Set(all.map((tool) => tool.name.split('__')[0]));
const listTokens = tokens({ tools: all });
const searchTokens = tokens({ tools: meta });
const perFind = findTokens / QUERIES.length;
process.stdout.write(
  `catalog: ${all.length} tools from ${servers.size} upstreams (${realCount} real: server-everything, server-memory, server-filesystem over stdio; ${all.length - realCount} synthetic)\n` +
    `token estimate: ceil(JSON characters / 4)\n` +
    `tools/list, every tool listed:  ${listTokens.toLocaleString('en')} tokens\n` +
    `tools/list, exposure 'search':  ${searchTokens.toLocaleString('en')} tokens (find_tools + call_tool) — ${(listTokens / searchTokens).toFixed(0)}× smaller\n` +
    `find_tools answer (limit 5):    ${perFind.toFixed(0)} tokens on average\n` +
    `recall@5: ${(found5 / QUERIES.length).toFixed(3)} (${found5}/${QUERIES.length} queries; target ≥ 0.9)   recall@1: ${(found1 / QUERIES.length).toFixed(3)}   MRR@5: ${(reciprocal / QUERIES.length).toFixed(3)}\n` +
    `find_tools latency (in-process client): median ${median.toFixed(2)} ms, p95 ${p95.toFixed(2)} ms; the first (builds the index of ${all.length} tools) ${first.toFixed(2)} ms\n` +
    (misses.length > 0 ? `missed at 5:\n${misses.join('\n')}\n` : ''),
);
await Promise.all([listed.close(), searching.close()]);
await hub.close();
await rm(scratch, { recursive: true, force: true });
if (found5 / QUERIES.length < 0.9) process.exitCode = 1;
