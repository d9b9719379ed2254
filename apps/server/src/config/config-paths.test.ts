import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { userDataDirectory } from './config-paths.js';
import { loadConfig, parseConfig } from './load-config.js';

describe('userDataDirectory', () => {
  it('follows XDG on Linux, and the platform folders on macOS and Windows', () => {
    const home = '/home/ada';
    expect(userDataDirectory({ platform: 'linux', home, env: {} })).toBe(
      '/home/ada/.local/share/fedmcp',
    );
    expect(
      userDataDirectory({ platform: 'linux', home, env: { XDG_DATA_HOME: '/data/ada' } }),
    ).toBe('/data/ada/fedmcp');
    // A relative XDG_DATA_HOME is invalid (XDG Base Directory spec) and ignored.
    expect(userDataDirectory({ platform: 'linux', home, env: { XDG_DATA_HOME: 'rel' } })).toBe(
      '/home/ada/.local/share/fedmcp',
    );
    expect(userDataDirectory({ platform: 'darwin', home: '/Users/ada', env: {} })).toBe(
      '/Users/ada/Library/Application Support/fedmcp',
    );
    expect(
      userDataDirectory({
        platform: 'win32',
        home: 'C:\\Users\\ada',
        env: { LOCALAPPDATA: 'C:\\Users\\ada\\AppData\\Local' },
      }),
    ).toBe('C:\\Users\\ada\\AppData\\Local\\fedmcp');
  });
});

describe('loadConfig paths', () => {
  let directory: string;
  beforeEach(async () => {
    directory = await mkdtemp(join(tmpdir(), 'fedmcp-paths-'));
  });
  afterEach(async () => {
    await rm(directory, { recursive: true, force: true });
  });

  it('resolves relative paths against the config file folder, whatever the working directory', async () => {
    const file = join(directory, 'fedmcp.config.json');
    await writeFile(
      file,
      JSON.stringify({
        hub: {
          dataDir: 'state',
          keys: { file: 'keys/hub-keys.json' },
          tls: { cert: 'tls/cert.pem', key: '/etc/hub/key.pem', ca: './tls/ca.pem' },
        },
        store: 'sqlite:db/hub.db',
        pinning: { pinFile: 'pins.json' },
        secrets: { file: 'secrets.enc.json', keyFile: '/run/secrets/fedmcp.key' },
      }),
    );
    const config = await loadConfig(file, { env: {} });
    expect(config.hub.dataDir).toBe(join(directory, 'state'));
    expect(config.hub.keys?.file).toBe(join(directory, 'keys/hub-keys.json'));
    expect(config.hub.tls).toMatchObject({
      cert: join(directory, 'tls/cert.pem'),
      key: '/etc/hub/key.pem',
      ca: join(directory, 'tls/ca.pem'),
    });
    expect(config.store).toBe(`sqlite:${join(directory, 'db/hub.db')}`);
    expect(config.pinning.pinFile).toBe(join(directory, 'pins.json'));
    expect(config.secrets).toEqual({
      file: join(directory, 'secrets.enc.json'),
      keyFile: '/run/secrets/fedmcp.key',
    });
  });

  it('keeps the default data directory next to the config, absolute ones and non-file stores as they are', async () => {
    const file = join(directory, 'fedmcp.config.json');
    await writeFile(file, '{}');
    expect((await loadConfig(file, { env: {} })).hub.dataDir).toBe(join(directory, '.fedmcp'));
    await writeFile(
      file,
      JSON.stringify({ hub: { dataDir: '/var/lib/fedmcp' }, store: 'sqlite:' }),
    );
    const absolute = await loadConfig(file, { env: {} });
    expect(absolute.hub.dataDir).toBe('/var/lib/fedmcp');
    expect(absolute.store).toBe('sqlite:/var/lib/fedmcp/state.db');
    await writeFile(file, JSON.stringify({ store: 'redis://127.0.0.1:6379' }));
    expect((await loadConfig(file, { env: {} })).store).toBe('redis://127.0.0.1:6379');
  });

  it('leaves paths of parseConfig relative unless given a base directory', () => {
    expect(parseConfig({}, 'inline', { env: {} }).hub.dataDir).toBe('./.fedmcp');
    expect(parseConfig({}, 'inline', { env: {}, baseDirectory: '/srv/hub' }).hub.dataDir).toBe(
      '/srv/hub/.fedmcp',
    );
  });
});

describe('loadConfig errors', () => {
  let directory: string;
  beforeEach(async () => {
    directory = await mkdtemp(join(tmpdir(), 'fedmcp-errors-'));
  });
  afterEach(async () => {
    await rm(directory, { recursive: true, force: true });
  });

  it('names the line and column of a JSON syntax error', async () => {
    const file = join(directory, 'fedmcp.config.json');
    await writeFile(
      file,
      '{\n  // a comment\n  "hub": { "port": 3333, }\n  "store": "memory:"\n}\n',
    );
    await expect(loadConfig(file, { env: {} })).rejects.toThrow(
      new RegExp(`${file}:4:3: \\(top level\\): not valid JSON`),
    );
  });

  it('names the line and column of a misspelt key, with the closest known key', async () => {
    const file = join(directory, 'fedmcp.config.json');
    await writeFile(
      file,
      '{\n  "hub": {\n    "prot": 4000\n  },\n  "mcpServers": {\n    "ev": { "comand": "node" }\n  }\n}\n',
    );
    const error = (await loadConfig(file, { env: {} }).then(
      () => new Error('expected a ConfigError'),
      (failure: unknown) => failure,
    )) as Error;
    expect(error.message).toContain(`${file}:3:5: hub: unknown key "prot" (did you mean "port"?)`);
    expect(error.message).toMatch(new RegExp(`${file}:6:\\d+: mcpServers.ev`));
    expect(error.message).toContain('(did you mean "command" for "comand"?)');
  });
});
