/**
 * The forwarding fast path: a plain tools/call from a 2025-era HTTP client that can answer no
 * questions is relayed upstream as it is and answered with one JSON response (no SSE stream),
 * with everything the normal path keeps: results and their URI mapping, upstream errors with
 * code and data, timeouts, cancellation, policy and audit.
 */
import { type AuditEvent, createAuditLog, createPolicy } from '@fedmcp/proxy-auth';
import { createMcpHttpHost } from '@fedmcp/transports/node';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { describe, expect, it, vi } from 'vitest';
import { freshState } from '../../test/fixtures/direct-upstream.js';
import { createTestUpstream } from '../../test/fixtures/test-upstream.js';
import { type ExtraReads, memoryConnector, textOf, watchReads } from '../../test/helpers.js';
import { createPolicyAccess } from '../index.js';
import { createHub } from './index.js';

describe('the tools/call fast path', () => {
  it('relays plain calls as JSON answers, keeping errors, mapping, cancellation, policy and audit', async () => {
    const state = freshState();
    const events: AuditEvent[] = [];
    const audit = createAuditLog({ sinks: [{ write: (event) => void events.push(event) }] });
    const policy = createPolicy([
      {
        id: 'no-pid',
        effect: 'deny',
        subjects: ['*'],
        actions: ['tools/call'],
        targets: ['up__pid'],
      },
      { id: 'rest', effect: 'allow', subjects: ['*'], actions: ['*'] },
    ]);
    await using hub = createHub({
      connect: memoryConnector({ up: () => createTestUpstream({ name: 'up' }, state).server }),
      upstreams: { up: { url: 'memory://up', timeoutMs: 500 } },
      healthIntervalMs: 0,
      failureThreshold: 100,
      access: createPolicyAccess({ policy, audit }),
    });
    await hub.start();
    const host = createMcpHttpHost({
      createServer: hub.createServer,
      fastRequest: hub.fastRequest,
      port: 0,
      bus: hub.bus,
    });
    const { url } = await host.listen();
    const contentTypes: string[] = [];
    const client = new Client({ name: 'plain', version: '1.0.0' });
    await client.connect(
      new StreamableHTTPClientTransport(new URL(`${url}/mcp`), {
        fetch: async (input, init) => {
          const response = await fetch(input, init);
          const body = typeof init?.body === 'string' ? init.body : '';
          if (body.includes('"tools/call"'))
            contentTypes.push(response.headers.get('content-type') ?? '');
          return response;
        },
      }),
    );
    try {
      expect(textOf(await client.callTool({ name: 'up__echo', arguments: { text: 'fast' } }))).toBe(
        'up:fast',
      );
      expect(contentTypes.at(-1)).toMatch(/^application\/json/);

      const linked = await client.callTool({ name: 'up__link', arguments: {} });
      expect(linked.content).toMatchObject([
        { type: 'resource_link', uri: 'fedmcp://up/test://item/1' },
        { type: 'resource', resource: { uri: 'fedmcp://up/test://item/2' } },
      ]);

      await expect(client.callTool({ name: 'up__fail', arguments: {} })).rejects.toMatchObject({
        code: -32050,
        data: { reason: 'test', detail: 42 },
      });
      await expect(client.callTool({ name: 'up__pid', arguments: {} })).rejects.toMatchObject({
        code: -32062,
        data: { rule: 'no-pid' },
      });
      await expect(client.callTool({ name: 'up__hang', arguments: {} })).rejects.toMatchObject({
        code: -32061,
      });

      const controller = new AbortController();
      const slow = client.callTool(
        { name: 'up__slow', arguments: { ms: 10_000 } },
        { signal: controller.signal, timeout: 30_000 },
      );
      await new Promise((resolve) => setTimeout(resolve, 100));
      controller.abort('stop');
      await expect(slow).rejects.toThrow();
      await vi.waitFor(() => expect(state.cancelled).toBe(1), { timeout: 5_000 });

      expect(contentTypes.every((type) => type.startsWith('application/json'))).toBe(true);
      const calls = events.filter((event) => event.type === 'call');
      expect(calls.map((event) => [event.target, event.outcome])).toEqual(
        expect.arrayContaining([
          ['up__echo', 'success'],
          ['up__fail', 'error'],
          ['up__hang', 'error'],
        ]),
      );
      expect(events).toContainEqual(
        expect.objectContaining({ type: 'policy', outcome: 'denied', rule: 'no-pid' }),
      );
    } finally {
      await client.close();
      await host.close();
    }
  });

  it('cancels upstream through the host cancellation, building no AbortSignal per call', async () => {
    const state = freshState();
    await using hub = createHub({
      connect: memoryConnector({ up: () => createTestUpstream({ name: 'up' }, state).server }),
      upstreams: { up: { url: 'memory://up' } },
      healthIntervalMs: 0,
    });
    await hub.start();
    const reads: ExtraReads = { signal: 0, cancellation: 0 };
    const host = createMcpHttpHost({
      createServer: hub.createServer,
      // The hub's fast path, told how often it reads the request's signal and cancellation.
      fastRequest: (message, extra) => hub.fastRequest(message, watchReads(extra, reads)),
      port: 0,
      bus: hub.bus,
    });
    const { url } = await host.listen();
    const client = new Client({ name: 'plain', version: '1.0.0' });
    await client.connect(new StreamableHTTPClientTransport(new URL(`${url}/mcp`)));
    try {
      expect(textOf(await client.callTool({ name: 'up__echo', arguments: { text: 'a' } }))).toBe(
        'up:a',
      );
      const read = reads.cancellation;
      expect(read).toBeGreaterThan(0);
      const controller = new AbortController();
      const slow = client.callTool(
        { name: 'up__slow', arguments: { ms: 10_000 } },
        { signal: controller.signal, timeout: 30_000 },
      );
      // The slow call is upstream (its fast path took the cancellation) before it is cancelled.
      await vi.waitFor(() => expect(reads.cancellation).toBeGreaterThan(read));
      controller.abort('stop');
      await expect(slow).rejects.toThrow();
      // MCP 2025-11-25 basic/utilities/cancellation: the upstream is told.
      await vi.waitFor(() => expect(state.cancelled).toBe(1), { timeout: 5_000 });
      expect(reads.signal).toBe(0);
    } finally {
      await client.close();
      await host.close();
    }
  });

  it('leaves calls of clients that can answer questions to the normal path', async () => {
    await using hub = createHub({
      connect: memoryConnector({ up: () => createTestUpstream({ name: 'up' }).server }),
      upstreams: { up: { url: 'memory://up' } },
      healthIntervalMs: 0,
    });
    await hub.start();
    const host = createMcpHttpHost({
      createServer: hub.createServer,
      fastRequest: hub.fastRequest,
      port: 0,
      bus: hub.bus,
    });
    const { url } = await host.listen();
    const contentTypes: string[] = [];
    const client = new Client(
      { name: 'interactive', version: '1.0.0' },
      { capabilities: { sampling: {} } },
    );
    client.setRequestHandler('sampling/createMessage', async () => ({
      model: 'm',
      role: 'assistant',
      content: { type: 'text', text: 'answer' },
    }));
    await client.connect(
      new StreamableHTTPClientTransport(new URL(`${url}/mcp`), {
        fetch: async (input, init) => {
          const response = await fetch(input, init);
          const body = typeof init?.body === 'string' ? init.body : '';
          if (body.includes('"tools/call"'))
            contentTypes.push(response.headers.get('content-type') ?? '');
          return response;
        },
      }),
    );
    try {
      expect(
        textOf(await client.callTool({ name: 'up__sample', arguments: { prompt: 'p' } })),
      ).toBe('sampled:answer');
      expect(contentTypes).toEqual([expect.stringMatching(/^text\/event-stream/)]);
    } finally {
      await client.close();
      await host.close();
    }
  });
});
