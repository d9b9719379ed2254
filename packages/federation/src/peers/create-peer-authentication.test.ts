import { type AuditEvent, createAuditLog, mintPeerToken } from '@fedmcp/proxy-auth';
import { createMemoryStore } from '@fedmcp/store';
import { describe, expect, it } from 'vitest';
import { createDiscoveryDocument, createDiscoveryRoutes } from './create-discovery-routes.js';
import { createHubIdentity } from './create-hub-identity.js';
import { createPeerAuthentication } from './create-peer-authentication.js';

describe('createPeerAuthentication', () => {
  it('answers 503 with a reason and Retry-After, not an error, while the peer’s keys cannot be fetched, and accepts its tokens once they can', async () => {
    const identity = await createHubIdentity();
    const routes = createDiscoveryRoutes({
      document: () => createDiscoveryDocument({ hubId: 'a', endpoint: 'http://a.example.com/mcp' }),
      keyring: identity.keyring,
    });
    // Peer `a` is still starting: its discovery document cannot be reached until `up`.
    let up = false;
    const fetchThroughA: typeof fetch = async (input) => {
      if (!up) throw new TypeError('fetch failed');
      const answer = await routes(new Request(input instanceof Request ? input.url : input));
      return answer ?? new Response(null, { status: 404 });
    };
    const replay = createMemoryStore();
    const authentication = createPeerAuthentication({
      hubId: 'b',
      peers: { a: { url: 'http://a.example.com', import: false } },
      replayStore: replay.kv,
      fetch: fetchThroughA,
    });
    const request = async () => {
      const { token } = await mintPeerToken({
        keyring: await identity.keyring(),
        issuer: 'a',
        audience: 'b',
        subject: 'a',
      });
      return new Request('http://b.example.com/mcp', {
        method: 'POST',
        headers: { authorization: `Bearer ${token}` },
      });
    };

    for (const attempt of [1, 2]) {
      const answer = await authentication.authenticate(await request());
      expect(answer, `attempt ${attempt}`).toBeInstanceOf(Response);
      const response = answer as Response;
      expect(response.status).toBe(503);
      expect(Number(response.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
      const body = (await response.json()) as { error: { message: string } };
      expect(body.error.message).toMatch(/The peer token cannot be checked now: .*Retry later\./);
    }

    up = true;
    // The peer was unreachable (not wrong): it is asked again within about a second, not 30 s.
    const deadline = Date.now() + 5_000;
    let principal: unknown;
    while (Date.now() < deadline) {
      principal = await authentication.authenticate(await request());
      if (!(principal instanceof Response)) break;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(principal).toMatchObject({ authMethod: 'peer', issuer: 'a', via: ['a'] });
    await replay.close();
  });

  it('accepts a reusable token again and again, and refuses it once its peer is no longer trusted', async () => {
    const identity = await createHubIdentity();
    const replay = createMemoryStore();
    const keys = (await identity.keyring()).jwks();
    const events: AuditEvent[] = [];
    const authentication = createPeerAuthentication({
      hubId: 'b',
      peers: { a: { url: 'http://a.example.com', import: false, keys } },
      replayStore: replay.kv,
      audit: createAuditLog({ sinks: [{ write: (event) => void events.push(event) }] }),
    });
    const { token } = await mintPeerToken({
      keyring: await identity.keyring(),
      issuer: 'a',
      audience: 'b',
      subject: 'alice',
      reusable: true,
    });
    const request = () =>
      new Request('http://b.example.com/mcp', {
        method: 'POST',
        headers: { authorization: `Bearer ${token}` },
      });
    for (let index = 0; index < 3; index += 1) {
      await expect(authentication.authenticate(request())).resolves.toMatchObject({
        subject: 'alice',
        authMethod: 'peer',
        via: ['a'],
      });
    }
    // Verified once, then remembered: one success record for the three (once per minute).
    expect(events.map(({ type, outcome }) => `${type} ${outcome}`)).toEqual(['auth success']);
    // A bearer token that is no peer token is left to the hub's own authentication.
    const apiKey = new Request('http://b.example.com/mcp', {
      headers: { authorization: 'Bearer fmk_not_a_jwt' },
    });
    expect(authentication.authenticate(apiKey)).toBeUndefined();
    authentication.setPeers({});
    const refused = await authentication.authenticate(request());
    expect(refused).toBeInstanceOf(Response);
    expect((refused as Response).status).toBe(401);
    await replay.close();
  });
});
