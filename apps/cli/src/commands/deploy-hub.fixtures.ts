/**
 * Real parts for the tests of the hub `fedmcp deploy` bundles: the `--dry-run` deploy (its
 * recorded requests and the bundle it uploads), that bundle run in Miniflare (workerd, as
 * Cloudflare runs the uploaded Worker) and in Deno (as Supabase runs the function), each on
 * 127.0.0.1 and stopped when disposed.
 */
import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { type Everything, freePort, startEverything } from '@fedmcp/test-support';
import { Miniflare } from 'miniflare';
import { afterAll, afterEach, beforeAll, vi } from 'vitest';
import { captureIo } from '../../test/capture-io.js';
import { runCli } from '../run-cli.js';
import { HUB_DURABLE_OBJECTS } from './deploy-hub-bundle.js';
import { findDenoBinary } from './dev-deno-binary.js';

/** The (fake) provider credentials a dry run needs, for Cloudflare and Supabase. */
export const DEPLOY_CREDENTIALS = {
  CLOUDFLARE_API_TOKEN: 'cf-token-1234567890',
  CLOUDFLARE_ACCOUNT_ID: '023e105f4ecef8ad9ca31a8372d0c353',
  SUPABASE_ACCESS_TOKEN: 'sbp_0123456789abcdef0123456789abcdef01234567',
  SUPABASE_PROJECT_REF: 'abcdefghijklmnopqrst',
} as const;

/** What every deploy test file starts with; its fields are set once `beforeAll` ran. */
export interface DeployTestBed {
  /** server-everything, the upstream of the configs. */
  everything: Everything;
  /** A temporary directory for the file's configs and bundles. */
  directory: string;
}

/**
 * Registers the hooks every deploy test file needs: server-everything and a temporary directory
 * named `prefix…` for the whole file (both gone after it), the stubbed environment undone after
 * each test.
 */
export function useDeployTestBed(prefix: string): DeployTestBed {
  const bed = { directory: '' } as DeployTestBed;
  beforeAll(async () => {
    bed.everything = await startEverything();
    bed.directory = await mkdtemp(join(tmpdir(), prefix));
  }, 60_000);
  afterAll(async () => {
    await bed.everything?.[Symbol.asyncDispose]();
    if (bed.directory) await rm(bed.directory, { recursive: true, force: true });
  });
  afterEach(() => {
    vi.unstubAllEnvs();
  });
  return bed;
}

/** One multipart part of a recorded request. */
export interface RecordedPart {
  name: string;
  filename?: string;
  contentType?: string;
  content: string;
}

/** A request the dry run prints instead of sending. */
export interface RecordedRequest {
  method: string;
  url: string;
  parts?: RecordedPart[];
}

/** What a `--dry-run` deploy did. */
export interface DryRun {
  exitCode: number;
  stdout: string;
  stderr: string;
  /** The requests it would have sent (empty when it failed). */
  requests: RecordedRequest[];
  /** The uploaded module, `index.js` (empty when it failed). */
  bundle: string;
}

/**
 * Runs `fedmcp deploy <provider> --config <configFile> --dry-run [...args]` with
 * {@link DEPLOY_CREDENTIALS} stubbed in the environment (the test's `vi.unstubAllEnvs()` removes
 * them); the config's own references are the caller's to stub.
 */
export async function dryRunDeploy(
  provider: 'cloudflare' | 'supabase',
  configFile: string,
  args: string[] = [],
): Promise<DryRun> {
  for (const [name, value] of Object.entries(DEPLOY_CREDENTIALS)) vi.stubEnv(name, value);
  const { out, io } = captureIo();
  const exitCode = await runCli(
    ['deploy', provider, '--config', configFile, '--dry-run', ...args],
    io,
  );
  const requests = exitCode === 0 ? (JSON.parse(out.stdout) as RecordedRequest[]) : [];
  const part = requests
    .flatMap((request) => request.parts ?? [])
    .find((candidate) => candidate.name === 'index.js' || candidate.filename === 'index.js');
  return {
    exitCode,
    stdout: out.stdout,
    stderr: out.stderr,
    requests,
    bundle: part?.content ?? '',
  };
}

/** A hub running on 127.0.0.1; stopped when disposed. */
export interface RunningEdgeHub extends AsyncDisposable {
  /** Where it listens, `http://127.0.0.1:<port>` (no trailing slash). */
  origin: string;
}

/**
 * The Worker module `code` in Miniflare with the hub's Durable Objects and these bindings; with
 * `persist`, its Durable Objects are kept in that directory (so a restart finds them).
 */
export async function startWorker(
  code: string,
  bindings: Record<string, string> = {},
  persist?: string,
): Promise<RunningEdgeHub> {
  const miniflare = new Miniflare({
    modules: [{ type: 'ESModule', path: 'index.js', contents: code }],
    compatibilityDate: '2025-09-01',
    compatibilityFlags: ['nodejs_compat'],
    durableObjects: Object.fromEntries(
      HUB_DURABLE_OBJECTS.map(({ binding, className }) => [
        binding,
        { className, useSQLite: true },
      ]),
    ),
    ...(persist && { durableObjectsPersist: persist }),
    bindings,
    host: '127.0.0.1',
    port: 0,
    cf: false,
  });
  try {
    const { origin } = await miniflare.ready;
    return { origin, [Symbol.asyncDispose]: () => miniflare.dispose() };
  } catch (error) {
    await miniflare.dispose();
    throw error;
  }
}

/** A Supabase function running in Deno. */
export interface RunningFunction extends RunningEdgeHub {
  /** What Deno printed so far. */
  output(): string;
}

/**
 * Writes the function bundle `code` to `file` and runs it with Deno as Supabase does
 * (`Deno.serve`, its secrets in `env`), on `port` (a free one by default), once it listens.
 */
export async function startFunction(
  code: string,
  file: string,
  env: Record<string, string> = {},
  port?: number,
): Promise<RunningFunction> {
  await mkdir(dirname(file), { recursive: true });
  await writeFile(file, code);
  const listenPort = port ?? (await freePort());
  const child = spawn(findDenoBinary(), ['run', '--allow-net', '--allow-env', file], {
    env: { PATH: process.env.PATH ?? '', NO_COLOR: '1', FEDMCP_PORT: String(listenPort), ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const exited = new Promise((resolve) => child.once('exit', resolve));
  const stop = async () => {
    child.kill('SIGKILL');
    await exited;
  };
  let output = '';
  try {
    await new Promise<void>((resolve, reject) => {
      const onData = (chunk: Buffer) => {
        output += chunk.toString();
        if (output.includes('Listening on')) resolve();
      };
      child.stdout.on('data', onData);
      child.stderr.on('data', onData);
      child.once('exit', (exitCode) => reject(new Error(`deno exited (${exitCode}): ${output}`)));
    });
  } catch (error) {
    await stop();
    throw error;
  }
  return {
    origin: `http://127.0.0.1:${listenPort}`,
    output: () => output,
    [Symbol.asyncDispose]: stop,
  };
}
