/**
 * `fedmcp dev --runtime workerd|deno [--config F] [--port N]`: runs the hub of a config locally
 * in an edge runtime — bundles it with esbuild, starts Miniflare (workerd, state in a Durable
 * Object persisted next to the config) or `deno serve`, on 127.0.0.1, prints the URL and stops on
 * SIGINT/SIGTERM. Upstreams must be HTTP(S) servers or peers: stdio is refused, naming the entry.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { toUpstreamConfig, upstreamsFromConfig } from '@fedmcp/server';
import type { CliIo } from '../cli-io.js';
import { CliUsageError } from './connect-target.js';
import { DenoNotFoundError, findDenoBinary } from './dev-deno-binary.js';
import { resolveConfig } from './resolve-config.js';

/** Options of {@link devCommand} beyond argv, for tests. */
export interface DevCommandOptions {
  /** Resolves when the runtime should stop. @default SIGINT or SIGTERM */
  stopSignal?: Promise<unknown>;
  /** Called with the hub's MCP URL once it serves. */
  onReady?: (mcpUrl: string) => void;
}

const RUNTIMES = ['workerd', 'deno'] as const;
type Runtime = (typeof RUNTIMES)[number];

function waitForSignal(): Promise<string> {
  return new Promise((resolve) => {
    for (const signal of ['SIGINT', 'SIGTERM'] as const)
      process.once(signal, () => resolve(signal));
  });
}

// The entry's source in the repository; its build next to the CLI's chunks once published.
const entryCandidates = [
  './dev-hub-entry.ts',
  './dev-hub-entry.js',
  './commands/dev-hub-entry.js',
].map((path) => fileURLToPath(new URL(path, import.meta.url)));

async function bundle(definition: unknown): Promise<Uint8Array> {
  const { build } = await import('esbuild');
  const { existsSync } = await import('node:fs');
  const entry = entryCandidates.find((path) => existsSync(path));
  if (!entry) throw new Error(`The hub entry of fedmcp dev is missing: ${entryCandidates[0]}`);
  const result = await build({
    entryPoints: [entry],
    bundle: true,
    write: false,
    format: 'esm',
    platform: 'neutral',
    mainFields: ['module', 'main'],
    conditions: ['@fedmcp/source', 'workerd', 'worker', 'browser'],
    target: 'es2022',
    minify: true,
    external: ['node:*'],
    define: { __FEDMCP_DEV__: JSON.stringify(definition) },
    logLevel: 'silent',
  });
  const [output] = result.outputFiles;
  if (!output) throw new Error('esbuild produced no bundle for the hub');
  return output.contents;
}

interface Running {
  url: string;
  stop(): Promise<void>;
}

async function startWorkerd(code: Uint8Array, port: number, persist: string): Promise<Running> {
  const { Miniflare } = await import('miniflare');
  const miniflare = new Miniflare({
    modules: [{ type: 'ESModule', path: 'worker.mjs', contents: code }],
    compatibilityDate: '2025-09-01',
    compatibilityFlags: ['nodejs_compat'],
    durableObjects: {
      FEDMCP_STORE: { className: 'FedmcpStoreObject', useSQLite: true },
      FEDMCP_HUB: { className: 'FedmcpHubObject' },
    },
    durableObjectsPersist: persist,
    host: '127.0.0.1',
    port,
    cf: false,
  });
  const url = await miniflare.ready;
  return { url: url.origin, stop: () => miniflare.dispose() };
}

async function startDeno(code: Uint8Array, port: number, binary: string): Promise<Running> {
  const directory = await mkdtemp(join(tmpdir(), 'fedmcp-dev-'));
  const file = join(directory, 'hub.mjs');
  await writeFile(file, code);
  const child = spawn(
    binary,
    ['serve', '--host=127.0.0.1', `--port=${port}`, '--allow-net', '--allow-env', file],
    { env: { PATH: process.env.PATH ?? '', NO_COLOR: '1' }, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let output = '';
  const url = await new Promise<string>((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const listening = /Listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(output);
      if (listening?.[1]) resolve(listening[1]);
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.once('exit', (code) => reject(new Error(`deno exited (${code}): ${output.trim()}`)));
  });
  return {
    url,
    async stop() {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      if (child.exitCode === null) {
        // `deno serve` drains open connections on SIGTERM; a hub holds upstream streams open.
        child.kill('SIGTERM');
        const force = setTimeout(() => child.kill('SIGKILL'), 2_000);
        await exited;
        clearTimeout(force);
      }
      await rm(directory, { recursive: true, force: true });
    },
  };
}

/** Runs `fedmcp dev`; resolves with the exit code once the runtime stopped. */
export async function devCommand(
  argv: readonly string[],
  io: CliIo,
  options: DevCommandOptions = {},
): Promise<number> {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      runtime: { type: 'string' },
      config: { type: 'string' },
      port: { type: 'string', short: 'p' },
    },
  });
  const runtime = values.runtime as Runtime;
  if (!RUNTIMES.includes(runtime)) {
    throw new CliUsageError(
      `--runtime must be workerd or deno${values.runtime ? `, got "${values.runtime}"` : ''}.`,
    );
  }
  const port = values.port === undefined ? 8787 : Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65_535) {
    throw new CliUsageError(
      `--port must be a port number (0 picks a free one), got "${values.port}".`,
    );
  }
  const { config, file } = await resolveConfig(values.config);
  const upstreams: Record<string, unknown> = {};
  for (const upstream of upstreamsFromConfig(config).values()) {
    if (!('url' in upstream.spec)) {
      io.stderr(
        `fedmcp dev: mcpServers."${upstream.name}" is a stdio command, which cannot run in ${runtime}; give it a url, or run the hub with fedmcp serve.\n`,
      );
      return 1;
    }
    upstreams[upstream.id] = toUpstreamConfig(upstream);
  }
  let denoBinary = '';
  if (runtime === 'deno') {
    try {
      denoBinary = findDenoBinary();
    } catch (error) {
      if (!(error instanceof DenoNotFoundError)) throw error;
      io.stderr(`fedmcp dev: ${error.message}\n`);
      return 1;
    }
  }
  const hubId = config.hub.id ?? 'dev';
  io.stderr(`fedmcp dev: bundling the hub for ${runtime}…\n`);
  const code = await bundle({ hubId, upstreams });
  const persist = join(dirname(file ?? join(process.cwd(), 'x')), '.fedmcp', 'dev-durable-objects');
  const running =
    runtime === 'workerd'
      ? await startWorkerd(code, port, persist)
      : await startDeno(code, port, denoBinary);
  const mcpUrl = `${running.url}/mcp`;
  io.stdout(
    `fedmcp dev: the hub runs in ${runtime} at ${mcpUrl} (${Object.keys(upstreams).length} upstream(s)${runtime === 'workerd' ? `, state in ${persist}` : ', state in memory'}); Ctrl-C stops it.\n`,
  );
  options.onReady?.(mcpUrl);
  await (options.stopSignal ?? waitForSignal());
  await running.stop();
  io.stderr('fedmcp dev: stopped.\n');
  return 0;
}
