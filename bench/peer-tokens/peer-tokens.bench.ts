/**
 * Peer token costs, one awaited operation at a time, best of three runs: minting (Ed25519 and
 * ES256), verifying a fresh one-time token (signature + claims + replay record in a memory store),
 * a cached token from `createPeerTokenCache`, and verifying a reusable token the verifier has
 * already seen (what each peer hop costs since issue #18: before it, every hop of a 2026-07-28
 * request minted and verified a fresh token) — against the same JWT verified by the OAuth
 * verifier `createJwtVerifier` (ES256, static keys, no replay record) measured in the same run.
 * Run: node --conditions=@fedmcp/source --import tsx bench/peer-tokens/peer-tokens.bench.ts
 * (FEDMCP_BENCH_MS sets the length of one run, default 400 ms.)
 */
import {
  createHubKeyring,
  createJwtVerifier,
  createPeerTokenCache,
  createPeerTokenVerifier,
  generateHubKey,
  type HubKeyAlgorithm,
  mintPeerToken,
} from '@fedmcp/proxy-auth';
import { createMemoryStore } from '@fedmcp/store';
import { benchDurationMs, measureOpsPerSecond } from '../measure.js';

const durationMs = benchDurationMs;

async function keyring(algorithm: HubKeyAlgorithm) {
  return createHubKeyring({ keys: [await generateHubKey({ algorithm })] });
}

const rows: Array<[string, number]> = [];
const ed = await keyring('EdDSA');
const es = await keyring('ES256');

// Baseline: the same kind of JWT (ES256) through the OAuth verifier, createJwtVerifier with static
// keys: signature and standard claims, no peer claims check and no replay record.
const idp = createJwtVerifier({ issuer: 'home', audience: 'eu', keys: es.jwks() });
const { token: accessToken } = await mintPeerToken({
  keyring: es,
  issuer: 'home',
  audience: 'eu',
  subject: 'alice',
  ttlSeconds: 300,
});
const baseline = await measureOpsPerSecond(() => idp.verify(accessToken));
rows.push(['JWT verify by createJwtVerifier (ES256, baseline)', baseline]);

for (const [name, ring] of [
  ['Ed25519', ed],
  ['ES256', es],
] as const) {
  rows.push([
    `peer token mint (${name})`,
    await measureOpsPerSecond(() =>
      mintPeerToken({ keyring: ring, issuer: 'home', audience: 'eu', subject: 'alice' }),
    ),
  ]);
  await using store = createMemoryStore();
  const verifier = createPeerTokenVerifier({
    selfId: 'eu',
    trustedPeers: { home: { keys: ring.jwks() } },
    replayStore: store.kv,
  });
  // Pre-mint so the figure is the verification alone (fresh jti each time: the replay record is written).
  const tokens = await Promise.all(
    Array.from({ length: 12_000 }, () =>
      mintPeerToken({ keyring: ring, issuer: 'home', audience: 'eu', subject: 'alice' }),
    ),
  );
  rows.push([
    `peer token verify, fresh jti (${name})`,
    await measureOpsPerSecond((index) => {
      const minted = tokens[index];
      if (!minted) throw new Error('not enough pre-minted tokens for this run length');
      return verifier.verify(minted.token);
    }),
  ]);
  const cache = createPeerTokenCache({ keyring: ring, issuer: 'home' });
  rows.push([
    `peer token cache hit (${name})`,
    await measureOpsPerSecond(() => cache.get({ audience: 'eu', subject: 'alice' })),
  ]);
  // A hop before issue #18 (stateless request): mint a fresh token, then verify it.
  rows.push([
    `hop before: mint + verify a fresh token (${name})`,
    await measureOpsPerSecond(async () => {
      const { token } = await mintPeerToken({
        keyring: ring,
        issuer: 'home',
        audience: 'eu',
        subject: 'alice',
      });
      return verifier.verify(token);
    }),
  ]);
  // A hop now: the cached reusable token, and the verifier's remembered verification.
  rows.push([
    `hop now: cache hit + verify a remembered reusable token (${name})`,
    await measureOpsPerSecond(async () =>
      verifier.verify((await cache.get({ audience: 'eu', subject: 'alice' })).token),
    ),
  ]);
}

const format = (value: number) => Math.round(value).toLocaleString('en-US');
console.log(
  `Peer tokens — one awaited operation at a time, best of 3 × ${durationMs} ms, Node ${process.version}\n`,
);
console.log('| operation | ops/s | µs/op | × baseline |');
console.log('|---|---|---|---|');
for (const [name, opsPerSecond] of rows) {
  console.log(
    `| ${name} | ${format(opsPerSecond)} | ${(1e6 / opsPerSecond).toFixed(1)} | ${(opsPerSecond / baseline).toFixed(2)}× |`,
  );
}
