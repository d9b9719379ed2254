/**
 * Hub-managed tasks as a strict 2025-11-25 client (SDK v1) sees them through `createFedmcpServer`
 * over Streamable HTTP, with server-everything (stdio) upstream: `tools/list` says which tools
 * may run as tasks, the client sends `task` because the list says so, and a task whose upstream
 * asks for input mid-call gets the question to the client through `tasks/result`.
 */
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { ElicitRequestSchema } from '@modelcontextprotocol/sdk/types.js';
import { describe, expect, it } from 'vitest';
import { type RunningHub, startHub } from './fixtures/hub.js';
import { everythingStdioEntry } from './fixtures/upstreams.js';

type Params = Record<string, unknown>;

/** An SDK v1 client that declares tasks and elicitation, answering every form with `answer`. */
async function tasksClient(hub: RunningHub, answer: Params) {
  const client = new Client(
    { name: 'e2e-tasks-client', version: '1.0.0' },
    { capabilities: { tasks: { list: {}, cancel: {} }, elicitation: { form: {} } } },
  );
  const elicited: Params[] = [];
  client.setRequestHandler(ElicitRequestSchema, (request) => {
    elicited.push(request.params as Params);
    return { action: 'accept' as const, content: answer as Record<string, string> };
  });
  await client.connect(new StreamableHTTPClientTransport(new URL(`${hub.url}/mcp`)));
  return { client, elicited };
}

/** Runs a tool with `callToolStream` and collects what the stream yields. */
async function streamed(client: Client, name: string, args: Params) {
  const messages: Params[] = [];
  for await (const message of client.experimental.tasks.callToolStream({ name, arguments: args })) {
    messages.push(message as unknown as Params);
  }
  return messages;
}

describe('hub-managed tasks for a 2025-11-25 client', () => {
  it('lists every tool as taskSupport optional, keeps an upstream’s required, and the client sends task', {
    timeout: 60_000,
  }, async () => {
    await using hub = await startHub({ ev: everythingStdioEntry() });
    const { client } = await tasksClient(hub, {});
    try {
      const { tools } = await client.listTools();
      const support = new Map(tools.map((tool) => [tool.name, tool.execution?.taskSupport]));
      expect(support.get('ev__echo')).toBe('optional');
      expect(support.get('ev__get-sum')).toBe('optional');
      expect(support.get('ev__simulate-research-query')).toBe('required');

      // The strict client adds `task` on its own for a tool the list marks as task-capable.
      const messages = await streamed(client, 'ev__echo', { message: 'as a task' });
      const created = messages.find((message) => message.type === 'taskCreated');
      expect(String((created?.task as Params | undefined)?.taskId)).toMatch(/^hubtask\./);
      const result = messages.at(-1) as { type: string; result: { content: Params[] } };
      expect(result.type).toBe('result');
      expect(result.result.content[0]?.text).toBe('Echo: as a task');
    } finally {
      await client.close();
    }
  });

  it('asks the client an upstream’s elicitation on tasks/result, and the task completes with the answer', {
    timeout: 60_000,
  }, async () => {
    await using hub = await startHub({ ev: everythingStdioEntry() });
    const { client, elicited } = await tasksClient(hub, { name: 'Ada Lovelace' });
    try {
      await client.listTools();
      const messages = await streamed(client, 'ev__trigger-elicitation-request', {});
      const statuses = messages
        .filter((message) => message.type === 'taskStatus')
        .map((message) => (message.task as Params).status);
      expect(statuses).toContain('input_required');
      const created = messages.find((message) => message.type === 'taskCreated');
      const taskId = (created?.task as Params | undefined)?.taskId;
      expect(elicited).toHaveLength(1);
      expect(elicited[0]?._meta).toMatchObject({
        'io.modelcontextprotocol/related-task': { taskId },
      });
      const result = messages.at(-1) as { type: string; result: { content: Params[] } };
      expect(result.type).toBe('result');
      expect(result.result.content.map((item) => item.text).join('\n')).toContain(
        '- Name: Ada Lovelace',
      );
    } finally {
      await client.close();
    }
  });

  it('lists tools as their upstream does for a client that did not declare tasks', {
    timeout: 60_000,
  }, async () => {
    await using hub = await startHub({ ev: everythingStdioEntry() });
    const client = new Client({ name: 'plain', version: '1.0.0' });
    await client.connect(new StreamableHTTPClientTransport(new URL(`${hub.url}/mcp`)));
    try {
      const { tools } = await client.listTools();
      // server-everything's own value ('forbidden'), not the hub's 'optional'.
      expect(tools.find((tool) => tool.name === 'ev__echo')?.execution?.taskSupport).toBe(
        'forbidden',
      );
    } finally {
      await client.close();
    }
  });
});
