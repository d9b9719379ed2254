/**
 * Config reloads across replicas: two `fedmcp serve` processes on one Redis (a redis-server of
 * this test) with one cluster secret, each with its own copy of the config file. Editing the file
 * of one reaches the other (an upstream added, then removed); an announcement sealed with another
 * secret and an old announcement replayed change nothing. Runs whenever CI=true (a missing
 * redis-server fails the run); elsewhere it skips with a printed notice.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { silentLogger } from '@fedmcp/protocol';
import { CLUSTER_CONFIG_CHANNEL, createConfigSync } from '@fedmcp/server';
import { createStore } from '@fedmcp/store/node';
import { type RedisTestBed, redisServerRequired, startRedisTestBed } from '@fedmcp/test-support';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const available = redisServerRequired('the config reload across replicas test');

const repositoryRoot = fileURLToPath(new URL('../../../../', import.meta.url));
const bin = join(repositoryRoot, 'apps/cli/src/bin.ts');
const everything = join(
  repositoryRoot,
  'node_modules/@modelcontextprotocol/server-everything/dist/index.js',
);
const tsx = pathToFileURL(join(repositoryRoot, 'node_modules/tsx/dist/esm/index.mjs')).href;
const secret = 'a-cluster-secret-of-this-test-0123456789-abcdef';

interface Replica {
  child: ChildProcess;
  config: string;
  stderr: () => string;
  url: string;
  client: Client;
  exited: Promise<unknown>;
}

async function until<T>(probe: () => Promise<T | undefined> | T | undefined, what: string) {
  const deadline = Date.now() + 60_000;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

describe.runIf(available)('config reloads across replicas', () => {
  let bed: RedisTestBed;
  const replicas: Replica[] = [];

  const configOf = (names: string[]) =>
    JSON.stringify({
      hub: { port: 0 },
      store: bed.redis.url,
      runtime: false,
      mcpServers: Object.fromEntries(
        names.map((name) => [name, { command: process.execPath, args: [everything, 'stdio'] }]),
      ),
    });

  const start = async (name: string): Promise<Replica> => {
    const folder = join(bed.directory, name);
    await mkdir(folder);
    const config = join(folder, 'fedmcp.config.json');
    await writeFile(config, configOf(['docs']));
    const child = spawn(
      process.execPath,
      ['--conditions=@fedmcp/source', '--import', tsx, bin, 'serve', '--config', config],
      {
        cwd: folder,
        env: {
          ...process.env,
          FORCE_COLOR: '0',
          FEDMCP_CLUSTER_SECRET: secret,
          FEDMCP_REPLICA_ID: name,
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let stdout = '';
    let stderr = '';
    child.stdout?.on('data', (chunk) => {
      stdout += chunk;
    });
    child.stderr?.on('data', (chunk) => {
      stderr += chunk;
    });
    const exited = new Promise((resolve) => child.once('exit', resolve));
    const url = await until(
      () => stdout.match(/serving at (http:\/\/127\.0\.0\.1:\d+)/)?.[1],
      `replica ${name} serving`,
    );
    const client = new Client({ name: `client-of-${name}`, version: '1.0.0' });
    await client.connect(new StreamableHTTPClientTransport(new URL(`${url}/mcp`)));
    const replica = { child, config, stderr: () => stderr, url, client, exited };
    replicas.push(replica);
    return replica;
  };

  /** The upstreams whose echo tool a replica lists. */
  const toolsOf = async (replica: Replica) =>
    (await replica.client.listTools()).tools
      .map((tool) => tool.name)
      .filter((name) => name.endsWith('__echo'))
      .sort();

  beforeAll(async () => {
    bed = await startRedisTestBed('fedmcp-config-sync-');
  }, 60_000);

  afterAll(async () => {
    for (const replica of replicas) {
      await replica.client.close().catch(() => undefined);
      if (replica.child.exitCode === null) replica.child.kill('SIGTERM');
      await replica.exited;
    }
    await bed?.[Symbol.asyncDispose]();
  }, 60_000);

  it('an edit of one replica’s file reaches the other; forged and replayed announcements change nothing', async () => {
    const [a, b] = [await start('a'), await start('b')];
    expect(await toolsOf(b)).toEqual(['docs__echo']);

    // Hear what replica a announces, as anyone with access to Redis could.
    const store = await createStore(bed.redis.url);
    const heard: string[] = [];
    const listening = await store.pubsub.subscribe(CLUSTER_CONFIG_CHANNEL, (message) => {
      heard.push(message);
    });
    try {
      await writeFile(a.config, configOf(['docs', 'extra']));
      await until(
        async () => ((await toolsOf(b)).includes('extra__echo') ? true : undefined),
        'the upstream added on a to reach b',
      );
      await until(
        () => (b.stderr().includes('config reloaded from another replica') ? true : undefined),
        'b to log the reload',
      );
      const result = await b.client.callTool({
        name: 'extra__echo',
        arguments: { message: 'hi' },
      });
      expect(result.content).toEqual([{ type: 'text', text: 'Echo: hi' }]);
      // The message in Redis does not show the config.
      const [added] = await until(() => (heard.length > 0 ? heard : undefined), 'the message');
      expect(added).not.toContain('mcpServers');
      expect(added).not.toContain('server-everything');

      // Removed on a: gone on b.
      await writeFile(a.config, configOf(['docs']));
      await until(
        async () => ((await toolsOf(b)).includes('extra__echo') ? undefined : true),
        'the upstream removed on a to leave b',
      );

      // The first announcement replayed: b keeps its newer config (the replicas' sealed pub/sub
      // drops the replay before config-sync sees it).
      await store.pubsub.publish(CLUSTER_CONFIG_CHANNEL, added as string);
      await until(
        () => (b.stderr().includes('pub/sub message was received twice') ? true : undefined),
        'b to ignore the replay',
      );
      // Sealed with another secret (a forged config adding an upstream): refused.
      const forger = createConfigSync({
        pubsub: store.pubsub,
        replicaId: 'forger',
        secret: 'not-the-cluster-secret-0123456789-abcdefghij',
        onConfig: async () => {},
        logger: silentLogger,
      });
      await forger.announce(JSON.parse(configOf(['docs', 'extra'])));
      await until(
        () => (b.stderr().includes('pub/sub message was not sealed') ? true : undefined),
        'b to refuse the forged config',
      );
      expect(await toolsOf(b)).toEqual(['docs__echo']);
      expect(await toolsOf(a)).toEqual(['docs__echo']);
    } finally {
      await listening.unsubscribe();
      await store.close();
    }
  }, 180_000);
});
