import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HOP_TRAIL_META_KEY, ON_BEHALF_OF_META_KEY } from '@fedmcp/protocol';
import {
  createHubKeyring,
  createPeerTokenCache,
  createPeerTokenFetch,
  generateHubKey,
  mintPeerToken,
} from '@fedmcp/proxy-auth';
import { loadOrCreateHubKeys, writeHubKeys } from '@fedmcp/proxy-auth/node';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import {
  apiKeyFor,
  connectUser,
  everythingEntry,
  exportAllTo,
  startTestHub,
  type TestHub,
  textOf,
} from './chain-fixtures.js';

const INITIALIZE = {
  jsonrpc: '2.0',
  id: 1,
  method: 'initialize',
  params: {
    protocolVersion: '2025-11-25',
    capabilities: {},
    clientInfo: { name: 'attacker', version: '1.0.0' },
  },
};

async function post(url: string, token: string, body: unknown = INITIALIZE) {
  const response = await fetch(`${url}/mcp`, {
    method: 'POST',
    headers: {
      authorization: `Bearer ${token}`,
      'content-type': 'application/json',
      accept: 'application/json, text/event-stream',
    },
    body: JSON.stringify(body),
  });
  return {
    status: response.status,
    challenge: response.headers.get('www-authenticate') ?? '',
    text: await response.text(),
  };
}

/** The result or the error of a call, as JSON (to look for codes and texts). */
function outcomeOf(call: Promise<unknown>): Promise<string> {
  return call.then(
    (result) => JSON.stringify(result),
    (error: unknown) => JSON.stringify({ message: String(error), ...(error as object) }),
  );
}

/** An SDK client at `hub` speaking as hub `issuer` with its keys (2025 era session). */
async function connectAsPeer(
  hub: TestHub,
  keyring: Awaited<ReturnType<typeof createHubKeyring>>,
  issuer: string,
  audience: string,
  actorChain?: string[],
): Promise<Client> {
  const client = new Client(
    { name: `peer-${issuer}`, version: '1.0.0' },
    { versionNegotiation: { mode: 'legacy' } },
  );
  await client.connect(
    new StreamableHTTPClientTransport(new URL(`${hub.url}/mcp`), {
      fetch: createPeerTokenFetch({
        cache: createPeerTokenCache({ keyring, issuer }),
        audience,
        subject: issuer,
        // A fixed actor chain: the tokens say what the test wants, whatever the trail says.
        ...(actorChain ? { actorChain } : { delegationFromBody: true }),
      }),
    }),
  );
  return client;
}

describe('peer hubs under attack', () => {
  let directory: string;
  let b: TestHub;
  let c: TestHub;
  let aKeys: Awaited<ReturnType<typeof createHubKeyring>>;

  beforeAll(async () => {
    directory = await mkdtemp(join(tmpdir(), 'fedmcp-peer-attacks-'));
    // Hub "a" exists only as a key pair here: B trusts its pinned public keys.
    aKeys = await createHubKeyring({ keys: [await generateHubKey()] });
    c = await startTestHub(join(directory, 'c'), 'c', {
      mcpServers: { everything: everythingEntry(join(directory, 'cancellations.log')) },
      policy: exportAllTo('b'),
    });
    b = await startTestHub(join(directory, 'b'), 'b', {
      hub: { maxHops: 2 },
      policy: { rules: [...exportAllTo('a').rules, ...exportAllTo('z').rules] },
      peers: {
        a: { url: 'http://127.0.0.1:9/', keys: aKeys.jwks() as never, import: false },
      },
    });
    await c.reconfigure((input) => ({ ...input, peers: { b: { url: b.url, import: false } } }));
    await b.reconfigure((input) => ({
      ...input,
      peers: { ...input.peers, c: { url: c.url } },
    }));
    await vi.waitFor(() => expect(b.server.upstreams()[0]?.tools).toBeGreaterThan(0), {
      timeout: 10_000,
    });
  }, 60_000);

  afterAll(async () => {
    await b?.server.close();
    await c?.server.close();
    await rm(directory, { recursive: true, force: true });
  });

  it('accepts a well-formed token of the trusted peer (control)', async () => {
    const { token } = await mintPeerToken({
      keyring: aKeys,
      issuer: 'a',
      audience: 'b',
      subject: 'alice',
    });
    expect((await post(b.url, token)).status).toBe(200);
  });

  it('refuses a token signed by an unknown key with 401', async () => {
    const stranger = await createHubKeyring({ keys: [await generateHubKey()] });
    const { token } = await mintPeerToken({
      keyring: stranger,
      issuer: 'a',
      audience: 'b',
      subject: 'alice',
    });
    const answer = await post(b.url, token);
    expect(answer.status).toBe(401);
    expect(answer.challenge).toMatch(/^Bearer /);
    expect(answer.challenge).toContain('invalid_token');
  });

  it('refuses a token for another audience with 401', async () => {
    const { token } = await mintPeerToken({
      keyring: aKeys,
      issuer: 'a',
      audience: 'c',
      subject: 'alice',
    });
    const answer = await post(b.url, token);
    expect(answer.status).toBe(401);
    expect(answer.challenge).toContain('another audience');
  });

  it('refuses a replayed token with 401', async () => {
    const { token } = await mintPeerToken({
      keyring: aKeys,
      issuer: 'a',
      audience: 'b',
      subject: 'alice',
    });
    expect((await post(b.url, token)).status).toBe(200);
    const replay = await post(b.url, token);
    expect(replay.status).toBe(401);
    expect(replay.challenge).toContain('already been used');
  });

  it('refuses an expired token with 401', async () => {
    const { token } = await mintPeerToken({
      keyring: aKeys,
      issuer: 'a',
      audience: 'b',
      subject: 'alice',
      ttlSeconds: 60,
      now: () => Date.now() - 10 * 60_000,
    });
    const answer = await post(b.url, token);
    expect(answer.status).toBe(401);
    expect(answer.challenge).toContain('invalid_token');
  });

  it('refuses a hop trail that omits a hub of the delegation chain', async () => {
    // The token says z → a (via [a, z]); the trail claims the request comes straight from a.
    const client = await connectAsPeer(b, aKeys, 'a', 'b', ['z']);
    try {
      const refused = await outcomeOf(
        client.callTool({
          name: 'c__everything__echo',
          arguments: { message: 'forged' },
          _meta: {
            [HOP_TRAIL_META_KEY]: ['a'],
            [ON_BEHALF_OF_META_KEY]: { subject: 'mallory', issuer: 'a' },
          },
        }),
      );
      expect(refused).toContain('does not match the delegation chain');
      expect(refused).toContain('-32600');
      expect(refused).not.toContain('Echo: forged');
    } finally {
      await client.close();
    }
  });

  it('refuses a chain longer than max hops with LOOP_DETECTED', async () => {
    // B allows 2 hubs: a request that already crossed z and a would make B the third.
    const client = await connectAsPeer(b, aKeys, 'a', 'b', ['z']);
    try {
      const refused = await outcomeOf(
        client.callTool({
          name: 'c__everything__echo',
          arguments: { message: 'too far' },
          _meta: { [HOP_TRAIL_META_KEY]: ['z', 'a'] },
        }),
      );
      expect(refused).toContain('-32068');
      expect(refused).not.toContain('Echo: too far');
    } finally {
      await client.close();
    }
  });

  it('refuses a request whose trail already holds the receiving hub (a loop)', async () => {
    const client = await connectAsPeer(b, aKeys, 'a', 'b');
    try {
      // A well-formed token of a, whose trail says the request passed b before a.
      const refused = await outcomeOf(
        client.callTool({
          name: 'c__everything__echo',
          arguments: { message: 'loop' },
          _meta: { [HOP_TRAIL_META_KEY]: ['b', 'a'] },
        }),
      );
      expect(refused).toMatch(/-32068|-32600/);
      expect(refused).not.toContain('Echo: loop');
    } finally {
      await client.close();
    }
  });
});

describe('export policy between peers', () => {
  let directory: string;
  let a: TestHub;
  let b: TestHub;
  let c: TestHub;

  beforeAll(async () => {
    directory = await mkdtemp(join(tmpdir(), 'fedmcp-export-'));
    c = await startTestHub(join(directory, 'c'), 'c', {
      mcpServers: { everything: everythingEntry(join(directory, 'cancellations.log')) },
      policy: exportAllTo('b'),
    });
    // B's own users may use everything; peer a only c__everything__echo.
    b = await startTestHub(join(directory, 'b'), 'b', {
      policy: {
        rules: [
          { id: 'locals', effect: 'allow', subjects: ['*'], actions: ['*'] },
          {
            id: 'export-echo-to-a',
            effect: 'allow',
            subjects: ['via:a'],
            actions: ['tools/call'],
            targets: ['c__everything__echo'],
          },
        ],
      },
    });
    a = await startTestHub(join(directory, 'a'), 'a');
    await c.reconfigure((input) => ({ ...input, peers: { b: { url: b.url, import: false } } }));
    await b.reconfigure((input) => ({
      ...input,
      peers: { a: { url: a.url, import: false }, c: { url: c.url } },
    }));
    await vi.waitFor(() => expect(b.server.upstreams()[0]?.tools).toBeGreaterThan(0), {
      timeout: 10_000,
    });
    await a.reconfigure((input) => ({ ...input, peers: { b: { url: b.url } } }));
  }, 60_000);

  afterAll(async () => {
    await a?.server.close();
    await b?.server.close();
    await c?.server.close();
    await rm(directory, { recursive: true, force: true });
  });

  it('shows A only what B exports to it, and refuses the rest at B', async () => {
    const client = new Client({ name: 'local', version: '1.0.0' });
    await client.connect(new StreamableHTTPClientTransport(new URL(`${a.url}/mcp`)));
    try {
      await vi.waitFor(
        async () =>
          expect((await client.listTools()).tools.map((tool) => tool.name)).toEqual([
            'b__c__everything__echo',
          ]),
        { timeout: 10_000, interval: 100 },
      );
      const echo = await client.callTool({
        name: 'b__c__everything__echo',
        arguments: { message: 'exported' },
      });
      expect(textOf(echo)).toBe('Echo: exported');
      // A does not know the other tools; a peer that asks B for them directly is refused there.
      const keyring = await a.server.identity.keyring();
      const peer = await connectAsPeer(b, keyring, 'a', 'b');
      try {
        expect((await peer.listTools()).tools.map((tool) => tool.name)).toEqual([
          'c__everything__echo',
        ]);
        // A well-behaved peer stamps its hop trail; the policy is what refuses then.
        const refused = await outcomeOf(
          peer.callTool({
            name: 'c__everything__get-sum',
            arguments: { a: 1, b: 2 },
            _meta: { [HOP_TRAIL_META_KEY]: ['a'] },
          }),
        );
        expect(refused).toContain('POLICY_DENIED');
        expect(refused).not.toContain('"text":"3"');
      } finally {
        await peer.close();
      }
      // B's own (local) users are not affected by the peer default.
      const local = new Client({ name: 'local-b', version: '1.0.0' });
      await local.connect(new StreamableHTTPClientTransport(new URL(`${b.url}/mcp`)));
      expect((await local.listTools()).tools.length).toBeGreaterThan(1);
      await local.close();
    } finally {
      await client.close();
    }
  });
  it('serves several end users over one 2025-era session of the calling hub', async () => {
    // The session belongs to the calling hub, not to the user of its first request.
    const keyring = await a.server.identity.keyring();
    const peer = await connectAsPeer(b, keyring, 'a', 'b');
    try {
      for (const subject of ['alice', 'bob', 'carol']) {
        const result = await peer.callTool({
          name: 'c__everything__echo',
          arguments: { message: subject },
          _meta: {
            [HOP_TRAIL_META_KEY]: ['a'],
            [ON_BEHALF_OF_META_KEY]: { subject, issuer: 'a' },
          },
        });
        expect(textOf(result)).toBe(`Echo: ${subject}`);
      }
    } finally {
      await peer.close();
    }
  });
});

describe('peering both ways (A ↔ B)', () => {
  let directory: string;
  let a: TestHub;
  let b: TestHub;

  beforeAll(async () => {
    directory = await mkdtemp(join(tmpdir(), 'fedmcp-mutual-'));
    const log = join(directory, 'cancellations.log');
    a = await startTestHub(join(directory, 'a'), 'a', {
      mcpServers: { local: everythingEntry(log) },
      policy: { rules: [{ effect: 'allow', subjects: ['*', 'via:b'], actions: ['*'] }] },
    });
    b = await startTestHub(join(directory, 'b'), 'b', {
      mcpServers: { local: everythingEntry(log) },
      policy: { rules: [{ effect: 'allow', subjects: ['*', 'via:a'], actions: ['*'] }] },
    });
    await a.reconfigure((input) => ({ ...input, peers: { b: { url: b.url } } }));
    await b.reconfigure((input) => ({ ...input, peers: { a: { url: a.url } } }));
  }, 60_000);

  afterAll(async () => {
    await a?.server.close();
    await b?.server.close();
    await rm(directory, { recursive: true, force: true });
  });

  it('imports each other’s own tools once, never their own back, and calls work', async () => {
    const client = new Client({ name: 'local', version: '1.0.0' });
    await client.connect(new StreamableHTTPClientTransport(new URL(`${a.url}/mcp`)));
    try {
      await vi.waitFor(
        async () => {
          const names = (await client.listTools()).tools.map((tool) => tool.name);
          expect(names).toContain('b__local__echo');
          expect(names).toContain('local__echo');
        },
        { timeout: 15_000, interval: 100 },
      );
      const names = (await client.listTools()).tools.map((tool) => tool.name);
      expect(
        names.filter((name) => name.startsWith('b__b__') || name.startsWith('b__a__')),
      ).toEqual([]);
      expect(new Set(names).size).toBe(names.length);
      expect(names.filter((name) => name.endsWith('__echo')).sort()).toEqual([
        'b__local__echo',
        'local__echo',
      ]);
      const result = await client.callTool({
        name: 'b__local__echo',
        arguments: { message: 'over the mutual link' },
      });
      expect(textOf(result)).toBe('Echo: over the mutual link');
      // B's view: A's own tools, never what A imported from B.
      const atB = new Client({ name: 'local-b', version: '1.0.0' });
      await atB.connect(new StreamableHTTPClientTransport(new URL(`${b.url}/mcp`)));
      const namesAtB = (await atB.listTools()).tools.map((tool) => tool.name);
      await atB.close();
      expect(namesAtB).toContain('a__local__echo');
      expect(namesAtB.filter((name) => name.startsWith('a__b__'))).toEqual([]);
      expect(new Set(namesAtB).size).toBe(namesAtB.length);
    } finally {
      await client.close();
    }
  });
});

describe('key rotation while calls flow', () => {
  let directory: string;
  let a: TestHub;
  let b: TestHub;

  beforeAll(async () => {
    directory = await mkdtemp(join(tmpdir(), 'fedmcp-rotation-'));
    b = await startTestHub(
      join(directory, 'b'),
      'b',
      {
        mcpServers: { everything: everythingEntry(join(directory, 'cancellations.log')) },
        policy: exportAllTo('a'),
      },
      { peerKeysCooldownMs: 200 },
    );
    const alice = await apiKeyFor('alice');
    a = await startTestHub(join(directory, 'a'), 'a', { auth: { apiKeys: [alice.entry] } });
    await b.reconfigure((input) => ({ ...input, peers: { a: { url: a.url, import: false } } }));
    await a.reconfigure((input) => ({ ...input, peers: { b: { url: b.url } } }));
    (globalThis as { aliceKey?: string }).aliceKey = alice.key;
  }, 60_000);

  afterAll(async () => {
    await a?.server.close();
    await b?.server.close();
    await rm(directory, { recursive: true, force: true });
  });

  it('no call fails while A rotates its key; B learns the new key', {
    timeout: 60_000,
  }, async () => {
    const user = await connectUser(a.url, (globalThis as { aliceKey?: string }).aliceKey!, 'alice');
    try {
      await vi.waitFor(
        async () =>
          expect((await user.client.listTools()).tools.map((tool) => tool.name)).toContain(
            'b__everything__echo',
          ),
        { timeout: 10_000, interval: 100 },
      );
      const before = (await a.server.identity.keyring()).current.kid;
      let stop = false;
      const results: string[] = [];
      const failures: unknown[] = [];
      const loop = (async () => {
        let index = 0;
        while (!stop) {
          index += 1;
          try {
            const result = await user.client.callTool({
              name: 'b__everything__echo',
              arguments: { message: `call ${index}` },
            });
            results.push(textOf(result));
          } catch (error) {
            failures.push(error);
          }
        }
      })();
      await vi.waitFor(() => expect(results.length).toBeGreaterThan(5));
      // In service the new key signs only after its activation delay (60 s), longer than B's
      // refetch cooldown (30 s): B's last fetch of A's keys is always older than the cooldown when
      // the new kid first arrives. This test compresses the delay to nothing, so it waits out B's
      // (200 ms) cooldown since its first fetch to keep that invariant.
      await new Promise((resolve) => setTimeout(resolve, 500));
      // `fedmcp keys rotate`: a new key in the keys file. The keyring publishes it first and signs
      // with it after its activation delay: rotate on a clock one delay in the past, so the new
      // key signs at once and B meets an unknown kid while calls flow.
      const path = a.server.identity.path;
      const { keys } = await loadOrCreateHubKeys(path);
      const rotating = await createHubKeyring({ keys, now: () => Date.now() - 61_000 });
      await rotating.rotate();
      await writeHubKeys(path, rotating.stored());
      await vi.waitFor(
        async () => expect((await a.server.identity.keyring()).current.kid).not.toBe(before),
        { timeout: 5_000 },
      );
      const atRotation = results.length;
      await vi.waitFor(() => expect(results.length).toBeGreaterThan(atRotation + 20), {
        timeout: 20_000,
      });
      stop = true;
      await loop;
      expect(failures).toEqual([]);
      expect(results.every((text, index) => text === `Echo: call ${index + 1}`)).toBe(true);
      // The old key is still published (grace period), the new one signs.
      const published = (await a.server.identity.keyring()).published().map((key) => key.kid);
      expect(published).toContain(before);
      expect(published).toHaveLength(2);
    } finally {
      await user.close();
    }
  });
});
