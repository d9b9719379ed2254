import { mkdtemp, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { FedmcpConfig } from './config-schema.js';
import { watchConfig } from './watch-config.js';

function nextCall<T>(): { promise: Promise<T>; resolve: (value: T) => void } {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((done) => {
    resolve = done;
  });
  return { promise, resolve };
}

describe('watchConfig', () => {
  let directory: string;
  let file: string;
  let stop: (() => void) | undefined;

  beforeEach(async () => {
    directory = await mkdtemp(join(tmpdir(), 'fedmcp-watch-'));
    file = join(directory, 'fedmcp.config.json');
    await writeFile(file, JSON.stringify({ hub: { port: 4000 } }));
  });
  afterEach(async () => {
    stop?.();
    await rm(directory, { recursive: true, force: true });
  });

  it('hands a valid change to onChange, reports an invalid one and keeps watching', async () => {
    let changed = nextCall<FedmcpConfig>();
    let failed = nextCall<Error>();
    stop = watchConfig(file, {
      env: {},
      debounceMs: 20,
      onChange: (config) => changed.resolve(config),
      onError: (error) => failed.resolve(error),
    });
    await new Promise((resolve) => setTimeout(resolve, 50));

    await writeFile(file, JSON.stringify({ hub: { port: 4001 } }));
    expect((await changed.promise).hub.port).toBe(4001);

    await writeFile(file, JSON.stringify({ hub: { port: 'nope' } }));
    expect((await failed.promise).message).toContain('hub.port: expected a port number');

    changed = nextCall<FedmcpConfig>();
    failed = nextCall<Error>();
    // Editors often write a new file and rename it over the old one.
    await writeFile(`${file}.tmp`, JSON.stringify({ hub: { port: 4002 } }));
    await rename(`${file}.tmp`, file);
    expect((await changed.promise).hub.port).toBe(4002);
  });
});
