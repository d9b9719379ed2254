import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { FedmcpError } from '@fedmcp/protocol';
import { createMemoryStore } from '@fedmcp/store';
import { createRedisStore } from '@fedmcp/store/node';
import { base64url, decodeJwt, SignJWT } from 'jose';
import { describe, expect, it } from 'vitest';
import { redisAvailable } from '../test/redis-available.js';
import { authenticateRequest } from './authenticate-request.js';
import { createJwtVerifier } from './create-jwt-verifier.js';
import { createHubKeyring, generateHubKey, type HubKeyring } from './hub-identity.js';
import { mintPeerToken } from './peer-token.js';
import { createPeerTokenCache } from './peer-token-cache.js';
import { createPeerTokenFetch, delegationOfBody } from './peer-token-fetch.js';
import { createPeerTokenVerifier, type TrustedPeer } from './peer-token-verifier.js';

async function keyring(now?: () => number): Promise<HubKeyring> {
  return createHubKeyring({ keys: [await generateHubKey()], ...(now ? { now } : {}) });
}

/** A real HTTP server on 127.0.0.1 serving a hub's discovery document and JWKS. */
async function serveHub(
  hubId: string,
  keys: HubKeyring,
): Promise<AsyncDisposable & { url: string; jwksRequests: number }> {
  let jwksRequests = 0;
  let base = '';
  const server: Server = createServer((request, response) => {
    if (request.url === '/.well-known/jwks.json') {
      jwksRequests += 1;
      response.writeHead(200, { 'content-type': 'application/json' });
      response.end(JSON.stringify(keys.jwks()));
      return;
    }
    if (request.url === '/.well-known/mcp-federation') {
      response.writeHead(200, { 'content-type': 'application/json' });
      response.end(
        JSON.stringify({
          hubId,
          name: hubId,
          version: '0.1.0',
          endpoint: `${base}/mcp`,
          transports: [{ type: 'streamable-http', url: `${base}/mcp` }],
          jwksUri: `${base}/.well-known/jwks.json`,
          protocolVersions: ['2025-11-25', '2026-07-28'],
          maxHops: 4,
        }),
      );
      return;
    }
    response.writeHead(404).end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url: base,
    get jwksRequests() {
      return jwksRequests;
    },
    async [Symbol.asyncDispose]() {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

function verifierFor(peers: Record<string, TrustedPeer>, extra: { now?: () => number } = {}) {
  const store = createMemoryStore();
  return {
    store,
    verifier: createPeerTokenVerifier({
      selfId: 'eu',
      trustedPeers: peers,
      replayStore: store.kv,
      jwksCooldownMs: 0,
      ...extra,
    }),
  };
}

async function refusal(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (error) {
    const normalised = FedmcpError.from(error);
    expect(normalised.code).toBe('UNAUTHENTICATED');
    return String(normalised.data?.reason);
  }
  throw new Error('expected a refusal');
}

describe('mintPeerToken + createPeerTokenVerifier', () => {
  it('verifies over the peer discovery document; nested act becomes via', async () => {
    const home = await keyring();
    await using served = await serveHub('home', home);
    const { verifier } = verifierFor({ home: { url: served.url } });
    const { token } = await mintPeerToken({
      keyring: home,
      issuer: 'home',
      audience: 'eu',
      subject: 'alice',
      actorChain: ['edge', 'mobile'],
    });
    expect(decodeJwt(token).act).toEqual({
      sub: 'home',
      act: { sub: 'edge', act: { sub: 'mobile' } },
    });
    const principal = await authenticateRequest({ headers: { authorization: `Bearer ${token}` } }, [
      verifier,
    ]);
    expect(principal).toMatchObject({
      subject: 'alice',
      issuer: 'home',
      authMethod: 'peer',
      via: ['home', 'edge', 'mobile'],
    });
  });

  it('sits in one authenticator list with an OAuth verifier; each token goes to its own', async () => {
    const home = await keyring();
    const idp = await keyring();
    const oauth = createJwtVerifier({
      issuer: 'https://idp.example.com/',
      audience: 'https://eu.example.com/mcp',
      keys: idp.jwks(),
    });
    const { verifier } = verifierFor({ home: { keys: home.jwks() } });
    const authenticators = [oauth, verifier];
    const peerToken = await mintPeerToken({
      keyring: home,
      issuer: 'home',
      audience: 'eu',
      subject: 'alice',
    });
    const accessToken = await new SignJWT({})
      .setProtectedHeader({ alg: 'EdDSA', kid: idp.current.kid })
      .setIssuer('https://idp.example.com/')
      .setAudience('https://eu.example.com/mcp')
      .setSubject('bob')
      .setExpirationTime('5m')
      .sign(idp.current.privateKey);
    const as = (token: string) =>
      authenticateRequest({ headers: { authorization: `Bearer ${token}` } }, authenticators);
    await expect(as(peerToken.token)).resolves.toMatchObject({
      subject: 'alice',
      authMethod: 'peer',
    });
    await expect(as(accessToken)).resolves.toMatchObject({ subject: 'bob', authMethod: 'oauth' });
    // A replayed peer token is refused for what it is, not as "another issuer".
    await expect(as(peerToken.token)).rejects.toMatchObject({
      code: 'UNAUTHENTICATED',
      data: { reason: 'the token has already been used', httpStatus: 401 },
    });
  });

  it('refuses a token signed by an unknown key, and one from an unknown issuer', async () => {
    const home = await keyring();
    const intruder = await keyring();
    const { verifier } = verifierFor({ home: { keys: home.jwks() } });
    const forged = await mintPeerToken({
      keyring: intruder,
      issuer: 'home',
      audience: 'eu',
      subject: 'alice',
    });
    expect(await refusal(verifier.verify(forged.token))).toBe(
      'no key of the peer matches the token',
    );
    const stranger = await mintPeerToken({
      keyring: intruder,
      issuer: 'evil',
      audience: 'eu',
      subject: 'alice',
    });
    expect(await refusal(verifier.verify(stranger.token))).toBe(
      'the token comes from another issuer',
    );
  });

  it('refuses a key not matching the pinned fingerprint', async () => {
    const home = await keyring();
    await using served = await serveHub('home', home);
    const other = await keyring();
    const { verifier } = verifierFor({
      home: {
        jwksUri: `${served.url}/.well-known/jwks.json`,
        fingerprint: other.published()[0]!.fingerprint,
      },
    });
    const { token } = await mintPeerToken({
      keyring: home,
      issuer: 'home',
      audience: 'eu',
      subject: 'alice',
    });
    expect(await refusal(verifier.verify(token))).toBe(
      'the signing key does not match the pinned fingerprint',
    );
    const pinned = verifierFor({
      home: {
        jwksUri: `${served.url}/.well-known/jwks.json`,
        fingerprint: home.published()[0]!.fingerprint,
      },
    });
    await expect(pinned.verifier.verify(token)).resolves.toMatchObject({ subject: 'alice' });
  });

  it('never fetches the keys of an https peer over plain http', async () => {
    const home = await keyring();
    const requested: string[] = [];
    const fakeFetch: typeof fetch = async (input) => {
      requested.push(String(input));
      return Response.json({
        hubId: 'home',
        name: 'home',
        version: '0.1.0',
        endpoint: 'https://home.example.com/mcp',
        transports: [{ type: 'streamable-http', url: 'https://home.example.com/mcp' }],
        jwksUri: 'http://home.example.com/.well-known/jwks.json',
        protocolVersions: ['2025-11-25'],
        maxHops: 4,
      });
    };
    const store = createMemoryStore();
    const verifier = createPeerTokenVerifier({
      selfId: 'eu',
      trustedPeers: { home: { url: 'https://home.example.com' } },
      replayStore: store.kv,
      fetch: fakeFetch,
    });
    const { token } = await mintPeerToken({
      keyring: home,
      issuer: 'home',
      audience: 'eu',
      subject: 'alice',
    });
    await expect(verifier.verify(token)).rejects.toMatchObject({
      code: 'UPSTREAM_UNAVAILABLE',
      message: expect.stringContaining('over https only'),
    });
    expect(requested).toEqual(['https://home.example.com/.well-known/mcp-federation']);
  });

  it('takes the end user groups from the token only from a peer trusted for them', async () => {
    const home = await keyring();
    const mint = () =>
      mintPeerToken({
        keyring: home,
        issuer: 'home',
        audience: 'eu',
        subject: 'alice',
        groups: ['dev'],
      });
    const trusting = verifierFor({ home: { keys: home.jwks(), acceptGroups: true } });
    await expect(trusting.verifier.verify((await mint()).token)).resolves.toMatchObject({
      groups: ['dev'],
    });
    const wary = verifierFor({ home: { keys: home.jwks() } });
    await expect(wary.verifier.verify((await mint()).token)).resolves.toMatchObject({ groups: [] });
  });

  it('refuses a token for another audience', async () => {
    const home = await keyring();
    const { verifier } = verifierFor({ home: { keys: home.jwks() } });
    const { token } = await mintPeerToken({
      keyring: home,
      issuer: 'home',
      audience: 'us',
      subject: 'alice',
    });
    expect(await refusal(verifier.verify(token))).toBe('the token is meant for another audience');
  });

  it('refuses a replayed jti, and accepts reuse only inside the session it was first used in', async () => {
    const home = await keyring();
    const { verifier } = verifierFor({ home: { keys: home.jwks() } });
    const { token } = await mintPeerToken({
      keyring: home,
      issuer: 'home',
      audience: 'eu',
      subject: 'alice',
    });
    await verifier.verify(token);
    expect(await refusal(verifier.verify(token))).toBe('the token has already been used');
    expect(await refusal(verifier.verify(token, { session: 's1' }))).toBe(
      'the token has already been used',
    );

    const bound = await mintPeerToken({
      keyring: home,
      issuer: 'home',
      audience: 'eu',
      subject: 'alice',
    });
    await verifier.verify(bound.token, { session: 's1' });
    await expect(verifier.verify(bound.token, { session: 's1' })).resolves.toMatchObject({
      subject: 'alice',
    });
    expect(await refusal(verifier.verify(bound.token, { session: 's2' }))).toBe(
      'the token has already been used',
    );
    expect(await refusal(verifier.verify(bound.token))).toBe('the token has already been used');
  });

  it('refuses an expired token', async () => {
    let now = Date.now();
    const home = await keyring(() => now);
    const { verifier } = verifierFor({ home: { keys: home.jwks() } }, { now: () => now });
    const { token } = await mintPeerToken({
      keyring: home,
      issuer: 'home',
      audience: 'eu',
      subject: 'alice',
      ttlSeconds: 60,
      now: () => now,
    });
    now += 91_000; // 60 s lifetime + 30 s tolerance, and one more
    expect(await refusal(verifier.verify(token))).toBe('the token has expired');
  });

  it('refuses alg: none and a token living longer than 300 s', async () => {
    const home = await keyring();
    const { verifier } = verifierFor({ home: { keys: home.jwks() } });
    const iat = Math.floor(Date.now() / 1000);
    const claims = {
      iss: 'home',
      aud: 'eu',
      sub: 'alice',
      act: { sub: 'home' },
      jti: 'abcdefgh12345',
      iat,
    };
    const unsigned = `${base64url.encode(JSON.stringify({ alg: 'none' }))}.${base64url.encode(JSON.stringify({ ...claims, exp: iat + 60 }))}.`;
    expect(await refusal(verifier.verify(unsigned))).toBe('the signing algorithm is not allowed');

    const key = home.current;
    const long = await new SignJWT({ ...claims, exp: iat + 600 })
      .setProtectedHeader({ alg: key.alg, kid: key.kid })
      .sign(key.privateKey);
    expect(await refusal(verifier.verify(long))).toBe('the token lives longer than 300 seconds');
    await expect(
      mintPeerToken({
        keyring: home,
        issuer: 'home',
        audience: 'eu',
        subject: 'alice',
        ttlSeconds: 301,
      }),
    ).rejects.toThrow(/1 to 300 seconds/);
  });

  it('refuses a token whose act does not start with its issuer', async () => {
    const home = await keyring();
    const { verifier } = verifierFor({ home: { keys: home.jwks() } });
    const iat = Math.floor(Date.now() / 1000);
    const key = home.current;
    const token = await new SignJWT({ act: { sub: 'somebody-else' } })
      .setProtectedHeader({ alg: key.alg, kid: key.kid })
      .setIssuer('home')
      .setAudience('eu')
      .setSubject('alice')
      .setJti('abcdefgh12345')
      .setIssuedAt(iat)
      .setExpirationTime(iat + 60)
      .sign(key.privateKey);
    expect(await refusal(verifier.verify(token))).toBe(
      'the token claims are not those of a peer token',
    );
  });

  it('keeps verifying tokens of the old key during the grace period, not after (key refetched)', async () => {
    let now = Date.now();
    const home = await createHubKeyring({
      keys: [await generateHubKey()],
      now: () => now,
      gracePeriodMs: 600_000,
      activationDelayMs: 0,
    });
    await using served = await serveHub('home', home);
    const { verifier } = verifierFor({ home: { url: served.url } }, { now: () => now });
    const mint = () =>
      mintPeerToken({
        keyring: home,
        issuer: 'home',
        audience: 'eu',
        subject: 'alice',
        now: () => now,
      });
    const beforeRotation = await mint();
    await verifier.verify((await mint()).token); // caches the key set
    await home.rotate();
    const afterRotation = await mint(); // new kid: the verifier refetches the key set
    await expect(verifier.verify(afterRotation.token)).resolves.toMatchObject({ subject: 'alice' });
    await expect(verifier.verify(beforeRotation.token)).resolves.toMatchObject({
      subject: 'alice',
    });

    // After the grace period the old key is gone; a token it signs is refused.
    const oldKeyring = await createHubKeyring({ keys: [home.stored().at(-1)!] });
    now += 600_001;
    const late = await mintPeerToken({
      keyring: oldKeyring,
      issuer: 'home',
      audience: 'eu',
      subject: 'alice',
      now: () => now,
    });
    const fresh = verifierFor({ home: { url: served.url } }, { now: () => now });
    expect(await refusal(fresh.verifier.verify(late.token))).toBe(
      'no key of the peer matches the token',
    );
  });

  it('accepts every call while the key rotates, with the default cooldown and activation delay', async () => {
    let now = Date.now();
    const clock = () => now;
    const home = await createHubKeyring({ keys: [await generateHubKey()], now: clock });
    await using served = await serveHub('home', home);
    const store = createMemoryStore();
    const verifier = createPeerTokenVerifier({
      selfId: 'eu',
      trustedPeers: { home: { url: served.url } },
      replayStore: store.kv,
      now: clock,
    });
    const signers = new Set<string>();
    const failures: unknown[] = [];
    for (let round = 0; round < 14; round += 1) {
      const calls = Array.from({ length: 5 }, async (_, index) => {
        signers.add(home.current.kid);
        const { token } = await mintPeerToken({
          keyring: home,
          issuer: 'home',
          audience: 'eu',
          subject: `user-${index}`,
          now: clock,
        });
        return verifier.verify(token);
      });
      for (const result of await Promise.allSettled(calls)) {
        if (result.status === 'rejected') failures.push(result.reason);
      }
      if (round % 4 === 1) await home.rotate();
      now += 20_000;
    }
    expect(failures).toEqual([]);
    expect(signers.size).toBe(4); // the first key and three rotated-in keys all signed calls
  });

  it('without the activation delay, a verifier in its refetch cooldown refuses the new key', async () => {
    let now = Date.now();
    const clock = () => now;
    const home = await createHubKeyring({
      keys: [await generateHubKey()],
      now: clock,
      activationDelayMs: 0,
    });
    await using served = await serveHub('home', home);
    const store = createMemoryStore();
    const verifier = createPeerTokenVerifier({
      selfId: 'eu',
      trustedPeers: { home: { url: served.url } },
      replayStore: store.kv,
      now: clock,
    });
    const mint = () =>
      mintPeerToken({
        keyring: home,
        issuer: 'home',
        audience: 'eu',
        subject: 'alice',
        now: clock,
      });
    await verifier.verify((await mint()).token);
    await home.rotate();
    now += 1_000;
    expect(await refusal(verifier.verify((await mint()).token))).toBe(
      'no key of the peer matches the token',
    );
  });
});

describe('createPeerTokenCache', () => {
  it('reuses one token per peer, end user, chain and groups until 30 s before it expires', async () => {
    let now = Date.now();
    const home = await keyring(() => now);
    const cache = createPeerTokenCache({
      keyring: home,
      issuer: 'home',
      ttlSeconds: 120,
      refreshBeforeSeconds: 30,
      now: () => now,
    });
    const alice = { audience: 'eu', subject: 'alice' };
    const first = await cache.get(alice);
    expect(decodeJwt(first.token)).toMatchObject({ reusable: true, sub: 'alice', aud: 'eu' });
    now += 89_000; // 31 s before expiry: still the same token
    expect((await cache.get(alice)).jti).toBe(first.jti);
    const others = await Promise.all([
      cache.get({ audience: 'us', subject: 'alice' }),
      cache.get({ audience: 'eu', subject: 'bob' }),
      cache.get({ ...alice, actorChain: ['edge'] }),
      cache.get({ ...alice, groups: ['dev'] }),
    ]);
    expect(new Set([first.jti, ...others.map((token) => token.jti)]).size).toBe(5);
    now += 1_000; // 30 s before expiry: refreshed
    const second = await cache.get(alice);
    expect(second.jti).not.toBe(first.jti);
    expect(second.expiresAt).toBe(first.expiresAt + 90_000);
    expect((await cache.get(alice)).jti).toBe(second.jti);
    cache.clear('eu');
    expect(cache.size).toBe(1); // the token for "us"
  });

  it('mints once for concurrent first requests', async () => {
    const home = await keyring();
    const cache = createPeerTokenCache({ keyring: home, issuer: 'home' });
    const tokens = await Promise.all(
      Array.from({ length: 10 }, () => cache.get({ audience: 'eu', subject: 'alice' })),
    );
    expect(new Set(tokens.map((token) => token.jti)).size).toBe(1);
  });

  it('keeps no failed mint: the requests waiting on it and the next one mint again', async () => {
    const home = await keyring();
    let failures = 1;
    const cache = createPeerTokenCache({
      keyring: () => {
        if (failures > 0) {
          failures -= 1;
          throw new Error('keys file unreadable');
        }
        return home;
      },
      issuer: 'home',
    });
    const request = { audience: 'eu', subject: 'alice' };
    const [first, waiting] = await Promise.allSettled([cache.get(request), cache.get(request)]);
    expect(first).toMatchObject({
      status: 'rejected',
      reason: { message: 'keys file unreadable' },
    });
    expect(waiting.status).toBe('fulfilled');
    const next = await cache.get(request);
    expect(next.jti).toBe((waiting as PromiseFulfilledResult<{ jti: string }>).value.jti);
    expect(cache.size).toBe(1);
  });
});

describe('reusable peer tokens at the verifier', () => {
  it('accepts a cached token for many requests, with or without a session, and writes no replay record', async () => {
    const home = await keyring();
    const { verifier, store } = verifierFor({ home: { keys: home.jwks() } });
    const cache = createPeerTokenCache({ keyring: home, issuer: 'home' });
    const minted = await cache.get({ audience: 'eu', subject: 'alice', actorChain: ['edge'] });
    for (const session of [undefined, undefined, 's1', 's2']) {
      await expect(
        verifier.verify(minted.token, session === undefined ? {} : { session }),
      ).resolves.toMatchObject({ subject: 'alice', issuer: 'home', via: ['home', 'edge'] });
    }
    expect(await store.kv.get(`peer-jti:home:${minted.jti}`)).toBeUndefined();
    // (A one-time token does leave one.)
    const once = await mintPeerToken({
      keyring: home,
      issuer: 'home',
      audience: 'eu',
      subject: 'x',
    });
    await verifier.verify(once.token);
    expect(await store.kv.get(`peer-jti:home:${once.jti}`)).toBeDefined();
    // Concurrent first uses of a new token all pass.
    const fresh = await mintPeerToken({
      keyring: home,
      issuer: 'home',
      audience: 'eu',
      subject: 'bob',
      reusable: true,
    });
    const principals = await Promise.all(
      Array.from({ length: 8 }, () => verifier.verify(fresh.token)),
    );
    expect(principals.map((principal) => principal.subject)).toEqual(Array(8).fill('bob'));
  });

  it('refuses a remembered token once it expired (injectable clock)', async () => {
    let now = Date.now();
    const home = await keyring(() => now);
    const { verifier } = verifierFor({ home: { keys: home.jwks() } }, { now: () => now });
    const cache = createPeerTokenCache({ keyring: home, issuer: 'home', now: () => now });
    const { token } = await cache.get({ audience: 'eu', subject: 'alice' });
    expect(verifier.remembered(token)).toBeUndefined();
    await verifier.verify(token);
    now += 149_000; // 120 s lifetime + 30 s tolerance, less one second: still accepted
    expect(verifier.remembered(token)).toMatchObject({ subject: 'alice', authMethod: 'peer' });
    await expect(verifier.verify(token)).resolves.toMatchObject({ subject: 'alice' });
    now += 1_000;
    expect(verifier.remembered(token)).toBeUndefined();
    expect(await refusal(verifier.verify(token))).toBe('the token has expired');
    // The cache has long minted the next one, which passes.
    await expect(
      verifier.verify((await cache.get({ audience: 'eu', subject: 'alice' })).token),
    ).resolves.toMatchObject({ subject: 'alice' });
  });

  it('refuses a reusable token stolen for another audience, even after the right one was accepted', async () => {
    const home = await keyring();
    const { verifier } = verifierFor({ home: { keys: home.jwks() } });
    const cache = createPeerTokenCache({ keyring: home, issuer: 'home' });
    await verifier.verify((await cache.get({ audience: 'eu', subject: 'alice' })).token);
    const forUs = await cache.get({ audience: 'us', subject: 'alice' });
    expect(await refusal(verifier.verify(forUs.token))).toBe(
      'the token is meant for another audience',
    );
    expect(await refusal(verifier.verify(forUs.token))).toBe(
      'the token is meant for another audience',
    );
  });

  it('still refuses the second use of a one-time token, also when both arrive at once', async () => {
    const home = await keyring();
    const { verifier } = verifierFor({ home: { keys: home.jwks() } });
    const { token } = await mintPeerToken({
      keyring: home,
      issuer: 'home',
      audience: 'eu',
      subject: 'alice',
    });
    const outcomes = await Promise.allSettled([verifier.verify(token), verifier.verify(token)]);
    expect(outcomes.map((outcome) => outcome.status).sort()).toEqual(['fulfilled', 'rejected']);
    // Never remembered: a one-time token goes through the replay check each time.
    expect(verifier.remembered(token)).toBeUndefined();
    expect(await refusal(verifier.verify(token))).toBe('the token has already been used');
  });

  it('fetches the key set once, refetches it once for an unknown kid, and not again within the cooldown', async () => {
    let now = Date.now();
    const home = await createHubKeyring({
      keys: [await generateHubKey()],
      now: () => now,
      activationDelayMs: 0,
    });
    await using served = await serveHub('home', home);
    const store = createMemoryStore();
    const verifier = createPeerTokenVerifier({
      selfId: 'eu',
      trustedPeers: { home: { url: served.url } },
      replayStore: store.kv,
      jwksCooldownMs: 30_000,
      now: () => now,
    });
    const mint = (subject: string) =>
      mintPeerToken({
        keyring: home,
        issuer: 'home',
        audience: 'eu',
        subject,
        reusable: true,
        now: () => now,
      });
    for (const subject of ['a', 'b', 'c', 'd']) await verifier.verify((await mint(subject)).token);
    expect(served.jwksRequests).toBe(1);
    now += 31_000;
    await home.rotate(); // a new kid: one refetch
    await expect(verifier.verify((await mint('e')).token)).resolves.toMatchObject({
      subject: 'e',
    });
    expect(served.jwksRequests).toBe(2);
    // Tokens naming unknown kids within the cooldown: refused without a fetch.
    const stranger = await createHubKeyring({ keys: [await generateHubKey()] });
    for (let index = 0; index < 3; index += 1) {
      const { token } = await mintPeerToken({
        keyring: stranger,
        issuer: 'home',
        audience: 'eu',
        subject: 'mallory',
        now: () => now,
      });
      expect(await refusal(verifier.verify(token))).toBe('no key of the peer matches the token');
    }
    expect(served.jwksRequests).toBe(2);
  });
});

describe.runIf(redisAvailable)('peer token replay (redis)', () => {
  it('refuses a jti replayed at another replica sharing the Redis store', async () => {
    const prefix = `fedmcp-peer-token-test:${Date.now()}:${Math.random().toString(36).slice(2)}:`;
    await using first = await createRedisStore({ prefix, connectionName: 'peer-token-test-1' });
    await using second = await createRedisStore({ prefix, connectionName: 'peer-token-test-2' });
    const home = await keyring();
    const options = { selfId: 'eu', trustedPeers: { home: { keys: home.jwks() } } };
    const replicaA = createPeerTokenVerifier({ ...options, replayStore: first.kv });
    const replicaB = createPeerTokenVerifier({ ...options, replayStore: second.kv });
    const { token, jti } = await mintPeerToken({
      keyring: home,
      issuer: 'home',
      audience: 'eu',
      subject: 'alice',
    });
    await replicaA.verify(token);
    expect(await refusal(replicaB.verify(token))).toBe('the token has already been used');
    await first.kv.delete(`peer-jti:home:${jti}`);
  });
});

describe('createPeerTokenFetch with delegationFromBody', () => {
  const stamped = (method: string, meta: Record<string, unknown>) =>
    JSON.stringify({ jsonrpc: '2.0', id: 1, method, params: { name: 'x', _meta: meta } });

  it('reads the end user and the verified hubs before this one from a stamped request', () => {
    const meta = {
      // The trail may be a client's claim: it never makes the actor chain.
      'io.fedmcp/hops': ['forged', 'edge', 'eu', 'home'],
      'io.fedmcp/onBehalfOf': { subject: 'alice', issuer: 'edge', via: ['eu', 'edge'] },
    };
    expect(delegationOfBody(stamped('tools/call', meta))).toEqual({
      subject: 'alice',
      actorChain: ['eu', 'edge'],
    });
    // A local end user: no hubs before this one.
    expect(
      delegationOfBody(stamped('tools/call', { 'io.fedmcp/onBehalfOf': { subject: 'bob' } })),
    ).toEqual({ subject: 'bob', actorChain: [] });
    // Requests the hub does not stamp and non-requests: nothing (the hub's own identity).
    expect(delegationOfBody(stamped('ping', meta))).toBeUndefined();
    expect(delegationOfBody(JSON.stringify({ jsonrpc: '2.0', id: 1, result: {} }))).toBe(undefined);
    expect(delegationOfBody(undefined)).toBeUndefined();
    // A body that cannot be read is refused, never sent under the hub's own identity.
    expect(() => delegationOfBody('not json')).toThrow(/cannot be read/);
    expect(() =>
      delegationOfBody(`[${stamped('tools/call', meta)},${stamped('tools/call', meta)}]`),
    ).toThrow(/batch/);
  });

  it('mints per request: sub and act from the body, else the fixed subject; keyring read each time', async () => {
    let keyring = await createHubKeyring({ keys: [await generateHubKey()] });
    const first = keyring.current.kid;
    const cache = createPeerTokenCache({ keyring: () => keyring, issuer: 'home' });
    const seen: Array<Record<string, unknown>> = [];
    const peerFetch = createPeerTokenFetch({
      cache,
      audience: 'eu',
      subject: 'home',
      delegationFromBody: true,
      fetch: async (_input, init) => {
        const token = new Headers(init?.headers).get('authorization')?.slice(7) ?? '';
        seen.push({ ...decodeJwt(token), kid: JSON.parse(atob(token.split('.')[0]!)).kid });
        return new Response('{}');
      },
    });
    await peerFetch('https://eu.example/mcp', {
      method: 'POST',
      body: stamped('tools/call', {
        'io.fedmcp/hops': ['edge', 'home'],
        'io.fedmcp/onBehalfOf': { subject: 'alice', via: ['edge'] },
      }),
    });
    keyring = await createHubKeyring({ keys: [await generateHubKey()] });
    await peerFetch('https://eu.example/mcp', {
      method: 'POST',
      body: JSON.stringify({ jsonrpc: '2.0', method: 'notifications/initialized' }),
    });
    expect(seen[0]).toMatchObject({
      iss: 'home',
      aud: 'eu',
      sub: 'alice',
      act: { sub: 'home', act: { sub: 'edge' } },
      kid: first,
    });
    expect(seen[1]).toMatchObject({ sub: 'home', act: { sub: 'home' }, kid: keyring.current.kid });
    expect(seen[1]?.kid).not.toBe(first);
  });

  it('sends the request headers on with its own authorization, whatever form they came in', async () => {
    const keyring = await createHubKeyring({ keys: [await generateHubKey()] });
    const cache = createPeerTokenCache({ keyring, issuer: 'home' });
    const sent: Array<Record<string, string>> = [];
    const peerFetch = createPeerTokenFetch({
      cache,
      audience: 'eu',
      subject: 'home',
      fetch: async (_input, init) => {
        sent.push(Object.fromEntries(new Headers(init?.headers)));
        return new Response('{}');
      },
    });
    const { token } = await cache.get({ audience: 'eu', subject: 'home' });
    const forms: HeadersInit[] = [
      new Headers({ Authorization: 'Bearer old', 'Mcp-Session-Id': 's', Accept: 'a' }),
      [
        ['authorization', 'Bearer old'],
        ['mcp-session-id', 's'],
        ['Accept', 'a'],
      ],
      { AUTHORIZATION: 'Bearer old', 'mcp-session-id': 's', accept: 'a' },
    ];
    for (const headers of forms) await peerFetch('https://eu.example/mcp', { headers });
    await peerFetch(new Request('https://eu.example/mcp', { headers: { 'mcp-session-id': 's' } }));
    const expected = { authorization: `Bearer ${token}`, 'mcp-session-id': 's', accept: 'a' };
    expect(sent.slice(0, 3)).toEqual([expected, expected, expected]);
    expect(sent[3]).toEqual({ authorization: `Bearer ${token}`, 'mcp-session-id': 's' });
  });
});
