import { CreateTaskResultSchema, ResultSchema } from '@modelcontextprotocol/core';
import { describe, expect, it } from 'vitest';
import { connectLegacyClient, eventually, INTERACTIVE, textOf } from '../../test/helpers.js';
import { minimalEnv, repositoryRoot, stdioFixture } from '../../test/node-helpers.js';
import { createHub } from './index.js';

const root = repositoryRoot;

const everything = {
  command: process.execPath,
  args: [`${root}node_modules/@modelcontextprotocol/server-everything/dist/index.js`, 'stdio'],
  env: minimalEnv,
};

describe('createHub over stdio upstreams (node)', () => {
  it('serves 100 idle sessions from one upstream process', async () => {
    await using hub = createHub({
      upstreams: { alpha: stdioFixture('alpha') },
      healthIntervalMs: 0,
    });
    await hub.start();
    const clients = await Promise.all(Array.from({ length: 100 }, () => connectLegacyClient(hub)));
    const lists = await Promise.all(clients.map((client) => client.listTools()));
    expect(lists.every((list) => list.tools.some((tool) => tool.name === 'alpha__echo'))).toBe(
      true,
    );
    const pids = new Set(
      await Promise.all(
        clients
          .slice(0, 10)
          .map(async (client) =>
            textOf(await client.callTool({ name: 'alpha__pid', arguments: {} })),
          ),
      ),
    );
    expect(pids.size).toBe(1);
    expect(hub.upstreams.list()[0]).toMatchObject({ state: 'ready', connections: 1 });
    await Promise.all(clients.map((client) => client.close()));
  }, 60_000);

  it('forwards server-everything: namespaced tools, sampling, elicitation and a task-augmented call', async () => {
    await using hub = createHub({ upstreams: { everything }, healthIntervalMs: 0 });
    await hub.start();
    const client = await connectLegacyClient(hub, INTERACTIVE, (created) => {
      created.setRequestHandler('sampling/createMessage', async () => ({
        model: 'test',
        role: 'assistant',
        content: { type: 'text', text: 'sampled answer' },
      }));
      created.setRequestHandler('elicitation/create', async () => ({
        action: 'accept',
        content: {
          name: 'Ada',
          check: true,
          firstLine: 'x',
          email: 'a@b.c',
          integer: 1,
          number: 1,
          untitledSingleSelectEnum: 'Option 1',
          untitledMultipleSelectEnum: ['Option 1'],
          titledSingleSelectEnum: 'Option 1',
          titledMultipleSelectEnum: ['Option 1'],
          legacyTitledEnum: 'Option 1',
        },
      }));
      created.setRequestHandler('roots/list', async () => ({ roots: [] }));
    });
    const { tools } = await client.listTools();
    const names = tools.map((tool) => tool.name);
    expect(names).toEqual(
      expect.arrayContaining([
        'everything__echo',
        'everything__trigger-sampling-request',
        'everything__simulate-research-query',
      ]),
    );
    expect(
      textOf(await client.callTool({ name: 'everything__echo', arguments: { message: 'hi' } })),
    ).toContain('hi');
    const sampled = await client.callTool({
      name: 'everything__trigger-sampling-request',
      arguments: { prompt: 'p', maxTokens: 5 },
    });
    expect(JSON.stringify(sampled)).toContain('sampled answer');
    const elicited = await client.callTool({
      name: 'everything__trigger-elicitation-request',
      arguments: {},
    });
    expect(JSON.stringify(elicited)).toContain('Ada');

    const created = await client.request(
      {
        method: 'tools/call',
        params: {
          name: 'everything__simulate-research-query',
          arguments: { topic: 'mcp' },
          task: { ttl: 60_000 },
        },
      },
      CreateTaskResultSchema,
    );
    expect(created.task.taskId.startsWith('everything__')).toBe(true);
    await eventually(async () => {
      const task = await client.request(
        { method: 'tasks/get', params: { taskId: created.task.taskId } } as never,
        ResultSchema,
      );
      return (task as { status?: string }).status === 'completed';
    }, 30_000);
    const result = await client.request(
      { method: 'tasks/result', params: { taskId: created.task.taskId } } as never,
      ResultSchema,
    );
    expect(JSON.stringify(result)).toContain('mcp');
    // Tasks are bound to the session that created them (spec-forwarding §6.5).
    const listed = await client.request(
      { method: 'tasks/list', params: {} } as never,
      ResultSchema,
    );
    expect((listed.tasks as Array<{ taskId: string }>).map((task) => task.taskId)).toEqual([
      created.task.taskId,
    ]);
    const other = await connectLegacyClient(hub);
    const otherListed = await other.request(
      { method: 'tasks/list', params: {} } as never,
      ResultSchema,
    );
    expect(otherListed.tasks).toEqual([]);
    await expect(
      other.request(
        { method: 'tasks/get', params: { taskId: created.task.taskId } } as never,
        ResultSchema,
      ),
    ).rejects.toMatchObject({ code: -32602 });
    await other.close();
    await client.close();
  }, 60_000);

  it('restarts a stdio upstream killed mid-call; the call errors, later calls succeed', async () => {
    await using hub = createHub({
      upstreams: { alpha: { ...stdioFixture('alpha'), timeoutMs: 20_000 } },
      healthIntervalMs: 0,
      reconnectBaseMs: 100,
      reconnectMaxMs: 400,
      listChangedDebounceMs: 5,
    });
    await hub.start();
    const states: string[] = [];
    hub.onUpstreamStateChange((change) => states.push(change.state));
    let listChanged = 0;
    const client = await connectLegacyClient(hub, {}, (created) =>
      created.setNotificationHandler('notifications/tools/list_changed', () => {
        listChanged += 1;
      }),
    );
    const pid = Number(textOf(await client.callTool({ name: 'alpha__pid', arguments: {} })));
    const call = client.callTool({ name: 'alpha__slow', arguments: { ms: 60_000 } });
    await new Promise((resolve) => setTimeout(resolve, 200));
    process.kill(pid, 'SIGKILL');
    await expect(call).rejects.toMatchObject({
      code: -32060,
      data: { fedmcpCode: 'UPSTREAM_UNAVAILABLE' },
    });
    await eventually(() => hub.upstreams.list()[0]?.state === 'ready', 30_000);
    expect(states).toEqual(['down', 'connecting', 'ready']);
    await eventually(() => listChanged >= 2);
    const restarted = Number(textOf(await client.callTool({ name: 'alpha__pid', arguments: {} })));
    expect(restarted).not.toBe(pid);
    expect(
      textOf(await client.callTool({ name: 'alpha__echo', arguments: { text: 'again' } })),
    ).toBe('alpha:again');
    await client.close();
  }, 60_000);

  it('leaves no stdio child behind after close', async () => {
    const hub = createHub({ upstreams: { alpha: stdioFixture('alpha') }, healthIntervalMs: 0 });
    await hub.start();
    const client = await connectLegacyClient(hub);
    const pid = Number(textOf(await client.callTool({ name: 'alpha__pid', arguments: {} })));
    await client.close();
    await hub.close();
    await eventually(() => {
      try {
        process.kill(pid, 0);
        return false;
      } catch {
        return true;
      }
    });
  }, 30_000);
});
