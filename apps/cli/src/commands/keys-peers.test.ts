import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createFedmcpServer, type FedmcpServer, parseConfig } from '@fedmcp/server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { captureIo } from '../../test/capture-io.js';
import { runCli } from '../run-cli.js';
import { keysCommand } from './keys.js';
import { peersCommand } from './peers.js';

let directory: string;
let peer: FedmcpServer;
let peerUrl: string;

beforeAll(async () => {
  directory = await mkdtemp(join(tmpdir(), 'fedmcp-cli-peers-'));
  peer = await createFedmcpServer({
    config: parseConfig(
      { hub: { id: 'eu', name: 'EU hub', host: '127.0.0.1', port: 0 }, store: 'memory:' },
      'peer',
    ),
    baseDirectory: join(directory, 'peer'),
  });
  peerUrl = (await peer.listen()).url.replace(/\/mcp$/, '');
}, 30_000);

afterAll(async () => {
  await peer?.close();
  await rm(directory, { recursive: true, force: true });
});

describe('fedmcp keys', () => {
  it('show creates the key (0600) and prints its fingerprint; rotate keeps the old key published', async () => {
    const base = join(directory, 'keys');
    const configFile = join(directory, 'keys.config.json');
    await writeFile(configFile, JSON.stringify({ hub: { dataDir: join(base, 'data') } }));
    const shown = captureIo();
    expect(await keysCommand(['show', '--config', configFile], shown.io)).toBe(0);
    const fingerprint = /Hub key fingerprint: (SHA256:\S+)/.exec(shown.out.stdout)?.[1];
    expect(fingerprint).toMatch(/^SHA256:[A-Za-z0-9_-]{43}$/);
    expect((await stat(join(base, 'data', 'hub-keys.json'))).mode & 0o777).toBe(0o600);

    const rotated = captureIo();
    const now = Date.now();
    expect(
      await keysCommand(['rotate', '--config', configFile], rotated.io, { now: () => now }),
    ).toBe(0);
    expect(rotated.out.stdout).toContain(
      `The previous key ${fingerprint} signs until then and stays published until ${new Date(now + 60_000 + 86_400_000).toISOString()}`,
    );
    const after = captureIo();
    expect(
      await keysCommand(['show', '--config', configFile, '--json'], after.io, { now: () => now }),
    ).toBe(0);
    const report = JSON.parse(after.out.stdout) as {
      fingerprint: string;
      keys: { fingerprint: string }[];
    };
    // The new key is published at once but signs only after the activation delay (60 s).
    expect(report.fingerprint).toBe(fingerprint);
    expect(report.keys.map((key) => key.fingerprint)).toEqual([
      /New hub key: (SHA256:\S+)/.exec(rotated.out.stdout)?.[1],
      fingerprint,
    ]);
  });
});

describe('fedmcp peers', () => {
  it('add fetches the discovery document, shows id and fingerprint, and writes the config', async () => {
    const configFile = join(directory, 'add.config.json');
    await writeFile(configFile, '{\n  // my hub\n  "hub": { "name": "home" },\n}\n');
    const keyring = await peer.identity.keyring();
    const declined = captureIo();
    expect(
      await peersCommand(['add', peerUrl, '--config', configFile], declined.io, {
        confirm: async () => false,
      }),
    ).toBe(1);
    expect(declined.out.stdout).toContain('id:          eu');
    expect(declined.out.stdout).toContain(`SHA256:${keyring.current.kid}`);
    expect(await readFile(configFile, 'utf8')).toContain('// my hub');

    const questions: string[] = [];
    const accepted = captureIo();
    expect(
      await peersCommand(['add', peerUrl, '--config', configFile], accepted.io, {
        confirm: async (question) => {
          questions.push(question);
          return true;
        },
      }),
    ).toBe(0);
    expect(questions[0]).toContain('Add peer "eu"');
    expect(accepted.out.stdout).toContain('comments or trailing commas; they were not kept');
    const written = JSON.parse(await readFile(configFile, 'utf8'));
    expect(written).toEqual({ hub: { name: 'home' }, peers: { eu: { url: `${peerUrl}/mcp` } } });

    const listed = captureIo();
    expect(await runCli(['peers', 'list', '--config', configFile], listed.io)).toBe(0);
    expect(listed.out.stdout).toContain(`eu  ${peerUrl}/mcp`);
    expect(listed.out.stdout).toContain('state: reachable');
    expect(listed.out.stdout).toContain(`keys:  SHA256:${keyring.current.kid}`);
  });

  it('add --yes --id --pin writes a pinned fingerprint under the given id', async () => {
    const configFile = join(directory, 'pin.config.json');
    const result = captureIo();
    expect(
      await runCli(
        [
          'peers',
          'add',
          `${peerUrl}/mcp`,
          '--id',
          'europe',
          '--yes',
          '--pin',
          '--config',
          configFile,
        ],
        result.io,
      ),
    ).toBe(0);
    const keyring = await peer.identity.keyring();
    expect(JSON.parse(await readFile(configFile, 'utf8')).peers).toEqual({
      europe: { url: `${peerUrl}/mcp`, fingerprint: [`SHA256:${keyring.current.kid}`] },
    });
  });

  it('list warns when no published key matches a pinned fingerprint', async () => {
    const configFile = join(directory, 'mismatch.config.json');
    await writeFile(
      configFile,
      JSON.stringify({
        peers: { eu: { url: `${peerUrl}/mcp`, fingerprint: `SHA256:${'x'.repeat(43)}` } },
      }),
    );
    const result = captureIo();
    expect(await runCli(['peers', 'list', '--config', configFile], result.io)).toBe(0);
    expect(result.out.stdout).toContain('none of its keys matches the pinned fingerprint');
  });

  it('add refuses a plain-http peer on another machine, naming the key', async () => {
    const configFile = join(directory, 'insecure.config.json');
    const document = {
      hubId: 'far',
      name: 'far',
      version: '0.1.0',
      endpoint: 'http://far.example.com/mcp',
      transports: [{ type: 'streamable-http', url: 'http://far.example.com/mcp' }],
      jwksUri: 'http://far.example.com/.well-known/jwks.json',
      protocolVersions: ['2025-11-25'],
      maxHops: 4,
    };
    const keyring = await peer.identity.keyring();
    const fakeFetch: typeof fetch = async (input) =>
      Response.json(String(input).endsWith('jwks.json') ? keyring.jwks() : document);
    const result = captureIo();
    await expect(
      peersCommand(['add', 'http://far.example.com', '--yes', '--config', configFile], result.io, {
        fetch: fakeFetch,
      }),
    ).rejects.toThrow(/peers\.far\.url: plain http:\/\//);
    await expect(stat(configFile)).rejects.toThrow();
  });

  it('list reports an unreachable peer', async () => {
    const configFile = join(directory, 'down.config.json');
    await writeFile(
      configFile,
      JSON.stringify({ peers: { gone: { url: 'http://127.0.0.1:9/mcp' } } }),
    );
    const result = captureIo();
    expect(await runCli(['peers', 'list', '--config', configFile], result.io)).toBe(0);
    expect(result.out.stdout).toContain('state: unreachable');
  });
});
