import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { type AddressInfo, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createFedmcpServer, parseConfig } from '@fedmcp/server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { captureIo } from '../../test/capture-io.js';
import { runCli } from '../run-cli.js';

const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

const repositoryRoot = fileURLToPath(new URL('../../../../', import.meta.url));
const everything = join(
  repositoryRoot,
  'node_modules/@modelcontextprotocol/server-everything/dist/index.js',
);

/** A hub on any free port with server-everything as upstream "ev", state in memory. */
const everythingHub = () =>
  createFedmcpServer({
    config: parseConfig(
      {
        store: 'memory:',
        hub: { port: 0 },
        mcpServers: { ev: { command: process.execPath, args: [everything, 'stdio'] } },
      },
      'inline',
    ),
  });

describe('fedmcp tools list / fedmcp call', () => {
  let directory: string;
  let config: string;
  beforeAll(async () => {
    directory = await mkdtemp(join(tmpdir(), 'fedmcp-oneshot-'));
    config = join(directory, 'fedmcp.config.json');
    await writeFile(
      config,
      JSON.stringify({
        mcpServers: { everything: { command: process.execPath, args: [everything, 'stdio'] } },
      }),
    );
  });
  afterAll(async () => {
    await rm(directory, { recursive: true, force: true });
  });

  it('lists the namespaced tools of a config, one shot, with --offline', async () => {
    const { out, io } = captureIo();
    expect(await runCli(['tools', 'list', '--offline', '--config', config], io)).toBe(0);
    expect(out.stdout).toMatch(/^everything__echo\s+Echo Tool$/m);
  }, 30_000);

  it('calls a tool of a config and prints the result as JSON', async () => {
    const { out, io } = captureIo();
    const code = await runCli(
      ['call', 'everything__get-sum', '--args', '{"a":20,"b":22}', '--offline', '--config', config],
      io,
    );
    expect(code).toBe(0);
    expect(JSON.parse(out.stdout).content[0].text).toContain('42');
  }, 30_000);

  it('works against a running hub by URL', async () => {
    await using server = await everythingHub();
    const { url } = await server.listen();
    const listed = captureIo();
    expect(await runCli(['tools', 'list', '--json', '--url', `${url}/mcp`], listed.io)).toBe(0);
    expect(JSON.parse(listed.out.stdout).map((tool: { name: string }) => tool.name)).toContain(
      'ev__echo',
    );
    const called = captureIo();
    expect(
      await runCli(
        ['call', 'ev__echo', '--args', '{"message":"over http"}', '--url', `${url}/mcp`],
        called.io,
      ),
    ).toBe(0);
    expect(called.out.stdout).toContain('Echo: over http');
  }, 30_000);

  it('explains bad arguments instead of calling', async () => {
    const notJson = captureIo();
    expect(await runCli(['call', 'x', '--args', '{nope', '--config', config], notJson.io)).toBe(2);
    expect(notJson.out.stderr).toContain('--args is not valid JSON');
    const noName = captureIo();
    expect(await runCli(['call'], noName.io)).toBe(2);
    expect(noName.out.stderr).toContain('name the tool to call');
  });

  it('reports an unknown tool as an error with a non-zero exit', async () => {
    const { out, io } = captureIo();
    expect(await runCli(['call', 'everything__nope', '--offline', '--config', config], io)).toBe(1);
    expect(out.stderr + out.stdout).toMatch(/nope/);
  }, 30_000);

  it("asks the hub running on the config's port instead of starting the upstreams again", async () => {
    // The running hub has an upstream "ev"; the config file names none, so every answer that
    // shows "ev" came from the running hub, not from a copy started by the command.
    await using server = await everythingHub();
    const { url } = await server.listen();
    const file = join(directory, 'running.config.json');
    await writeFile(
      file,
      JSON.stringify({ store: 'memory:', hub: { port: Number(new URL(url).port) } }),
    );

    const listed = captureIo();
    expect(await runCli(['tools', 'list', '--config', file], listed.io)).toBe(0);
    expect(listed.out.stdout).toMatch(/^ev__echo\s/m);
    const called = captureIo();
    const code = await runCli(
      ['call', 'ev__echo', '--args', '{"message":"hi"}', '--config', file],
      called.io,
    );
    expect(code).toBe(0);
    expect(called.out.stdout).toContain('Echo: hi');
    const status = captureIo();
    expect(await runCli(['status', '--config', file], status.io)).toBe(0);
    expect(status.out.stdout).toContain(`hub ${server.hubId}`);
    expect(status.out.stdout).toMatch(/ {2}ev\s+\w+\s+ready\s+\d+ tools/);

    const offline = captureIo();
    expect(await runCli(['tools', 'list', '--offline', '--config', file], offline.io)).toBe(0);
    // The config's own hub, started in process, has none of the running hub's upstreams.
    expect(offline.out.stdout).not.toMatch(/^ev__/m);
  }, 60_000);

  it('says how to go on when no hub answers on the configured port', async () => {
    const closed = await new Promise<number>((resolve) => {
      const probe = createServer().listen(0, '127.0.0.1', () => {
        const { port } = probe.address() as AddressInfo;
        probe.close(() => resolve(port));
      });
    });
    const file = join(directory, 'stopped.config.json');
    await writeFile(file, JSON.stringify({ hub: { port: closed } }));
    for (const args of [['tools', 'list'], ['call', 'ev__echo'], ['status']]) {
      const { out, io } = captureIo();
      expect(await runCli([...args, '--config', file], io)).toBe(1);
      expect(out.stderr).toContain(`no fedmcp hub answers at http://127.0.0.1:${closed}`);
      expect(out.stderr).toContain('--offline');
    }
  });

  it('shows the progress of a long call as plain lines when stderr is not a terminal', async () => {
    const { out, io } = captureIo();
    const code = await runCli(
      [
        'call',
        'everything__trigger-long-running-operation',
        '--args',
        '{"duration":0.3,"steps":3}',
        '--offline',
        '--config',
        config,
      ],
      io,
    );
    expect(code).toBe(0);
    expect(out.stderr).toContain('everything__trigger-long-running-operation: progress 1/3 (33%)');
    expect(out.stderr).toContain('progress 3/3 (100%)');
    expect(JSON.parse(out.stdout).content[0].text).toContain('Long running operation completed');
  }, 30_000);

  it('draws a spinner with the progress on a terminal and clears it at the end', async () => {
    const { out, io } = captureIo();
    const terminal = { ...io, stderrIsTty: true };
    const code = await runCli(
      [
        'call',
        'everything__trigger-long-running-operation',
        '--args',
        '{"duration":0.2,"steps":2}',
        '--offline',
        '--config',
        config,
      ],
      terminal,
    );
    expect(code).toBe(0);
    const clearLine = '\r\u001b[2K';
    expect(out.stderr).toMatch(
      new RegExp(
        `${escapeRegExp(clearLine)}[⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏] everything__trigger-long-running-operation: 2/2 \\(100%\\)`,
      ),
    );
    expect(out.stderr.endsWith(clearLine)).toBe(true);
  }, 30_000);

  it('suggests the closest tool name for an unknown tool', async () => {
    const { out, io } = captureIo();
    expect(await runCli(['call', 'everything__ecoh', '--offline', '--config', config], io)).toBe(1);
    expect(out.stderr).toContain('Did you mean "everything__echo"?');
  }, 30_000);
});
