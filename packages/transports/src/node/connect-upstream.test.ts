import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from '@modelcontextprotocol/client';
import { afterEach, describe, expect, it } from 'vitest';
import {
  descendantsOf,
  processesInGroups,
  tinyServerPath,
  waitUntilEmpty,
} from '../../test/upstream/fixtures/process-tree.js';
import type { UpstreamVerdict } from '../connect-upstream.js';
import type { UpstreamClient } from '../upstream-client.js';
import {
  connectUpstream,
  type UpstreamExitEvent,
  type UpstreamRestartEvent,
} from './connect-upstream.js';

const clients: UpstreamClient[] = [];
const directories: string[] = [];
afterEach(async () => {
  await Promise.allSettled(clients.splice(0).map((client) => client.close()));
  for (const directory of directories.splice(0))
    rmSync(directory, { recursive: true, force: true });
});

const tiny = (...args: string[]) => ({
  command: process.execPath,
  args: [tinyServerPath, ...args],
});
const fast = { initialDelayMs: 20, maxDelayMs: 100, jitter: 0 };
const textOf = (result: unknown) =>
  ((result as { content: Array<{ text: string }> }).content[0] ?? { text: '' }).text;

/** Resolves once `events` holds `count` entries (the deadline only bounds a hang). */
function waitFor<T>(events: T[], count: number, timeoutMs = 25_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  return new Promise((resolve, reject) => {
    const poll = () => {
      if (events.length >= count) resolve();
      else if (Date.now() > deadline)
        reject(new Error(`waited for ${count} events, got ${events.length}`));
      else setTimeout(poll, 10);
    };
    poll();
  });
}

describe('connectUpstream (node, stdio)', () => {
  it('returns a connected SDK v2 Client on the legacy era by default', async () => {
    const client = await connectUpstream(tiny());
    clients.push(client);
    expect(client).toBeInstanceOf(Client);
    expect(client.transportKind).toBe('stdio');
    expect(client.getProtocolEra()).toBe('legacy');
    expect(client.getServerVersion()).toEqual({ name: 'tiny', version: '1.0.0' });
    expect(textOf(await client.callTool({ name: 'echo', arguments: { text: 'hi' } }))).toBe('hi');
  });

  it('restarts a process that died, re-initializes the same client, and fails in-flight calls', async () => {
    const exits: UpstreamExitEvent[] = [];
    const restarts: UpstreamRestartEvent[] = [];
    const client = await connectUpstream(tiny(), {
      restart: fast,
      onExit: (event) => exits.push(event),
      onRestart: (event) => restarts.push(event),
    });
    clients.push(client);
    const firstPid = client.pid as number;
    const inFlight = client.callTool({ name: 'hang', arguments: {} });
    await client.ping();
    process.kill(firstPid, 'SIGKILL');
    await expect(inFlight).rejects.toThrow(/closed/i);
    await waitFor(restarts, 1);
    expect(exits[0]).toMatchObject({
      expected: false,
      signal: 'SIGKILL',
      willRestart: true,
      attempt: 1,
      delayMs: 20,
    });
    expect(restarts[0]).toMatchObject({ attempt: 1, restarts: 1 });
    expect(client.restarts).toBe(1);
    expect(client.pid).not.toBe(firstPid);
    expect(Number(textOf(await client.callTool({ name: 'pid', arguments: {} })))).toBe(client.pid);
  });

  it('keeps retrying with backoff while the restarted process fails to start', async () => {
    const directory = mkdtempSync(join(tmpdir(), 'fedmcp-restart-'));
    directories.push(directory);
    const starts = join(directory, 'starts');
    const exits: UpstreamExitEvent[] = [];
    const restarts: UpstreamRestartEvent[] = [];
    // Start 1 works; starts 2 and 3 exit at once; start 4 works again.
    const client = await connectUpstream(tiny(`--fail-starts=${starts}:2:3`), {
      restart: fast,
      onExit: (event) => exits.push(event),
      onRestart: (event) => restarts.push(event),
    });
    clients.push(client);
    process.kill(client.pid as number, 'SIGKILL');
    await waitFor(restarts, 1);
    expect(readFileSync(starts, 'utf8').split('\n').filter(Boolean)).toHaveLength(4);
    expect(restarts).toEqual([expect.objectContaining({ attempt: 3, restarts: 1 })]);
    expect(exits.map((exit) => [exit.willRestart, exit.attempt, exit.delayMs])).toEqual([
      [true, 1, 20],
      [true, 2, 40],
      [true, 3, 80],
    ]);
    await client.ping();
  });

  it('gives up after maxRestarts and then fails calls instead of hanging', async () => {
    const exits: UpstreamExitEvent[] = [];
    const client = await connectUpstream(tiny(), {
      restart: { ...fast, maxRestarts: 0 },
      onExit: (event) => exits.push(event),
    });
    clients.push(client);
    process.kill(client.pid as number, 'SIGKILL');
    await waitFor(exits, 1);
    expect(exits[0]).toMatchObject({ willRestart: false, expected: false });
    await expect(client.ping()).rejects.toThrow(/not connected/i);
  });

  it('does not restart when closed during the backoff', async () => {
    const exits: UpstreamExitEvent[] = [];
    const restarts: UpstreamRestartEvent[] = [];
    const client = await connectUpstream(tiny(), {
      restart: { initialDelayMs: 2_000, jitter: 0 },
      onExit: (event) => exits.push(event),
      onRestart: (event) => restarts.push(event),
    });
    const pid = client.pid as number;
    process.kill(pid, 'SIGKILL');
    await waitFor(exits, 1);
    await client.close();
    // Past the restart delay: a timer the close did not clear would have fired by now. (A
    // negative can only be shown by waiting; the delay is long enough that a loaded machine
    // still closes the client well before the restart would be due.)
    await new Promise((resolve) => setTimeout(resolve, 2_500));
    expect(restarts).toEqual([]);
    expect(client.pid).toBe(pid);
  });

  it('probes the era once for concurrent first connects with auto, then reuses the verdict', async () => {
    const verdictCache = new Map<string, UpstreamVerdict>();
    const connects = await Promise.all(
      [1, 2, 3].map(() =>
        connectUpstream(tiny(), { era: 'auto', verdictCache, probeTimeoutMs: 15_000 }),
      ),
    );
    clients.push(...connects);
    const [verdict] = [...verdictCache.values()];
    // The tiny server answers server/discover with -32601: a legacy server.
    expect(verdict).toEqual({ transport: 'stdio', prior: { kind: 'legacy' } });
    for (const client of connects) expect(client.getProtocolEra()).toBe('legacy');
  });

  it('falls back to legacy when the auto probe makes the server exit, and caches that', async () => {
    const verdictCache = new Map<string, UpstreamVerdict>();
    const spec = tiny('--exit-before-initialize');
    const client = await connectUpstream(spec, { era: 'auto', verdictCache });
    clients.push(client);
    expect(client.getProtocolEra()).toBe('legacy');
    expect(textOf(await client.callTool({ name: 'echo', arguments: { text: 'ok' } }))).toBe('ok');
    expect([...verdictCache.values()]).toEqual([{ transport: 'stdio', prior: { kind: 'legacy' } }]);
    // The verdict is used from now on: no probe, so no process killed by it.
    const again = await connectUpstream(spec, { era: 'auto', verdictCache });
    clients.push(again);
    expect(again.getProtocolEra()).toBe('legacy');
  });

  it('stops connecting when the signal aborts, and kills what it started', async () => {
    const controller = new AbortController();
    const connecting = connectUpstream(tiny('--mute', '--ignore-sigterm'), {
      era: 'legacy',
      signal: controller.signal,
      killGraceMs: 100,
    });
    // Hangs: the server never answers initialize. Abort it.
    setTimeout(() => controller.abort(), 200);
    const error = await connecting.catch((failure: unknown) => failure);
    expect(error).toMatchObject({ code: 'CANCELED' });
    expect(await waitUntilEmpty(() => descendantsOf(process.pid))).toEqual([]);
  });

  it('reports a missing command clearly', async () => {
    const error = await connectUpstream({ command: 'fedmcp-missing-server', args: [] }).catch(
      (failure: unknown) => failure,
    );
    expect(error).toMatchObject({ code: 'UPSTREAM_UNAVAILABLE' });
    expect((error as Error).message).toMatch(/"fedmcp-missing-server": command not found .*PATH/);
  });

  it('kills the process tree on close', async () => {
    const client = await connectUpstream(tiny('--grandchild'));
    const pid = client.pid as number;
    await waitUntilEmpty(() => (processesInGroups([pid]).length >= 2 ? [] : [0]));
    await client.close();
    expect(await waitUntilEmpty(() => processesInGroups([pid]))).toEqual([]);
  });
});
