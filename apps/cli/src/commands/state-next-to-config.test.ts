/**
 * Issue 17's done-when: Claude Desktop's config works with the hub started in `/` as a non-root
 * user, and `keys show --config` from any folder prints the running hub's fingerprint.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { chmod, chown, mkdtemp, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Client } from '@modelcontextprotocol/client';
import { StdioClientTransport } from '@modelcontextprotocol/client/stdio';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { captureIo } from '../../test/capture-io.js';
import { runCli } from '../run-cli.js';

const repositoryRoot = fileURLToPath(new URL('../../../../', import.meta.url));
const bin = join(repositoryRoot, 'apps/cli/src/bin.ts');
const everything = join(
  repositoryRoot,
  'node_modules/@modelcontextprotocol/server-everything/dist/index.js',
);
const tsx = pathToFileURL(join(repositoryRoot, 'node_modules/tsx/dist/esm/index.mjs')).href;
const fedmcp = [process.execPath, '--conditions=@fedmcp/source', '--import', tsx, bin];

// As root, the hub runs as `nobody` (what a desktop app's user is to the hub: not root, no
// write access to `/`); as any other user, it already runs as a non-root user.
const nobody = 65534;
const asRoot = process.getuid?.() === 0;
const asUser = (command: string[]) =>
  asRoot
    ? ['setpriv', `--reuid=${nobody}`, `--regid=${nobody}`, '--clear-groups', ...command]
    : command;
if (!asRoot) console.info('not root: the hub runs as this (non-root) user instead of nobody');

describe('state next to the config (Claude Desktop starts the hub in /)', () => {
  let directory: string;
  let configFile: string;
  const children: ChildProcess[] = [];

  beforeAll(async () => {
    directory = await mkdtemp(join(tmpdir(), 'fedmcp-claude-'));
    configFile = join(directory, 'fedmcp.config.json');
    // The README's Claude Desktop shape: an mcpServers entry, nothing else.
    await writeFile(
      configFile,
      JSON.stringify({
        mcpServers: { everything: { command: process.execPath, args: [everything, 'stdio'] } },
      }),
    );
    if (asRoot) {
      await chown(directory, nobody, nobody);
      await chown(configFile, nobody, nobody);
    }
    await chmod(directory, 0o700);
  });
  afterAll(async () => {
    for (const child of children) {
      if (child.exitCode === null) {
        child.kill('SIGTERM');
        await new Promise((resolve) => child.once('exit', resolve));
      }
    }
    await rm(directory, { recursive: true, force: true });
  });

  it('serves over stdio from cwd / as a non-root user, keeping its state 0600 next to the config', async () => {
    const [command, ...args] = asUser([...fedmcp, 'serve', '--stdio', '--config', configFile]);
    const transport = new StdioClientTransport({
      command: command as string,
      args,
      cwd: '/',
      stderr: 'pipe',
    });
    let stderr = '';
    transport.stderr?.on('data', (chunk) => {
      stderr += chunk;
    });
    const client = new Client({ name: 'claude-desktop-like', version: '1.0.0' });
    try {
      await client.connect(transport);
      const { tools } = await client.listTools();
      expect(tools.map((tool) => tool.name)).toContain('everything__echo');
      const result = await client.callTool({
        name: 'everything__echo',
        arguments: { message: 'from /' },
      });
      expect(JSON.stringify(result.content)).toContain('Echo: from /');
    } finally {
      await client.close();
    }
    expect(stderr).not.toContain('EACCES');
    const state = join(directory, '.fedmcp');
    const files = await readdir(state);
    expect(files).toEqual(expect.arrayContaining(['state.db', 'hub-keys.json']));
    for (const file of files.filter((name) => name.startsWith('state.db'))) {
      expect({ file, mode: (await stat(join(state, file))).mode & 0o777 }).toEqual({
        file,
        mode: 0o600,
      });
    }
    if (asRoot) expect((await stat(join(state, 'state.db'))).uid).toBe(nobody);
  }, 90_000);

  it('prints with keys show --config, from another folder, the fingerprint the running hub serves', async () => {
    const [command, ...args] = asUser([...fedmcp, 'serve', '--port', '0', '--config', configFile]);
    const child = spawn(command as string, args, {
      cwd: '/',
      env: { ...process.env, FORCE_COLOR: '0' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    children.push(child);
    let stdout = '';
    const url = await new Promise<string>((resolve, reject) => {
      child.stdout?.on('data', (chunk) => {
        stdout += chunk;
        const match = /serving at (http:\/\/[^\s]+)/.exec(stdout);
        if (match) resolve(match[1] as string);
      });
      child.once('exit', (code) => reject(new Error(`fedmcp serve exited ${code}: ${stdout}`)));
    });
    const jwks = (await (await fetch(`${url}/.well-known/jwks.json`)).json()) as {
      keys: Array<{ kid: string }>;
    };

    // The test process's working directory is the repository, not the config's folder.
    expect(process.cwd()).not.toBe(directory);
    const { out, io } = captureIo();
    expect(await runCli(['keys', 'show', '--config', configFile], io)).toBe(0);
    expect(out.stdout).not.toContain('Created a new hub key');
    const fingerprint = /Hub key fingerprint: SHA256:(\S+)/.exec(out.stdout)?.[1];
    expect(jwks.keys.map((key) => key.kid)).toContain(fingerprint);
    expect(out.stdout).toContain(`Keys file: ${join(directory, '.fedmcp', 'hub-keys.json')}`);
  }, 90_000);
});
