/**
 * The cost of authentication per call through a running hub (issue #6): `createFedmcpServer` on
 * 127.0.0.1 with an `echo` upstream over stdio and a 10-rule policy, called over Streamable HTTP
 * (2025 era, one session per client) by an anonymous client, an API-key client (one of 100
 * configured keys) and an OAuth client (ES256 and RS256 JWTs from a local issuer, JWKS cached).
 * All clients talk to the same hub and their calls are interleaved one by one, so the ratios of
 * median latencies against anonymous compare like with like.
 *   pnpm bench auth-hub
 *   node --conditions=@fedmcp/source --import tsx bench/auth-hub/auth-hub.bench.ts
 * (FEDMCP_BENCH_MS sets the length of one run, default 400 ms.)
 */
import { fileURLToPath } from 'node:url';
import { generateApiKey, hashApiKey } from '@fedmcp/proxy-auth';
import { createFedmcpServer, parseConfig } from '@fedmcp/server';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { issuerKey, serveJwks } from '../local-issuer.js';
import { benchDurationMs } from '../measure.js';

const ROUNDS = 3;
const upstreamScript = fileURLToPath(new URL('./echo-upstream.ts', import.meta.url));
const ec = await issuerKey('ES256', 'ec-1');
const rsa = await issuerKey('RS256', 'rsa-1');
const jwks = await serveJwks([ec.jwk, rsa.jwk]);
const { issuer } = jwks;

const apiKey = generateApiKey();
const otherKeys = await Promise.all(
  Array.from({ length: 99 }, async (_, index) => ({
    hash: await hashApiKey(generateApiKey()),
    subject: `service-${index}`,
  })),
);
// Ten rules every caller goes through the same way: nine that do not apply, then the allow.
const rules = [
  ...Array.from({ length: 9 }, (_, index) => ({
    id: `other-${index}`,
    effect: 'deny' as const,
    subjects: [`group:team-${index}`],
    actions: ['tools/call'],
    targets: [`secret-${index}__*`],
  })),
  { id: 'everyone-echo', effect: 'allow' as const, subjects: ['*'], actions: ['*'] },
];

const server = await createFedmcpServer({
  config: parseConfig(
    {
      hub: { host: '127.0.0.1', port: 0 },
      store: 'memory:',
      auth: {
        // Anonymous callers are served next to authenticated ones (loopback, explicit).
        anonymous: true,
        oauth: { issuer, jwksUri: `${issuer}jwks.json` },
        apiKeys: [
          ...otherKeys.slice(0, 50),
          { hash: await hashApiKey(apiKey), subject: 'bench', groups: ['dev'] },
          ...otherKeys.slice(50),
        ],
      },
      policy: { rules },
      mcpServers: {
        echo: {
          command: process.execPath,
          args: ['--conditions=@fedmcp/source', '--import', 'tsx', upstreamScript, 'stdio'],
        },
      },
    },
    'bench',
    { env: {} },
  ),
});
const { url } = await server.listen();
const resource = server.authentication?.resource ?? `${url}/mcp`;
const now = Math.floor(Date.now() / 1000);
const claims = {
  iss: issuer,
  aud: resource,
  sub: 'alice',
  groups: ['dev'],
  iat: now,
  exp: now + 3600,
};

async function connect(headers: Record<string, string>): Promise<Client> {
  const client = new Client({ name: 'bench', version: '1.0.0' });
  await client.connect(
    new StreamableHTTPClientTransport(new URL(`${url}/mcp`), {
      fetch: (input, init) => {
        const merged = new Headers(init?.headers);
        for (const [name, value] of Object.entries(headers)) merged.set(name, value);
        return fetch(input, { ...init, headers: merged });
      },
    }),
  );
  return client;
}

const variants: Array<{ name: string; client: Client }> = [
  { name: 'anonymous', client: await connect({}) },
  { name: 'API key (X-API-Key, 1 of 100)', client: await connect({ 'x-api-key': apiKey }) },
  {
    name: 'OAuth JWT ES256',
    client: await connect({ authorization: `Bearer ${await ec.sign(claims)}` }),
  },
  {
    name: 'OAuth JWT RS256',
    client: await connect({ authorization: `Bearer ${await rsa.sign(claims)}` }),
  },
];
for (const { name, client } of variants) {
  const result = await client.callTool({ name: 'echo__echo', arguments: { text: 'hi' } });
  const text = (result.content as Array<{ text?: string }>)[0]?.text;
  if (text !== 'hi') throw new Error(`${name}: the echo call returned ${JSON.stringify(result)}`);
}

// Interleaved call by call (anonymous, API key, ES256, RS256, anonymous, …): every caller meets
// the same machine load, which matters more than run length on a shared machine. Medians and the
// 90th percentile of each caller's latencies are compared.
const latencies = new Map<string, number[]>(variants.map(({ name }) => [name, []]));
const call = (client: Client) => client.callTool({ name: 'echo__echo', arguments: { text: 'hi' } });
const warmUpUntil = performance.now() + benchDurationMs;
while (performance.now() < warmUpUntil) {
  for (const { client } of variants) await call(client);
}
const measureUntil = performance.now() + benchDurationMs * 3 * ROUNDS;
while (performance.now() < measureUntil) {
  for (const { name, client } of variants) {
    const started = performance.now();
    await call(client);
    latencies.get(name)?.push(performance.now() - started);
  }
}

const percentile = (values: number[], fraction: number) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * fraction))] ?? 0;
};
const anonymousMedian = percentile(latencies.get('anonymous') ?? [], 0.5);
const calls = latencies.get('anonymous')?.length ?? 0;
console.log(
  `tools/call through a running hub over Streamable HTTP, one call at a time, interleaved call by call (${calls} calls per caller)`,
);
console.log(
  `${'caller'.padEnd(32)}${'median µs'.padStart(11)}${'p90 µs'.padStart(9)}${'calls/s'.padStart(9)}${'vs anon'.padStart(9)}${'+µs/call'.padStart(10)}`,
);
for (const [name, values] of latencies) {
  const median = percentile(values, 0.5);
  const row = [
    (median * 1000).toFixed(0).padStart(11),
    (percentile(values, 0.9) * 1000).toFixed(0).padStart(9),
    (1000 / median).toFixed(0).padStart(9),
    `${(median / anonymousMedian).toFixed(2)}×`.padStart(9),
    (name === 'anonymous' ? '—' : ((median - anonymousMedian) * 1000).toFixed(0)).padStart(10),
  ];
  console.log(`${name.padEnd(32)}${row.join('')}`);
}
console.log('(vs anon: median latency relative to the anonymous caller; +µs/call: the difference)');
console.log(`JWKS fetched ${jwks.requests()} time(s) (cached after the first)`);

for (const { client } of variants) await client.close();
await server.close();
await jwks.close();
