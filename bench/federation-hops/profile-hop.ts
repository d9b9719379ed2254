/**
 * CPU profile of federation hops (issue #18): the "now" chain of federation-hops.bench.ts (h2 →
 * h1 → h0 → echo, every hub in this process), one call at a time, profiled only while the calls
 * run (not the start-up). Two profiles are written: calls at h0 and calls at h2; their difference,
 * per call, is what two hops cost (compare them with a profile viewer, or by function).
 *   node --conditions=@fedmcp/source --import tsx bench/federation-hops/profile-hop.ts [directory]
 * (FEDMCP_BENCH_MS sets the length of each profiled loop, default 3000 ms; FEDMCP_HOP_CLIENT=2026
 * calls with a 2026-07-28 client.)
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { Session } from 'node:inspector/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createFedmcpServer, type FedmcpConfigInput, parseConfig } from '@fedmcp/server';
import { createMcpHttpHost } from '@fedmcp/transports/node';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { Server } from '@modelcontextprotocol/server';

const HUBS = 3;
const durationMs = Number(process.env.FEDMCP_BENCH_MS ?? 3000);
const output = process.argv[2] ?? (await mkdtemp(join(tmpdir(), 'fedmcp-hop-profile-')));
await mkdir(output, { recursive: true });

const echoHost = createMcpHttpHost({
  createServer: () => {
    const server = new Server({ name: 'echo', version: '1.0.0' }, { capabilities: { tools: {} } });
    const tools = [{ name: 'echo', inputSchema: { type: 'object' as const, properties: {} } }];
    server.setRequestHandler('tools/list', () => ({ tools }));
    server.setRequestHandler('tools/call', (request) => ({
      content: [{ type: 'text', text: String(request.params.arguments?.text ?? '') }],
    }));
    return server;
  },
  host: '127.0.0.1',
  port: 0,
});
const echoUrl = `${(await echoHost.listen()).url.replace(/\/(mcp)?$/, '')}/mcp`;
const directory = await mkdtemp(join(tmpdir(), 'fedmcp-hop-profile-hubs-'));
const id = (index: number) => `h${index}`;
const inputs: FedmcpConfigInput[] = [];
const hubs = [];
const urls: string[] = [];
for (let index = 0; index < HUBS; index += 1) {
  const input: FedmcpConfigInput = {
    hub: { id: id(index), host: '127.0.0.1', port: 0 },
    store: 'memory:',
    policy: {
      rules: [
        { id: 'local', effect: 'allow', subjects: ['*'], actions: ['*'] },
        { id: 'export', effect: 'allow', subjects: [`via:${id(index + 1)}`], actions: ['*'] },
      ],
    },
    ...(index === 0 ? { mcpServers: { echo: { url: echoUrl } } } : {}),
  };
  const server = await createFedmcpServer({
    config: parseConfig(input, id(index), { env: {} }),
    baseDirectory: join(directory, id(index)),
  });
  inputs.push(input);
  hubs.push(server);
  urls.push((await server.listen()).url.replace(/\/mcp$/, ''));
}
for (let index = 0; index < HUBS; index += 1) {
  const peers: Record<string, { url: string; import?: boolean }> = {};
  if (index + 1 < HUBS) peers[id(index + 1)] = { url: urls[index + 1] as string, import: false };
  if (index > 0) peers[id(index - 1)] = { url: urls[index - 1] as string };
  await hubs[index]?.applyConfig(
    parseConfig({ ...inputs[index], peers } as FedmcpConfigInput, id(index), { env: {} }),
  );
}

const modern = process.env.FEDMCP_HOP_CLIENT === '2026';
async function connect(url: string): Promise<Client> {
  const client = new Client(
    { name: 'profile', version: '1.0.0' },
    modern ? { versionNegotiation: { mode: { pin: '2026-07-28' } } } : {},
  );
  await client.connect(new StreamableHTTPClientTransport(new URL(url)));
  return client;
}
const toolAt = (hops: number) =>
  [...Array.from({ length: hops }, (_, index) => id(hops - 1 - index)), 'echo', 'echo'].join('__');

const session = new Session();
session.connect();
await session.post('Profiler.enable');
await session.post('Profiler.setSamplingInterval', { interval: 100 });
for (const hops of [0, HUBS - 1]) {
  const client = await connect(`${urls[hops]}/mcp`);
  const tool = toolAt(hops);
  const call = () => client.callTool({ name: tool, arguments: { text: 'hi' } });
  const deadline = Date.now() + 15_000;
  for (;;) {
    const result = (await call().catch(() => undefined)) as
      | { content?: Array<{ text?: string }> }
      | undefined;
    if (result?.content?.[0]?.text === 'hi') break;
    if (Date.now() > deadline) throw new Error(`${tool} is not reachable at ${urls[hops]}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  const warmUpUntil = performance.now() + durationMs / 2;
  while (performance.now() < warmUpUntil) await call();
  await session.post('Profiler.start');
  const cpu = process.cpuUsage();
  let calls = 0;
  const started = performance.now();
  while (performance.now() - started < durationMs) {
    await call();
    calls += 1;
  }
  const used = process.cpuUsage(cpu);
  const { profile } = await session.post('Profiler.stop');
  const file = join(output, `h${hops}.cpuprofile`);
  await writeFile(file, JSON.stringify(profile));
  // The number of calls profiled, for per-call figures (diff-hop-profiles.ts).
  await writeFile(
    join(output, `h${hops}.calls.json`),
    JSON.stringify({ calls, cpuMicroseconds: used.user + used.system }),
  );
  console.log(
    `${tool}: ${calls} calls, ${(((used.user + used.system) / calls) | 0).toString()} µs CPU per call → ${file}`,
  );
  await client.close();
}
session.disconnect();
for (const hub of [...hubs].reverse()) await hub.close();
await echoHost.close();
await rm(directory, { recursive: true, force: true });
