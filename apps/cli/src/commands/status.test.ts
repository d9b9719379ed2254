import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { HubStatus } from '@fedmcp/federation';
import { generateApiKey, hashApiKey } from '@fedmcp/proxy-auth';
import {
  createFedmcpServer,
  type FedmcpConfigInput,
  type FedmcpServer,
  parseConfig,
} from '@fedmcp/server';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { captureIo } from '../../test/capture-io.js';
import { runCli } from '../run-cli.js';
import { statusCommand } from './status.js';

const exportTo = (peer: string) => ({
  rules: [
    { id: `to-${peer}`, effect: 'allow' as const, subjects: [`via:${peer}`], actions: ['*'] },
  ],
});

let directory: string;
const servers: FedmcpServer[] = [];
let aUrl: string;
let apiKey: string;
let aConfig: FedmcpConfigInput;

async function start(id: string, input: FedmcpConfigInput): Promise<string> {
  const server = await createFedmcpServer({
    // Exact tool counts: the built-in runtime upstream is left out.
    config: parseConfig({ ...input, store: 'memory:', runtime: false }, id),
    baseDirectory: join(directory, id),
  });
  servers.push(server);
  return (await server.listen()).url.replace(/\/mcp$/, '');
}

/** A chain A → B → C; B also fronts a server that cannot start. */
beforeAll(async () => {
  directory = await mkdtemp(join(tmpdir(), 'fedmcp-cli-status-'));
  apiKey = generateApiKey();
  const hub = (id: string) => ({ id, host: '127.0.0.1', port: 0 });
  // Each hub must know the next one's URL before it starts: reserve them in order C, B, A.
  const cUrl = await start('c', { hub: hub('c'), policy: exportTo('b') });
  const cServer = servers[0] as FedmcpServer;
  const bUrl = await start('b', {
    hub: hub('b'),
    policy: exportTo('a'),
    mcpServers: { broken: { command: join(directory, 'no-such-server') } },
  });
  const bServer = servers[1] as FedmcpServer;
  aConfig = {
    hub: hub('a'),
    auth: { apiKeys: [{ hash: await hashApiKey(apiKey), subject: 'alice' }] },
  };
  aUrl = await start('a', aConfig);
  const aServer = servers[2] as FedmcpServer;
  // Trust first (each hub takes the tokens of the hub before it), then import.
  await cServer.applyConfig(
    parseConfig(
      {
        hub: hub('c'),
        policy: exportTo('b'),
        store: 'memory:',
        peers: { b: { url: bUrl, import: false } },
      },
      'c',
    ),
  );
  await bServer.applyConfig(
    parseConfig(
      {
        hub: hub('b'),
        policy: exportTo('a'),
        store: 'memory:',
        mcpServers: { broken: { command: join(directory, 'no-such-server') } },
        peers: { a: { url: aUrl, import: false }, c: { url: cUrl } },
      },
      'b',
    ),
  );
  aConfig = { ...aConfig, peers: { b: { url: bUrl } } };
  await aServer.applyConfig(parseConfig({ ...aConfig, store: 'memory:' }, 'a'));
}, 60_000);

afterAll(async () => {
  for (const server of servers.reverse()) await server.close();
  await rm(directory, { recursive: true, force: true });
});

describe('fedmcp status', () => {
  it('--url --token prints the hub’s upstreams and each peer’s upstreams indented under it', async () => {
    const run = captureIo();
    await vi.waitFor(
      async () => {
        run.out.stdout = '';
        expect(await runCli(['status', '--url', `${aUrl}/mcp`, '--token', apiKey], run.io)).toBe(0);
        expect(run.out.stdout).toContain('c                peer   ready');
      },
      { timeout: 10_000, interval: 100 },
    );
    const lines = run.out.stdout.trimEnd().split('\n');
    expect(lines[0]).toBe('hub a (fedmcp 0.1.0): ready');
    expect(lines[1]).toMatch(/^ {2}b {16}peer {3}ready {6}\d+ tools?$/);
    expect(lines[2]).toBe('      hub b (fedmcp 0.1.0): degraded');
    expect(lines[3]).toMatch(/^ {8}broken {11}server down {7}0 tools {2}\(Cannot start .+…\)$/);
    expect(lines[4]).toMatch(/^ {8}c {16}peer {3}ready {6}0 tools$/);
    expect(lines).toHaveLength(5);
    expect(run.out.stdout).not.toContain(apiKey);
  });

  it('--json prints the status document; --depth 2 adds the peers’ peers', async () => {
    const run = captureIo();
    expect(
      await statusCommand(['--url', aUrl, '--token', apiKey, '--json', '--depth', '2'], run.io),
    ).toBe(0);
    const status = JSON.parse(run.out.stdout) as HubStatus;
    const atB = status.upstreams[0]?.peer;
    expect(atB?.reachable).toBe(true);
    const atC =
      atB?.reachable === true
        ? atB.status.upstreams.find((upstream) => upstream.id === 'c')?.peer
        : undefined;
    expect(atC).toEqual({
      reachable: true,
      status: {
        hub: { id: 'c', name: 'fedmcp', version: '0.1.0' },
        status: 'ready',
        upstreams: [],
      },
    });
  });

  it('--config --offline runs the hub in process and asks its peers with the hub’s own keys', async () => {
    // The config file sits in hub a's folder: its state (the keys) is found next to it.
    const file = join(directory, 'a', 'fedmcp.config.json');
    await mkdir(join(directory, 'a'), { recursive: true });
    await writeFile(file, JSON.stringify(aConfig));
    const run = captureIo();
    expect(await statusCommand(['--offline', '--config', file], run.io)).toBe(0);
    expect(run.out.stdout).toContain('hub a (fedmcp 0.1.0): ready');
    expect(run.out.stdout).toContain('      hub b (fedmcp 0.1.0): degraded');
  });

  it('exits 1 with the HTTP status when the hub refuses, 2 on a usage mistake', async () => {
    const refused = captureIo();
    expect(await statusCommand(['--url', aUrl], refused.io)).toBe(1);
    expect(refused.out.stderr).toContain(`${aUrl}/status answered HTTP 401`);
    expect(refused.out.stderr).toContain('give --token KEY');
    const usage = captureIo();
    expect(await statusCommand(['--offline', '--token', 'abcd1234'], usage.io)).toBe(2);
    expect(usage.out.stderr).toContain('an --offline hub runs in this process');
    const depth = captureIo();
    expect(await statusCommand(['--url', aUrl, '--depth', 'deep'], depth.io)).toBe(2);
  });
});
