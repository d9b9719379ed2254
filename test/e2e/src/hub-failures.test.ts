/**
 * The hub when upstreams fail, through `createFedmcpServer` and a real client over Streamable
 * HTTP: a stdio upstream killed mid-call, an upstream that never answers, an upstream that is down
 * when the hub starts, and a config the hub must refuse.
 */
import { connect as connectTcp, createServer, type Socket } from 'node:net';
import { jsonRpcCodeFor } from '@fedmcp/protocol';
import { describe, expect, it, vi } from 'vitest';
import { type ClientAnswers, connectV1Client, type E2eClient } from './fixtures/e2e-client.js';
import { type RunningHub, startHub } from './fixtures/hub.js';
import {
  childProcessIds,
  everythingStdioEntry,
  silentStdioEntry,
  startEverythingHttp,
} from './fixtures/upstreams.js';

const answers: ClientAnswers = { samplingText: 'unused', elicitedName: 'unused' };

function connect(hub: RunningHub): Promise<E2eClient> {
  return connectV1Client({ kind: 'streamable-http', url: `${hub.url}/mcp` }, answers);
}

/**
 * A loopback port held for the whole test, where an upstream "appears" later: until `appear(port)`
 * every connection is reset (the hub sees the upstream down), then each one is relayed to that
 * port. Held, not released and taken again: another test's server could be given a released port.
 */
async function laterUpstreamPort(): Promise<{
  port: number;
  appear(target: number): void;
  [Symbol.asyncDispose](): Promise<void>;
}> {
  let target: number | undefined;
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    if (target === undefined) {
      socket.resetAndDestroy();
      return;
    }
    const upstream = connectTcp(target, '127.0.0.1');
    for (const end of [socket, upstream]) {
      sockets.add(end);
      end.on('close', () => sockets.delete(end));
      end.on('error', () => {
        socket.destroy();
        upstream.destroy();
      });
    }
    socket.pipe(upstream).pipe(socket);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (!address || typeof address === 'string') throw new Error('no port');
  return {
    port: address.port,
    appear(port) {
      target = port;
    },
    async [Symbol.asyncDispose]() {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

function upstreamState(hub: RunningHub, id: string) {
  return hub.server.upstreams().find((upstream) => upstream.id === id)?.state;
}

describe('a failing upstream behind the hub', () => {
  it('restarts a stdio upstream killed with SIGKILL mid-call: the call errors, later calls succeed', {
    timeout: 60_000,
  }, async () => {
    await using hub = await startHub({
      ev: { ...everythingStdioEntry(), timeoutMs: 20_000, maxConnections: 1 },
    });
    const client = await connect(hub);
    try {
      const progress: number[] = [];
      const call = client.callTool(
        'ev__trigger-long-running-operation',
        { duration: 30, steps: 60 },
        { onProgress: (value) => progress.push(value.progress) },
      );
      call.catch(() => {});
      await vi.waitFor(() => expect(progress.length).toBeGreaterThan(0), { timeout: 15_000 });
      const pids = childProcessIds('server-everything');
      expect(pids).toHaveLength(1);
      process.kill(pids[0] as number, 'SIGKILL');

      // The call fails as soon as the process is gone (not by its 20 s timeout).
      await expect(call).rejects.toMatchObject({
        code: jsonRpcCodeFor('UPSTREAM_UNAVAILABLE'),
        data: { fedmcpCode: 'UPSTREAM_UNAVAILABLE' },
      });
      await vi.waitFor(() => expect(upstreamState(hub, 'ev')).toBe('ready'), {
        timeout: 30_000,
        interval: 100,
      });
      const restarted = childProcessIds('server-everything');
      expect(restarted).toHaveLength(1);
      expect(restarted[0]).not.toBe(pids[0]);
      await vi.waitFor(
        async () =>
          expect((await client.callTool('ev__echo', { message: 'back' })).text).toBe('Echo: back'),
        { timeout: 15_000, interval: 200 },
      );
      expect((await client.callTool('ev__get-sum', { a: 40, b: 2 })).text).toContain('42');
    } finally {
      await client.close();
    }
  });

  it('ends a call to an upstream that never answers with a timeout error', {
    timeout: 30_000,
  }, async () => {
    await using hub = await startHub({ silent: { ...silentStdioEntry(), timeoutMs: 1_000 } });
    const client = await connect(hub);
    try {
      expect(await client.listToolNames()).toEqual(['silent__wait-forever']);
      await expect(client.callTool('silent__wait-forever', {})).rejects.toMatchObject({
        code: jsonRpcCodeFor('REQUEST_TIMEOUT'),
        data: { fedmcpCode: 'REQUEST_TIMEOUT' },
      });
      // The hub still serves after the timeout.
      expect(await client.listToolNames()).toEqual(['silent__wait-forever']);
    } finally {
      await client.close();
    }
  });

  it('starts with an upstream down, serves the others, and picks it up when it appears', {
    timeout: 90_000,
  }, async () => {
    await using lateAt = await laterUpstreamPort();
    await using hub = await startHub({
      ev: everythingStdioEntry(),
      late: { url: `http://127.0.0.1:${lateAt.port}/mcp` },
    });
    expect(upstreamState(hub, 'ev')).toBe('ready');
    expect(upstreamState(hub, 'late')).not.toBe('ready');
    const client = await connect(hub);
    let changes = 0;
    await client.watchToolsListChanged(() => {
      changes += 1;
    });
    try {
      const names = await client.listToolNames();
      expect(names).toContain('ev__echo');
      expect(names.some((name) => name.startsWith('late__'))).toBe(false);
      expect((await client.callTool('ev__echo', { message: 'still here' })).text).toBe(
        'Echo: still here',
      );

      await using late = await startEverythingHttp();
      lateAt.appear(late.port);
      await vi.waitFor(() => expect(upstreamState(hub, 'late')).toBe('ready'), {
        timeout: 60_000,
        interval: 200,
      });
      await vi.waitFor(() => expect(changes).toBeGreaterThan(0), { timeout: 10_000 });
      // The tools come with a tools list_changed once the pinning review of the new upstream's
      // list lands; another list_changed (the upstream's own) may arrive first on a busy machine.
      await vi.waitFor(async () => expect(await client.listToolNames()).toContain('late__echo'), {
        timeout: 30_000,
        interval: 200,
      });
      expect((await client.callTool('late__echo', { message: 'arrived' })).text).toBe(
        'Echo: arrived',
      );
    } finally {
      await client.close();
    }
  });
});

describe('a config the hub refuses', () => {
  it('refuses to start when two unprefixed upstreams expose the same tool, naming both', {
    timeout: 30_000,
  }, async () => {
    await using everything = await startEverythingHttp();
    await expect(
      startHub({
        first: { url: everything.url, prefix: false },
        second: { url: everything.url, prefix: false },
      }),
    ).rejects.toThrow(/"first" and "second" both expose the tool "echo"/);
  });
});
