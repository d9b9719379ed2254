/**
 * `fedmcp dev --runtime workerd|deno [--config F] [--port N]`: runs locally, on 127.0.0.1, the
 * same hub `fedmcp deploy` uploads — the bundle of `deploy-hub-bundle.ts` (consent, pinning,
 * policy and its rate limits, auth, tasks, Host/Origin/CORS, PRM): the Worker in Miniflare (state
 * in its Durable Objects, persisted next to the config), or the Supabase function in Deno (state
 * in the config's PostgreSQL store, else in memory). The config's `${NAME}` / `${secret:NAME}`
 * references are given to the runtime as bindings (workerd) or environment (Deno), their values
 * read from the environment or the secrets file, as the deploy uploads them. Prints each step,
 * stops on SIGINT/SIGTERM. Upstreams must be HTTP(S) servers or peers: stdio is refused, naming
 * the entry.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { parseArgs } from 'node:util';
import { upstreamsFromConfig } from '@fedmcp/server';
import type { CliIo } from '../cli-io.js';
import { CliUsageError } from './connect-target.js';
import { buildHubBundle, HUB_DURABLE_OBJECTS } from './deploy-hub-bundle.js';
import { DenoNotFoundError, findDenoBinary } from './dev-deno-binary.js';
import { readCredential } from './provider-setup.js';
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

interface Running {
  url: string;
  stop(): Promise<void>;
}

async function startWorkerd(
  code: string | Uint8Array,
  port: number,
  persist: string,
  bindings: Record<string, string>,
): Promise<Running> {
  const { Miniflare } = await import('miniflare');
  const miniflare = new Miniflare({
    modules: [{ type: 'ESModule', path: 'index.js', contents: code }],
    compatibilityDate: '2025-09-01',
    compatibilityFlags: ['nodejs_compat'],
    // As the upload declares them: SQLite-backed classes.
    durableObjects: Object.fromEntries(
      HUB_DURABLE_OBJECTS.map(({ binding, className }) => [
        binding,
        { className, useSQLite: true },
      ]),
    ),
    durableObjectsPersist: persist,
    bindings,
    host: '127.0.0.1',
    port,
    cf: false,
  });
  const url = await miniflare.ready;
  return { url: url.origin, stop: () => miniflare.dispose() };
}

async function startDeno(
  code: string | Uint8Array,
  port: number,
  binary: string,
  env: Record<string, string>,
): Promise<Running> {
  const directory = await mkdtemp(join(tmpdir(), 'fedmcp-dev-'));
  const file = join(directory, 'index.js');
  await writeFile(file, code, { mode: 0o600 });
  // The Supabase function serves itself (`Deno.serve`) on FEDMCP_PORT, on 127.0.0.1.
  const child = spawn(binary, ['run', '--allow-net', '--allow-env', file], {
    env: { ...env, PATH: process.env.PATH ?? '', NO_COLOR: '1', FEDMCP_PORT: String(port) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const exited = new Promise((resolve) => child.once('exit', resolve));
  let output = '';
  try {
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
        if (child.exitCode === null && child.signalCode === null) {
          // Deno drains open connections on SIGTERM; a hub holds upstream streams open.
          child.kill('SIGTERM');
          const force = setTimeout(() => child.kill('SIGKILL'), 2_000);
          await exited;
          clearTimeout(force);
        }
        await rm(directory, { recursive: true, force: true });
      },
    };
  } catch (error) {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await exited;
    await rm(directory, { recursive: true, force: true });
    throw error;
  }
}

/** The values of the config's references, from the environment or the secrets file. */
async function referenceValues(
  references: string[],
  config: string | undefined,
): Promise<Record<string, string>> {
  const values: Record<string, string> = {};
  for (const name of references) {
    const value = await readCredential(name, { config }, {});
    if (value === undefined)
      throw new CliUsageError(
        `the config refers to \${${name}}: set ${name} in the environment or with \`fedmcp secrets set ${name}\`; fedmcp dev gives it to the hub as deploy would upload it.`,
      );
    values[name] = value;
  }
  return values;
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
  if (file === undefined)
    throw new CliUsageError(
      'fedmcp dev runs the hub of a config: pass --config FILE (or run in the folder of fedmcp.config.json).',
    );
  for (const upstream of upstreamsFromConfig(config).values()) {
    if (upstream.peer === undefined && !('url' in upstream.spec)) {
      io.stderr(
        `fedmcp dev: mcpServers."${upstream.name}" is a stdio command, which cannot run in ${runtime}; give it a url, or run the hub with fedmcp serve.\n`,
      );
      return 1;
    }
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
  io.stderr(`fedmcp dev: bundling the hub of ${file} for ${runtime} (as fedmcp deploy does)…\n`);
  // The bundle stays on this machine: a credential written in the config is not refused.
  const hub = await buildHubBundle(
    file,
    runtime === 'workerd' ? 'cloudflare' : 'supabase',
    undefined,
    {
      allowLiteralSecrets: true,
    },
  );
  const bindings = await referenceValues(hub.references, values.config);
  const code = hub.bundle.files[0]?.content ?? '';
  if (hub.references.length > 0)
    io.stderr(
      `fedmcp dev: giving the hub ${hub.references.join(', ')} (values from the environment or the secrets file, not shown)\n`,
    );
  io.stderr(`fedmcp dev: starting ${runtime}…\n`);
  const persist = join(dirname(file), '.fedmcp', 'dev-durable-objects');
  const postgres = config.store !== undefined && /^postgres(ql)?:/.test(config.store);
  const running =
    runtime === 'workerd'
      ? await startWorkerd(code, port, persist, bindings)
      : await startDeno(code, port, denoBinary, bindings);
  const mcpUrl = `${running.url}/mcp`;
  const state =
    runtime === 'workerd'
      ? `state in ${persist}`
      : postgres
        ? 'state in the config\u2019s PostgreSQL store'
        : 'state in memory';
  io.stdout(
    `fedmcp dev: the hub runs in ${runtime} at ${mcpUrl} (${hub.upstreams.length} upstream(s), ${state}); Ctrl-C stops it.\n`,
  );
  options.onReady?.(mcpUrl);
  await (options.stopSignal ?? waitForSignal());
  await running.stop();
  io.stderr('fedmcp dev: stopped.\n');
  return 0;
}
