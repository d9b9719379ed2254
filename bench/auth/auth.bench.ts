/**
 * @fedmcp/proxy-auth per-request costs: JWT verification with a cached JWKS (RS256 and ES256,
 * through authenticateRequest), API-key lookup among 100 configured keys, a policy decision over
 * 50 rules, list filtering, and a memory rate-limit check — each against a no-op async baseline
 * measured in the same run. One awaited operation at a time, best of three runs.
 * Run: node --conditions=@fedmcp/source --import tsx bench/auth/auth.bench.ts
 * (FEDMCP_BENCH_MS sets the length of one run, default 400 ms.)
 */
import {
  type Authenticator,
  authenticateRequest,
  createApiKeyAuthenticator,
  createJwtVerifier,
  createPolicy,
  createRateLimiter,
  generateApiKey,
  hashApiKey,
  type PolicyRule,
  type Principal,
} from '@fedmcp/proxy-auth';
import { issuerKey, serveJwks } from '../local-issuer.js';
import { benchDurationMs, measureOpsPerSecond } from '../measure.js';

const durationMs = benchDurationMs;
const audience = 'https://hub.example.com/mcp';

const rsa = await issuerKey('RS256', 'rsa-1');
const ec = await issuerKey('ES256', 'ec-1');
const jwks = await serveJwks([rsa.jwk, ec.jwk]);
const { issuer } = jwks;
const origin = issuer.slice(0, -1);

const now = Math.floor(Date.now() / 1000);
const claims = {
  iss: issuer,
  aud: audience,
  sub: 'alice',
  scope: 'tools.read tools.call',
  groups: ['dev'],
  iat: now,
  exp: now + 3600,
};
const rsaToken = await rsa.sign(claims);
const ecToken = await ec.sign(claims);
const verifier = createJwtVerifier({ issuer, audience, jwksUri: `${origin}/jwks.json` });
await verifier.verify(rsaToken); // fills the cache

const keys = await Promise.all(Array.from({ length: 100 }, () => generateApiKey()));
const apiKeys = createApiKeyAuthenticator({
  keys: await Promise.all(
    keys.map(async (key, index) => ({
      hash: await hashApiKey(key),
      subject: `client-${index}`,
      groups: ['dev'],
    })),
  ),
});
const authenticators: Authenticator[] = [verifier, apiKeys];
const lastKey = keys.at(-1)!;

const rules: PolicyRule[] = Array.from({ length: 48 }, (_, index) => ({
  id: `team-${index}`,
  effect: 'allow',
  subjects: [`group:team-${index}`],
  actions: ['tools/*', 'resources/read'],
  targets: [`upstream${index}__*`],
}));
rules.push(
  {
    id: 'dev',
    effect: 'allow',
    subjects: ['group:dev'],
    actions: ['tools/*'],
    targets: ['github__*'],
  },
  {
    id: 'no-deletes',
    effect: 'deny',
    subjects: ['*'],
    actions: ['tools/call'],
    targets: ['*__delete_*'],
  },
);
const policy = createPolicy(rules);
const principal: Principal = { subject: 'alice', groups: ['dev'], scopes: [], authMethod: 'oauth' };
const tools = Array.from({ length: 100 }, (_, index) => ({
  name: index % 2 ? `github__tool_${index}` : `slack__tool_${index}`,
}));
const limiter = createRateLimiter();

const noop = async () => {};
const cases: Array<[string, (index: number) => Promise<unknown>]> = [
  ['no-op (baseline)', noop],
  ['verify JWT RS256 (cached JWKS)', () => verifier.verify(rsaToken)],
  ['verify JWT ES256 (cached JWKS)', () => verifier.verify(ecToken)],
  [
    'authenticateRequest, JWT RS256',
    () => authenticateRequest({ headers: { authorization: `Bearer ${rsaToken}` } }, authenticators),
  ],
  [
    'authenticateRequest, API key (100 keys)',
    () => authenticateRequest({ headers: { 'x-api-key': lastKey } }, authenticators),
  ],
  ['API-key lookup (100 keys)', () => apiKeys.lookup(lastKey)],
  [
    'policy decide (50 rules)',
    async () => policy.decide({ principal, action: 'tools/call', target: 'github__create_issue' }),
  ],
  [
    'policy filter, 100 tools (50 rules)',
    async () => policy.filter(tools, principal, 'tools/call', (tool) => tool.name),
  ],
  [
    'rate limit check (memory)',
    (index) => limiter.consume(`p${index % 1000}`, { limit: 1e9, intervalMs: 1_000 }),
  ],
];

const results: Array<[string, number]> = [];
for (const [name, operation] of cases) results.push([name, await measureOpsPerSecond(operation)]);
await jwks.close();
if (jwks.requests() !== 1) {
  throw new Error(`expected one JWKS fetch, saw ${jwks.requests()}`);
}

const baseline = results[0]![1];
const rows = results.map(([name, opsPerSecond]) => [
  name,
  Math.round(opsPerSecond).toLocaleString('en-US'),
  `${(1e6 / opsPerSecond).toFixed(2)} µs`,
  name.includes('baseline') ? '1.00×' : `${(baseline / opsPerSecond).toFixed(1)}× slower`,
]);
const header = ['operation', 'ops/s', 'per op', 'vs no-op'];
const widths = header.map((title, column) =>
  Math.max(title.length, ...rows.map((row) => row[column]!.length)),
);
const format = (row: string[]) =>
  row
    .map((cell, column) =>
      column === 0 ? cell.padEnd(widths[column]!) : cell.padStart(widths[column]!),
    )
    .join('  ');
process.stdout.write(
  `${format(header)}\n${widths.map((width) => '-'.repeat(width)).join('  ')}\n${rows.map(format).join('\n')}\n`,
);
process.stdout.write(
  `(best of 3 runs of ${durationMs} ms each, one awaited operation at a time; JWKS fetched ${jwks.requests()}×)\n`,
);
