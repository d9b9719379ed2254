import { type AuditEvent, createAuditLog, createPolicy } from '@fedmcp/proxy-auth';
import { Client } from '@modelcontextprotocol/client';
import { InMemoryTransport, Server, type Tool } from '@modelcontextprotocol/server';
import { describe, expect, it } from 'vitest';
import { memoryConnector, textOf } from '../test/helpers.js';
import { createHub, createPolicyAccess, type Hub } from './index.js';

/** An upstream that records the `_meta` of every call it gets, and lists `tools`. */
function recordingUpstream(tools: Tool[] = [{ name: 'echo', inputSchema: { type: 'object' } }]) {
  const metas: Array<Record<string, unknown> | undefined> = [];
  const create = () => {
    const server = new Server({ name: 'up', version: '1.0.0' }, { capabilities: { tools: {} } });
    server.setRequestHandler('tools/list', () => ({ tools }));
    server.setRequestHandler('tools/call', (request) => {
      metas.push(request.params._meta as Record<string, unknown> | undefined);
      return { content: [{ type: 'text', text: `called ${request.params.name}` }] };
    });
    return server;
  };
  return { metas, create };
}

async function clientOf(hub: Hub, principal?: unknown): Promise<Client> {
  const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
  await hub.createServer({ era: 'legacy', transport: 'in-memory', principal }).connect(serverSide);
  const client = new Client({ name: 'meta-test', version: '1.0.0' });
  await client.connect(clientSide);
  return client;
}

/** A peer hub's principal whose verified token names `via` (the newest hub first). */
function peer(via: string[]) {
  return { subject: 'alice', issuer: via[0], groups: [], scopes: [], authMethod: 'peer', via };
}

const alice = {
  subject: 'alice',
  issuer: 'https://idp.example',
  groups: [],
  scopes: [],
  authMethod: 'oauth',
};

describe('federation _meta', () => {
  it('forwards the hop trail with this hub appended, the end user and a child span', async () => {
    const upstream = recordingUpstream();
    await using hub = createHub({
      hubId: 'home',
      connect: memoryConnector({ up: upstream.create }),
      upstreams: { up: { url: 'memory://up' } },
      healthIntervalMs: 0,
    });
    await hub.start();
    const client = await clientOf(hub, alice);
    const traceparent = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';
    await client.callTool({
      name: 'up__echo',
      arguments: {},
      _meta: { traceparent, 'io.fedmcp/onBehalfOf': { subject: 'mallory' } },
    });
    const [meta] = upstream.metas;
    expect(meta?.['io.fedmcp/hops']).toEqual(['home']);
    // The authenticated principal, never what the client claimed.
    expect(meta?.['io.fedmcp/onBehalfOf']).toEqual({
      subject: 'alice',
      issuer: 'https://idp.example',
    });
    expect(meta?.traceparent).toMatch(/^00-4bf92f3577b34da6a3ce929d0e0e4736-[0-9a-f]{16}-01$/);
    expect(meta?.traceparent).not.toBe(traceparent);
    await client.close();
  });

  it('refuses a request that would revisit this hub or exceed max hops', async () => {
    const upstream = recordingUpstream();
    await using hub = createHub({
      hubId: 'home',
      maxHops: 3,
      connect: memoryConnector({ up: upstream.create }),
      upstreams: { up: { url: 'memory://up' } },
      healthIntervalMs: 0,
    });
    await hub.start();
    // Only a peer hub's trail is taken (a verified token's delegation chain, newest hub first).
    const viaEu = await clientOf(hub, peer(['home', 'eu']));
    await expect(
      viaEu.callTool({
        name: 'up__echo',
        arguments: {},
        _meta: { 'io.fedmcp/hops': ['eu', 'home'] },
      }),
    ).rejects.toMatchObject({ code: -32068, data: { reason: 'revisit' } });
    const viaC = await clientOf(hub, peer(['c', 'b', 'a']));
    await expect(
      viaC.callTool({
        name: 'up__echo',
        arguments: {},
        _meta: { 'io.fedmcp/hops': ['a', 'b', 'c'] },
      }),
    ).rejects.toMatchObject({ code: -32068, data: { reason: 'max-hops' } });
    await expect(
      viaC.callTool({ name: 'up__echo', arguments: {}, _meta: { 'io.fedmcp/hops': 'home' } }),
    ).rejects.toMatchObject({ code: -32600 });
    expect(upstream.metas).toHaveLength(0);
    await viaEu.close();
    await viaC.close();
  });

  it('drops the hop trail a client that is not a peer hub claims, and audits the drop', async () => {
    const upstream = recordingUpstream();
    const records: AuditEvent[] = [];
    const audit = createAuditLog({ sinks: [{ write: (event) => void records.push(event) }] });
    await using hub = createHub({
      hubId: 'home',
      connect: memoryConnector({ up: upstream.create }),
      upstreams: { up: { url: 'memory://up' } },
      healthIntervalMs: 0,
      access: createPolicyAccess({
        policy: createPolicy([{ effect: 'allow', subjects: ['*'], actions: ['*'] }]),
        audit,
      }),
    });
    await hub.start();
    const client = await clientOf(hub, alice);
    const answer = await client.callTool({
      name: 'up__echo',
      arguments: {},
      _meta: { 'io.fedmcp/hops': ['evil'] },
    });
    expect(textOf(answer)).toBe('called echo');
    expect(upstream.metas[0]?.['io.fedmcp/hops']).toEqual(['home']);
    expect(records.find((event) => event.type === 'call')?.details).toMatchObject({
      droppedClaims: ['io.fedmcp/hops'],
    });
    await client.close();
  });

  it("refuses a peer's hop trail that differs from its token's delegation chain", async () => {
    const upstream = recordingUpstream();
    await using hub = createHub({
      hubId: 'c',
      connect: memoryConnector({ up: upstream.create }),
      upstreams: { up: { url: 'memory://up' } },
      healthIntervalMs: 0,
    });
    await hub.start();
    const peer = { ...alice, authMethod: 'peer', issuer: 'b', via: ['b', 'a'] };
    const client = await clientOf(hub, peer);
    // A forged trail that omits hub "a".
    await expect(
      client.callTool({ name: 'up__echo', arguments: {}, _meta: { 'io.fedmcp/hops': ['b'] } }),
    ).rejects.toMatchObject({ code: -32600, message: expect.stringContaining('delegation chain') });
    const result = await client.callTool({
      name: 'up__echo',
      arguments: {},
      _meta: { 'io.fedmcp/hops': ['a', 'b'] },
    });
    expect(textOf(result)).toBe('called echo');
    expect(upstream.metas[0]?.['io.fedmcp/hops']).toEqual(['a', 'b', 'c']);
    // The delegation a next peer token names is the verified one, not the claimed trail.
    expect(upstream.metas[0]?.['io.fedmcp/onBehalfOf']).toEqual({
      subject: 'alice',
      issuer: 'b',
      via: ['b', 'a'],
    });
    await client.close();
  });

  it('marks exposed tools with their origin and does not re-import its own tools through a peer', async () => {
    const upstream = recordingUpstream();
    const peer = recordingUpstream([
      { name: 'eu-tool', inputSchema: { type: 'object' } },
      {
        // What the peer got from this hub: it must not come back.
        name: 'up__echo',
        inputSchema: { type: 'object' },
        _meta: { 'io.fedmcp/origin': { hubs: ['eu', 'home'], upstreamId: 'up' } },
      },
    ]);
    await using hub = createHub({
      hubId: 'home',
      connect: memoryConnector({ up: upstream.create, eu: peer.create }),
      upstreams: { up: { url: 'memory://up' }, eu: { url: 'memory://eu' } },
      healthIntervalMs: 0,
    });
    await hub.start();
    // Origins are listed for peer hubs (and the admin API), not for other clients.
    const client = await clientOf(hub, { subject: 'alice', authMethod: 'peer', via: ['eu'] });
    const { tools } = await client.listTools();
    expect(tools.map((tool) => tool.name)).toEqual(['up__echo', 'eu__eu-tool']);
    expect(tools[0]?._meta?.['io.fedmcp/origin']).toEqual({ hubs: ['home'], upstreamId: 'up' });
    expect(tools[1]?._meta?.['io.fedmcp/origin']).toEqual({ hubs: ['home'], upstreamId: 'eu' });
    await client.close();
    const ordinary = await clientOf(hub);
    const listed = await ordinary.listTools();
    expect(listed.tools.map((tool) => tool._meta?.['io.fedmcp/origin'])).toEqual([
      undefined,
      undefined,
    ]);
    await ordinary.close();
  });

  it("without a hub id, passes the trail on but never the client's claim of the end user", async () => {
    const upstream = recordingUpstream();
    await using hub = createHub({
      connect: memoryConnector({ up: upstream.create }),
      upstreams: { up: { url: 'memory://up' } },
      healthIntervalMs: 0,
    });
    await hub.start();
    const client = await clientOf(hub);
    await client.callTool({
      name: 'up__echo',
      arguments: {},
      _meta: { 'io.fedmcp/hops': ['eu'], 'io.fedmcp/onBehalfOf': { subject: 'mallory' } },
    });
    expect(upstream.metas[0]?.['io.fedmcp/hops']).toEqual(['eu']);
    expect(upstream.metas[0]).not.toHaveProperty(['io.fedmcp/onBehalfOf']);
    await client.close();
  });
});
