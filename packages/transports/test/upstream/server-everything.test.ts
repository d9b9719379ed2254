// connectUpstream against the reference upstream, @modelcontextprotocol/server-everything
// (a root devDependency): over stdio, over its Streamable HTTP mode and over its legacy SSE mode
// (both held to 127.0.0.1 by a listen() preload; notes/conformance.md §3, §5).
import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { freePort } from '@fedmcp/test-support';
import { describe, expect, it } from 'vitest';
import type { UpstreamVerdict } from '../../src/connect-upstream.js';
import { connectUpstream } from '../../src/node/connect-upstream.js';
import type { UpstreamClient } from '../../src/upstream-client.js';
import { processesInGroups, waitUntilEmpty } from './fixtures/process-tree.js';

const require = createRequire(import.meta.url);
const everything = require.resolve('@modelcontextprotocol/server-everything/dist/index.js', {
  paths: [fileURLToPath(new URL('../../../../', import.meta.url))],
});
const forceLoopback = fileURLToPath(new URL('./fixtures/force-loopback.cjs', import.meta.url));
const textOf = (result: unknown) =>
  ((result as { content: Array<{ text: string }> }).content[0] ?? { text: '' }).text;

/** Declares sampling and roots, and answers them, as the hub does. */
const interactive = {
  capabilities: { sampling: {}, roots: { listChanged: true } },
  onClientCreated: (client: UpstreamClient) => {
    client.setRequestHandler('sampling/createMessage', async () => ({
      model: 'test-model',
      role: 'assistant' as const,
      content: { type: 'text' as const, text: 'sampled by the test' },
    }));
    client.setRequestHandler('roots/list', async () => ({ roots: [] }));
  },
};

async function exercise(client: UpstreamClient): Promise<void> {
  const { tools } = await client.listTools();
  const names = tools.map((tool) => tool.name);
  expect(names).toEqual(expect.arrayContaining(['echo', 'get-sum', 'trigger-sampling-request']));
  expect(textOf(await client.callTool({ name: 'echo', arguments: { message: 'hello' } }))).toBe(
    'Echo: hello',
  );
  const progress: number[] = [];
  await client.callTool(
    { name: 'trigger-long-running-operation', arguments: { duration: 0.3, steps: 3 } },
    { onprogress: ({ progress: value }) => progress.push(value) },
  );
  expect(progress.length).toBeGreaterThanOrEqual(2);
  const sampled = await client.callTool({
    name: 'trigger-sampling-request',
    arguments: { prompt: 'hi', maxTokens: 10 },
  });
  expect(JSON.stringify(sampled)).toContain('sampled by the test');
}

/** The local addresses (hex, as in /proc/net/tcp*) listening on `port`. */
function listeners(port: number): string[] {
  const hexPort = port.toString(16).toUpperCase().padStart(4, '0');
  return ['/proc/net/tcp', '/proc/net/tcp6'].flatMap((file) =>
    readFileSync(file, 'utf8')
      .split('\n')
      .slice(1)
      .map((line) => line.trim().split(/\s+/))
      .filter((fields) => fields[3] === '0A' && fields[1]?.endsWith(`:${hexPort}`))
      .map((fields) => (fields[1] ?? '').split(':')[0] ?? ''),
  );
}

/** Starts server-everything in an HTTP mode on 127.0.0.1; resolves once it listens. */
async function startEverything(
  mode: 'streamableHttp' | 'sse',
): Promise<AsyncDisposable & { port: number; child: ChildProcess }> {
  const port = await freePort();
  const child = spawn(process.execPath, ['--require', forceLoopback, everything, mode], {
    // A minimal environment: its get-env tool would print ours.
    env: { PATH: process.env.PATH ?? '', PORT: String(port), GZIP_ALLOWED_DOMAINS: 'invalid' },
    stdio: ['ignore', 'ignore', 'pipe'],
    detached: true,
  });
  await new Promise<void>((resolve, reject) => {
    let output = '';
    child.stderr?.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      if (new RegExp(`(listening on|running on) port ${port}`).test(output)) resolve();
    });
    child.once('exit', (code) =>
      reject(new Error(`server-everything exited (${code}): ${output}`)),
    );
  });
  // Held to loopback by the preload (it would listen on all interfaces).
  expect(listeners(port)).toEqual(['0100007F']);
  return {
    port,
    child,
    async [Symbol.asyncDispose]() {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      if (child.exitCode === null) process.kill(-(child.pid as number), 'SIGKILL');
      await exited;
    },
  };
}

describe('connectUpstream → server-everything', () => {
  it('over stdio, with sampling and progress, and leaves no process behind', async () => {
    const client = await connectUpstream(
      { command: process.execPath, args: [everything, 'stdio'] },
      interactive,
    );
    const pid = client.pid as number;
    expect(client.getServerVersion()?.name).toBe('mcp-servers/everything');
    await exercise(client);
    await client.close();
    expect(await waitUntilEmpty(() => processesInGroups([pid]))).toEqual([]);
  }, 60_000);

  it('over Streamable HTTP with era auto (a 2025-era server), caching the verdict', async () => {
    await using server = await startEverything('streamableHttp');
    const verdictCache = new Map<string, UpstreamVerdict>();
    const url = `http://127.0.0.1:${server.port}/mcp`;
    const client = await connectUpstream({ url }, { ...interactive, verdictCache });
    expect(client.transportKind).toBe('streamable-http');
    expect(client.getProtocolEra()).toBe('legacy');
    await exercise(client);
    await client.close();
    expect(verdictCache.get(`remote:${url}`)).toEqual({
      transport: 'streamable-http',
      prior: { kind: 'legacy' },
    });
  }, 60_000);

  it('over its legacy SSE mode, found by the fallback', async () => {
    await using server = await startEverything('sse');
    const client = await connectUpstream(
      { url: `http://127.0.0.1:${server.port}/sse` },
      interactive,
    );
    expect(client.transportKind).toBe('sse');
    expect(textOf(await client.callTool({ name: 'echo', arguments: { message: 'old' } }))).toBe(
      'Echo: old',
    );
    await client.close();
  }, 60_000);
});
