import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createFedmcpServer, parseConfig } from '@fedmcp/server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { captureIo } from '../../test/capture-io.js';
import { runCli } from '../run-cli.js';

const repositoryRoot = fileURLToPath(new URL('../../../../', import.meta.url));
const everything = join(
  repositoryRoot,
  'node_modules/@modelcontextprotocol/server-everything/dist/index.js',
);

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

  it('lists the namespaced tools of a config, one shot', async () => {
    const { out, io } = captureIo();
    expect(await runCli(['tools', 'list', '--config', config], io)).toBe(0);
    expect(out.stdout).toMatch(/^everything__echo\s+Echo Tool$/m);
  }, 30_000);

  it('calls a tool of a config and prints the result as JSON', async () => {
    const { out, io } = captureIo();
    const code = await runCli(
      ['call', 'everything__get-sum', '--args', '{"a":20,"b":22}', '--config', config],
      io,
    );
    expect(code).toBe(0);
    expect(JSON.parse(out.stdout).content[0].text).toContain('42');
  }, 30_000);

  it('works against a running hub by URL', async () => {
    await using server = await createFedmcpServer({
      config: parseConfig(
        {
          store: 'memory:',
          hub: { port: 0 },
          mcpServers: { ev: { command: process.execPath, args: [everything, 'stdio'] } },
        },
        'inline',
      ),
    });
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
    expect(await runCli(['call', 'everything__nope', '--config', config], io)).toBe(1);
    expect(out.stderr + out.stdout).toMatch(/nope/);
  }, 30_000);
});
