import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '@fedmcp/server';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runCli } from '../run-cli.js';

describe('fedmcp init', () => {
  let directory: string;
  const out = { stdout: '', stderr: '' };
  const io = {
    stdout: (text: string) => {
      out.stdout += text;
    },
    stderr: (text: string) => {
      out.stderr += text;
    },
  };
  beforeEach(async () => {
    directory = await mkdtemp(join(tmpdir(), 'fedmcp-init-'));
    out.stdout = '';
    out.stderr = '';
  });
  afterEach(async () => {
    await rm(directory, { recursive: true, force: true });
  });

  it('writes a commented starter that the hub loads, readable only by its owner', async () => {
    const file = join(directory, 'fedmcp.config.json');
    expect(await runCli(['init', '--config', file], io)).toBe(0);
    expect(await readFile(file, 'utf8')).toContain('// Upstream MCP servers');
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    const config = await loadConfig(file, { env: {} });
    expect(config.hub.port).toBe(3333);
    expect(config.mcpServers).toEqual({});
  });

  it('refuses to overwrite an existing file without --force', async () => {
    const file = join(directory, 'fedmcp.config.json');
    await runCli(['init', '--config', file], io);
    expect(await runCli(['init', '--config', file], io)).toBe(1);
    expect(out.stderr).toContain('already exists. Use --force');
    expect(await runCli(['init', '--config', file, '--force'], io)).toBe(0);
  });
});
