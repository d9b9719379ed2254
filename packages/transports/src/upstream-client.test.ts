import { Client, SdkError } from '@modelcontextprotocol/client';
import { describe, expect, it } from 'vitest';
import { createTestMcpServer } from '../test/upstream/fixtures/v2-test-server.js';
import { createUpstreamClient } from './connect-upstream.js';
import { createInMemoryTransportPair } from './in-memory-transport.js';
import type { UpstreamClient } from './upstream-client.js';

async function connected(client: UpstreamClient) {
  const [clientTransport, serverTransport] = createInMemoryTransportPair();
  const server = createTestMcpServer();
  await server.connect(serverTransport);
  await client.connect(clientTransport);
  return { client, server };
}

const textOf = (result: unknown) =>
  ((result as { content: Array<{ text: string }> }).content[0] ?? { text: '' }).text;

describe('UpstreamClient', () => {
  it('is an SDK v2 Client over the in-memory pair', async () => {
    const { client } = await connected(await createUpstreamClient());
    expect(client).toBeInstanceOf(Client);
    expect(textOf(await client.callTool({ name: 'echo', arguments: { text: 'hi' } }))).toBe('hi');
    await client.close();
    expect(client.closed).toBe(true);
  });

  it('applies the default timeout to every request', async () => {
    const { client } = await connected(await createUpstreamClient({ timeoutMs: 100 }));
    const error = await client
      .callTool({ name: 'silent_sleep', arguments: { ms: 1_000 } })
      .catch((failure: unknown) => failure);
    expect(error).toBeInstanceOf(SdkError);
    expect(error).toMatchObject({ code: 'REQUEST_TIMEOUT' });
    // A per-call timeout still wins over the default.
    const result = await client.callTool(
      { name: 'silent_sleep', arguments: { ms: 150 } },
      { timeout: 5_000 },
    );
    expect(textOf(result)).toBe('slept');
    await client.close();
  });

  it('resets the timeout on progress by default', async () => {
    const { client } = await connected(await createUpstreamClient({ timeoutMs: 150 }));
    const progress: number[] = [];
    const result = await client.callTool(
      { name: 'slow_with_progress', arguments: { steps: 6, stepMs: 60 } },
      { onprogress: ({ progress: value }) => progress.push(value) },
    );
    expect(textOf(result)).toBe('done');
    expect(progress).toEqual([1, 2, 3, 4, 5, 6]);
    await client.close();
  });

  it('does not reset on progress when told not to', async () => {
    const { client } = await connected(
      await createUpstreamClient({ timeoutMs: 150, resetTimeoutOnProgress: false }),
    );
    await expect(
      client.callTool(
        { name: 'slow_with_progress', arguments: { steps: 6, stepMs: 60 } },
        { onprogress: () => {} },
      ),
    ).rejects.toMatchObject({ code: 'REQUEST_TIMEOUT' });
    await client.close();
  });

  it('lets onClientCreated register handlers before connecting (sampling)', async () => {
    const client = await createUpstreamClient({
      capabilities: { sampling: {} },
      onClientCreated: (created) => {
        created.setRequestHandler('sampling/createMessage', async (request) => {
          const asked = request.params.messages[0]?.content as { text?: string } | undefined;
          return {
            model: 'test-model',
            role: 'assistant',
            content: { type: 'text', text: `answer to ${asked?.text}` },
          };
        });
      },
    });
    await connected(client);
    const result = await client.callTool({ name: 'ask_model', arguments: { prompt: 'ping' } });
    expect(textOf(result)).toBe('answer to ping');
    await client.close();
  });
});
