/**
 * Tool search (`exposure: 'search'`) and views over the real npm servers: server-everything,
 * server-memory and server-filesystem as stdio upstreams; views over real HTTP at `/mcp/<view>`.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  type AuditEvent,
  createAuditLog,
  createConsentLedger,
  createPolicy,
} from '@fedmcp/proxy-auth';
import { createMemoryStore } from '@fedmcp/store';
import { createMcpHttpHost } from '@fedmcp/transports/node';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import type { Tool } from '@modelcontextprotocol/server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectLegacyClient, connectModernClient, textOf } from '../../test/helpers.js';
import { minimalEnv, repositoryRoot } from '../../test/node-helpers.js';
import { createConsentStep, createPolicyAccess } from '../index.js';
import { createHub } from './index.js';

const npmServer = (name: string, ...args: string[]) => ({
  command: process.execPath,
  args: [`${repositoryRoot}node_modules/@modelcontextprotocol/${name}/dist/index.js`, ...args],
  env: minimalEnv,
});

let scratch: string;
beforeAll(async () => {
  scratch = await mkdtemp(join(tmpdir(), 'fedmcp-search-'));
});
afterAll(async () => {
  await rm(scratch, { recursive: true, force: true });
});

/** The three npm servers, everything and memory behind search, filesystem listed. */
function upstreams() {
  return {
    everything: { ...npmServer('server-everything', 'stdio'), exposure: 'search' as const },
    memory: {
      ...npmServer('server-memory'),
      env: { ...minimalEnv, MEMORY_FILE_PATH: join(scratch, 'memory.jsonl') },
      exposure: 'search' as const,
    },
    filesystem: npmServer('server-filesystem', scratch),
  };
}

async function findTools(client: Client, query: string, limit?: number): Promise<Tool[]> {
  const result = await client.callTool({
    name: 'find_tools',
    arguments: { query, ...(limit ? { limit } : {}) },
  });
  return (result.structuredContent as { tools: Tool[] }).tools;
}

const names = (tools: Array<{ name: string }>) => tools.map((tool) => tool.name);

describe('tool search over the real npm servers', () => {
  it('lists the meta-tools instead of the searched tools; find_tools finds, call_tool calls', async () => {
    await using hub = createHub({ upstreams: upstreams(), healthIntervalMs: 0 });
    await hub.start();
    const client = await connectLegacyClient(hub);
    const { tools } = await client.listTools();
    expect(names(tools).slice(0, 2)).toEqual(['find_tools', 'call_tool']);
    expect(names(tools).some((name) => /^(everything|memory)__/.test(name))).toBe(false);
    expect(names(tools)).toContain('filesystem__read_text_file');
    // The description names what is behind the search, so agents use it.
    const find = tools.find((tool) => tool.name === 'find_tools')!;
    expect(find.description).toMatch(/everything \(\d+ tools\)/);
    expect(find.description).toContain('memory (9 tools)');

    const sum = await findTools(client, 'add two numbers');
    expect(sum[0]).toMatchObject({
      name: 'everything__get-sum',
      description: expect.stringContaining('sum'),
      inputSchema: { properties: { a: expect.anything(), b: expect.anything() } },
    });
    expect(names(await findTools(client, 'create entities in the knowledge graph'))).toContain(
      'memory__create_entities',
    );
    // Listed tools are not searched: find_tools finds what tools/list does not show.
    expect(
      names(await findTools(client, 'read text file', 10)).some((n) => n.startsWith('filesystem')),
    ).toBe(false);

    const called = await client.callTool({
      name: 'call_tool',
      arguments: { name: 'everything__get-sum', arguments: { a: 2, b: 3 } },
    });
    expect(textOf(called)).toContain('5');
    const entities = await client.callTool({
      name: 'call_tool',
      arguments: {
        name: 'memory__create_entities',
        arguments: { entities: [{ name: 'Ada', entityType: 'person', observations: ['math'] }] },
      },
    });
    expect(entities.isError).not.toBe(true);
    // A found tool may be called directly too.
    expect(
      textOf(await client.callTool({ name: 'everything__get-sum', arguments: { a: 1, b: 1 } })),
    ).toContain('2');
    await expect(
      client.callTool({ name: 'call_tool', arguments: { name: 'everything__nope' } }),
    ).rejects.toMatchObject({ code: -32602 });
    await client.close();
  }, 60_000);

  it('enforces policy and consent: a denied tool is neither found nor callable', async () => {
    const store = createMemoryStore();
    const events: AuditEvent[] = [];
    const audit = createAuditLog({ sinks: [{ write: (event) => void events.push(event) }] });
    const ledger = createConsentLedger({ kv: store.kv, audit });
    const policy = createPolicy([
      { id: 'everyone', effect: 'allow', subjects: ['*'], actions: ['*'] },
      { id: 'no-env', effect: 'deny', subjects: ['*'], actions: ['*'], targets: ['*__get-env'] },
      {
        id: 'ask-echo',
        subjects: ['*'],
        actions: ['tools/call'],
        targets: ['everything__echo'],
        consent: 'required',
      },
    ]);
    await using hub = createHub({
      upstreams: upstreams(),
      healthIntervalMs: 0,
      access: createPolicyAccess({ policy, audit, consent: createConsentStep({ ledger }) }),
    });
    await hub.start();
    const answers: Array<Record<string, unknown>> = [
      { action: 'accept', content: { decision: 'allow_once' } },
      { action: 'decline' },
    ];
    const asked: string[] = [];
    const client = await connectLegacyClient(hub, { elicitation: { form: {} } }, (created) => {
      created.setRequestHandler('elicitation/create', async (request) => {
        asked.push(String(request.params.message));
        const answer = answers.shift();
        if (!answer) throw new Error('no answer left');
        return answer as never;
      });
    });

    // Not found: the denied tool is left out of the search, however it is asked for.
    for (const query of ['environment variables', 'get env', 'everything__get-env']) {
      expect(names(await findTools(client, query, 50))).not.toContain('everything__get-env');
    }
    expect(names(await findTools(client, 'echo back the input'))).toContain('everything__echo');
    // Not callable, through call_tool or directly.
    const denied = { name: 'everything__get-env', arguments: {} };
    await expect(client.callTool({ name: 'call_tool', arguments: denied })).rejects.toMatchObject({
      code: -32062,
    });
    await expect(client.callTool(denied)).rejects.toMatchObject({ code: -32062 });

    // Consent: asked once per call through call_tool, as for a direct call.
    const echo = { name: 'everything__echo', arguments: { message: 'hello' } };
    expect(textOf(await client.callTool({ name: 'call_tool', arguments: echo }))).toContain(
      'hello',
    );
    expect(asked).toHaveLength(1);
    expect(asked[0]).toContain('everything__echo');
    await expect(client.callTool({ name: 'call_tool', arguments: echo })).rejects.toMatchObject({
      code: -32063,
    });
    expect(asked).toHaveLength(2);

    // The audit names the tool called, not the meta-tool.
    const calls = events.filter((event) => event.type === 'call');
    expect(calls.map((event) => [event.target, event.outcome])).toEqual(
      expect.arrayContaining([['everything__echo', 'success']]),
    );
    expect(events.some((event) => event.target === 'call_tool')).toBe(false);
    await client.close();
    await store.close();
  }, 60_000);
});

describe('tool search for a 2026-07-28 client', () => {
  it('asks for consent through call_tool as an input_required round, and finds statelessly', async () => {
    const store = createMemoryStore();
    const ledger = createConsentLedger({ kv: store.kv });
    const policy = createPolicy([
      { id: 'everyone', effect: 'allow', subjects: ['*'], actions: ['*'] },
      {
        id: 'ask-sum',
        subjects: ['*'],
        actions: ['tools/call'],
        targets: ['everything__get-sum'],
        consent: 'required',
      },
    ]);
    await using hub = createHub({
      upstreams: { everything: { ...npmServer('server-everything', 'stdio'), exposure: 'search' } },
      healthIntervalMs: 0,
      access: createPolicyAccess({ policy, consent: createConsentStep({ ledger }) }),
    });
    await hub.start();
    const asked: string[] = [];
    const { client, close } = await connectModernClient(
      hub,
      { elicitation: { form: {} } },
      (created) => {
        created.setRequestHandler('elicitation/create', async (request) => {
          asked.push(String(request.params.message));
          return { action: 'accept', content: { decision: 'allow_once' } };
        });
      },
    );
    expect(names((await client.listTools()).tools)).toEqual(['find_tools', 'call_tool']);
    expect(names(await findTools(client, 'sum of two numbers'))[0]).toBe('everything__get-sum');
    const result = await client.callTool({
      name: 'call_tool',
      arguments: { name: 'everything__get-sum', arguments: { a: 20, b: 22 } },
    });
    expect(textOf(result)).toContain('42');
    expect(asked).toHaveLength(1);
    expect(asked[0]).toContain('everything__get-sum');
    await close();
    await store.close();
  }, 60_000);
});

describe('views over HTTP at /mcp/<view>', () => {
  it('serves only the view’s subset; a call outside it is unknown; an unknown view is 404', async () => {
    await using hub = createHub({
      upstreams: {
        everything: npmServer('server-everything', 'stdio'),
        memory: {
          ...npmServer('server-memory'),
          env: { ...minimalEnv, MEMORY_FILE_PATH: join(scratch, 'views.jsonl') },
        },
      },
      healthIntervalMs: 0,
      views: {
        readonly: { include: { upstreams: ['memory'], annotations: { readOnlyHint: true } } },
        'memory-search': { include: { upstreams: ['memory'] }, exposure: 'search' },
      },
    });
    await hub.start();
    await using host = createMcpHttpHost({
      createServer: hub.createServer,
      fastRequest: hub.fastRequest,
      views: hub.views,
    });
    const { url } = await host.listen();
    const connect = async (path: string) => {
      const client = new Client({ name: 'test', version: '1.0.0' });
      await client.connect(new StreamableHTTPClientTransport(new URL(`${url}${path}`)));
      return client;
    };

    const readonly = await connect('/mcp/readonly');
    expect(names((await readonly.listTools()).tools).sort()).toEqual([
      'memory__open_nodes',
      'memory__read_graph',
      'memory__search_nodes',
    ]);
    expect((await readonly.listPrompts()).prompts).toEqual([]);
    expect((await readonly.listResources()).resources).toEqual([]);
    expect(
      textOf(await readonly.callTool({ name: 'memory__read_graph', arguments: {} })),
    ).toContain('entities');
    // Outside the view: unknown, on the fast path (a plain call) as on the SDK path.
    for (const call of [
      { name: 'memory__create_entities', arguments: { entities: [] } },
      { name: 'everything__echo', arguments: { message: 'x' } },
    ]) {
      await expect(readonly.callTool(call)).rejects.toMatchObject({
        code: -32602,
        message: expect.stringContaining(`Unknown tool: ${call.name}`),
      });
    }
    await expect(readonly.getPrompt({ name: 'everything__simple-prompt' })).rejects.toMatchObject({
      code: -32602,
    });
    await expect(
      readonly.readResource({
        uri: 'fedmcp://everything/demo://resource/static/document/architecture.md',
      }),
    ).rejects.toMatchObject({ code: -32602 });

    const searched = await connect('/mcp/memory-search');
    expect(names((await searched.listTools()).tools)).toEqual(['find_tools', 'call_tool']);
    expect(names(await findTools(searched, 'echo the input message', 50))).not.toContain(
      'everything__echo',
    );
    expect(names(await findTools(searched, 'search nodes'))[0]).toBe('memory__search_nodes');

    // The whole catalog at /mcp.
    const whole = await connect('/mcp');
    expect(names((await whole.listTools()).tools)).toContain('everything__echo');

    const unknown = await fetch(`${url}/mcp/nope`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        accept: 'application/json, text/event-stream',
      },
      body: '{}',
    });
    expect(unknown.status).toBe(404);
    expect(await unknown.text()).toContain('/mcp/readonly');
    expect(() => hub.createServer({ view: 'nope' })).toThrow(/Unknown view "nope"/);
    await Promise.all([readonly.close(), searched.close(), whole.close()]);
  }, 60_000);
});
