import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  createAuditLog,
  createStreamAuditSink,
  generateApiKey,
  hashApiKey,
} from '@fedmcp/proxy-auth';
import { createFedmcpServer, loadConfig, parseConfig } from '@fedmcp/server';
import { createStore } from '@fedmcp/store/node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { captureIo } from '../../test/capture-io.js';
import { runCli } from '../run-cli.js';
import { logsCommand } from './logs.js';

const repositoryRoot = fileURLToPath(new URL('../../../../', import.meta.url));
const everything = join(
  repositoryRoot,
  'node_modules/@modelcontextprotocol/server-everything/dist/index.js',
);

describe('fedmcp logs and audit tail', () => {
  let directory: string;
  let configFile: string;
  beforeAll(async () => {
    directory = await mkdtemp(join(tmpdir(), 'fedmcp-logs-'));
    configFile = join(directory, 'fedmcp.config.json');
    // An absolute data directory: the hub, `logs` and `audit tail` must all use it as it is.
    await writeFile(
      configFile,
      JSON.stringify({
        hub: { port: 0, dataDir: join(directory, 'state') },
        mcpServers: { ev: { command: process.execPath, args: [everything, 'stdio'] } },
      }),
    );
  });
  afterAll(async () => {
    await rm(directory, { recursive: true, force: true });
  });

  it("prints the calls of the hub, filtered by upstream, and a peer call's delegation chain", async () => {
    {
      await using server = await createFedmcpServer({ config: await loadConfig(configFile) });
      const { url } = await server.listen();
      const called = captureIo();
      const args = ['call', 'ev__echo', '--args', '{"message":"logged"}', '--url', `${url}/mcp`];
      expect(await runCli(args, called.io)).toBe(0);
      // A call that came through peer hubs b then a, as the hub of c records it.
      await server.audit.record({
        type: 'call',
        outcome: 'success',
        principal: { subject: 'alice', authMethod: 'peer', via: ['b', 'a'] },
        action: 'tools/call',
        target: 'ev__add',
        upstream: 'ev',
        latencyMs: 3,
      });
      await server.audit.record({ type: 'auth', outcome: 'success', action: 'POST /mcp' });
    }
    const logs = captureIo();
    expect(await runCli(['logs', '--config', configFile], logs.io)).toBe(0);
    expect(logs.out.stdout).toMatch(/call\s+success\s+.*tools\/call\s+ev__echo\s+upstream=ev/);
    expect(logs.out.stdout).toMatch(/alice \(peer\) via b, a\s+tools\/call\s+ev__add/);
    expect(logs.out.stdout).not.toMatch(/\sauth\s/);

    const other = captureIo();
    expect(await runCli(['logs', '--upstream', 'github', '--config', configFile], other.io)).toBe(
      0,
    );
    expect(other.out.stdout).toBe('');
    const typo = captureIo();
    expect(await runCli(['logs', '--upstream', 'e', '--config', configFile], typo.io)).toBe(0);
    expect(typo.out.stderr).toContain('the config has no upstream "e" (did you mean "ev"?)');

    const tail = captureIo();
    expect(await runCli(['audit', 'tail', '--config', configFile], tail.io)).toBe(0);
    expect(tail.out.stdout).toContain('alice (peer) via b, a');
    expect(tail.out.stdout).toMatch(/auth\s+success/);
  }, 60_000);

  it('follows new calls of one upstream', async () => {
    // --lines 1: a call recorded before the first read is printed by it, a later one followed.
    const follow = captureIo();
    let stop: () => void = () => {};
    const stopSignal = new Promise<void>((resolve) => {
      stop = resolve;
    });
    const following = logsCommand(
      ['--follow', '--lines', '1', '--upstream', 'ev', '--config', configFile],
      follow.io,
      { stopSignal, pollIntervalMs: 50 },
    );
    const config = await loadConfig(configFile);
    const store = await createStore(`sqlite:${join(config.hub.dataDir, 'state.db')}`);
    try {
      const audit = createAuditLog({ sinks: [createStreamAuditSink(store.streams)] });
      await audit.record({ type: 'call', outcome: 'error', target: 'other__x', upstream: 'other' });
      await audit.record({ type: 'call', outcome: 'error', target: 'ev__boom', upstream: 'ev' });
      while (!follow.out.stdout.includes('ev__boom')) {
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    } finally {
      stop();
      await following;
      await store.close();
    }
    expect(follow.out.stdout).not.toContain('other__x');
  }, 30_000);
});

describe('fedmcp logs --url (the admin API)', () => {
  it('prints the last calls and follows the live call log with an admin key; names the scope otherwise', async () => {
    const adminKey = generateApiKey();
    const userKey = generateApiKey();
    await using server = await createFedmcpServer({
      config: parseConfig(
        {
          store: 'memory:',
          hub: { port: 0 },
          auth: {
            apiKeys: [
              { hash: await hashApiKey(adminKey), subject: 'ops', scopes: ['admin'] },
              { hash: await hashApiKey(userKey), subject: 'alice' },
            ],
          },
          mcpServers: { ev: { command: process.execPath, args: [everything, 'stdio'] } },
        },
        'inline',
      ),
    });
    const { url } = await server.listen();
    const mcp = `${url}/mcp`;
    const call = (message: string) =>
      runCli(
        [
          'call',
          'ev__echo',
          '--args',
          JSON.stringify({ message }),
          '--url',
          mcp,
          '--token',
          userKey,
        ],
        captureIo().io,
      );
    expect(await call('first')).toBe(0);

    const last = captureIo();
    expect(await runCli(['logs', '--url', mcp, '--token', adminKey], last.io)).toBe(0);
    expect(last.out.stdout).toMatch(/call\s+success\s+alice \(api-key\)\s+tools\/call\s+ev__echo/);

    const refused = captureIo();
    expect(await runCli(['logs', '--url', mcp, '--token', userKey], refused.io)).toBe(1);
    expect(refused.out.stderr).toContain('answered HTTP 403');
    expect(refused.out.stderr).toContain('"admin" scope');

    // --follow: the stream opens with the recent calls, then each new one.
    const follow = captureIo();
    let stop: () => void = () => {};
    const stopSignal = new Promise<void>((resolve) => {
      stop = resolve;
    });
    const following = logsCommand(
      ['--url', mcp, '--token', adminKey, '--follow', '--json', '--upstream', 'ev'],
      follow.io,
      { stopSignal },
    );
    const printed = () => follow.out.stdout.trim().split('\n').filter(Boolean).length;
    while (printed() < 1) await new Promise((resolve) => setTimeout(resolve, 50));
    expect(await call('second')).toBe(0);
    while (printed() < 2) await new Promise((resolve) => setTimeout(resolve, 50));
    stop();
    expect(await following).toBe(0);
    const events = follow.out.stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line));
    expect(events.map((event: { target: string }) => event.target)).toEqual([
      'ev__echo',
      'ev__echo',
    ]);
  }, 60_000);
});
