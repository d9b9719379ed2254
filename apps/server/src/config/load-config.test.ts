import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ConfigError } from './config-error.js';
import { upstreamIdFromName } from './config-schema.js';
import { loadConfig, parseConfig } from './load-config.js';

function issuesOf(run: () => unknown): string[] {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as ConfigError).issues.map((issue) => `${issue.path}: ${issue.message}`);
  }
  throw new Error('expected a ConfigError');
}

describe('parseConfig', () => {
  it('takes a Claude Desktop config unchanged and applies the hub defaults', () => {
    const config = parseConfig(
      {
        mcpServers: {
          filesystem: {
            command: 'npx',
            args: ['-y', '@modelcontextprotocol/server-filesystem', '/tmp'],
            env: { DEBUG: '1' },
          },
          remote: { url: 'https://mcp.example.com/mcp', type: 'http', headers: { 'X-Team': 'a' } },
        },
      },
      'fedmcp.config.json',
      { env: {} },
    );
    expect(config.hub).toMatchObject({ host: '127.0.0.1', port: 3333, dataDir: './.fedmcp' });
    expect(config.mcpServers.filesystem).toMatchObject({ command: 'npx', env: { DEBUG: '1' } });
    expect(config.mcpServers.remote).toMatchObject({ url: 'https://mcp.example.com/mcp' });
  });

  it('interpolates ${ENV} references and defaults', () => {
    const config = parseConfig(
      {
        mcpServers: {
          github: {
            url: 'https://api.example.com/mcp',
            headers: { Authorization: 'Bearer ${GITHUB_TOKEN}', Region: '${REGION:-eu}' },
          },
        },
      },
      'f.json',
      { env: { GITHUB_TOKEN: 's3cret' } },
    );
    expect(config.mcpServers.github).toMatchObject({
      headers: { Authorization: 'Bearer s3cret', Region: 'eu' },
    });
  });

  it('names the key of a missing environment variable', () => {
    expect(
      issuesOf(() =>
        parseConfig({ mcpServers: { gh: { command: 'x', env: { T: '${NOPE}' } } } }, 'f.json', {
          env: {},
        }),
      ),
    ).toEqual([
      'mcpServers.gh.env.T: environment variable NOPE is not set (referenced as ${NOPE}); set it or give a default with ${NOPE:-value}',
    ]);
  });

  it('names every bad key and says what is expected', () => {
    expect(
      issuesOf(() =>
        parseConfig(
          {
            hub: { port: 'eighty' },
            mcpServers: {
              a: { command: 42 },
              b: { url: 'not a url' },
              c: { args: [] },
              d: { command: 'x', prefix: 'Bad_Prefix' },
            },
            mcpServer: {},
          },
          'f.json',
          { env: {} },
        ),
      ),
    ).toMatchInlineSnapshot(`
      [
        "hub.port: expected a port number",
        "mcpServers.a.command: expected a string: the program to run",
        "mcpServers.b.url: expected an absolute URL (http://, https://, ws:// or wss://)",
        "mcpServers.c: expected "command" (a local stdio server) or "url" (a remote server)",
        "mcpServers.d.prefix: expected a prefix of 1–32 characters: a-z, 0-9 and "-", starting with a letter or digit",
        ": unknown key "mcpServer" (did you mean "mcpServers"?)",
      ]
    `);
  });

  it('refuses a store URL it cannot open', () => {
    expect(issuesOf(() => parseConfig({ store: 'mysql://x' }, 'f.json', { env: {} }))).toEqual([
      'store: expected a store URL: "sqlite:PATH", "memory:", "redis://…" or "postgres://…"',
    ]);
    expect(issuesOf(() => parseConfig({ store: 'postgres://a b' }, 'f.json', { env: {} }))).toEqual(
      ['store: expected a PostgreSQL URL: "postgres://user:password@host:5432/database"'],
    );
    const store = 'postgres://fedmcp@db.internal:5432/hub?schema=eu';
    expect(parseConfig({ store }, 'f.json', { env: {} }).store).toBe(store);
  });
});

describe('upstreamIdFromName', () => {
  it('keeps valid ids and slugs Claude Desktop names', () => {
    expect(upstreamIdFromName('github')).toBe('github');
    expect(upstreamIdFromName('GitHub Server')).toBe('github-server');
    expect(upstreamIdFromName('!!!')).toBe('upstream');
  });
});

describe('loadConfig', () => {
  let directory: string;
  beforeEach(async () => {
    directory = await mkdtemp(join(tmpdir(), 'fedmcp-config-'));
  });
  afterEach(async () => {
    await rm(directory, { recursive: true, force: true });
  });

  it('says how to create a missing file', async () => {
    await expect(loadConfig(join(directory, 'missing.json'))).rejects.toThrow(/fedmcp init/);
  });

  it('reports invalid JSON', async () => {
    const file = join(directory, 'fedmcp.config.json');
    await writeFile(file, '{ "mcpServers": ');
    await expect(loadConfig(file)).rejects.toThrow(/not valid JSON/);
  });
});
