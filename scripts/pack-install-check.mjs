#!/usr/bin/env node
// `pnpm test:pack`: the packages as users get them. Builds, packs every public package with
// `pnpm pack`, lints each tarball (publint, attw with the ESM-only profile), installs `fedmcp` and
// `@fedmcp/federation` from the tarballs with plain npm into an empty project outside the
// workspace (every @fedmcp/* package from the tarballs, third-party packages from the registry
// through npm's cache), then runs `npx fedmcp --version`, `npx fedmcp serve` until /healthz
// answers 200, and scripts/pack-check/library-example.mjs against the served hub.
// Prints each step with its time; on failure says what went wrong and exits 1. Always removes
// its temp dirs (unless --keep) and stops the processes it started.
//
// Options: --skip-build (dist/ is already built), --keep (leave the temp dirs for a look).
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { copyFile, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { builtinModules } from 'node:module';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const flags = new Set(process.argv.slice(2));
const bin = (name) => join(root, 'node_modules', '.bin', name);
const pnpm = ['npx', '-y', 'pnpm@10'];
const started = performance.now();
const seconds = (since) => `${((performance.now() - since) / 1000).toFixed(1)}s`;

/** Children still running (process group leaders), stopped on exit whatever happens. */
const running = new Set();
/** Temp dirs to remove if the script is interrupted. */
const temps = [];

/**
 * npm's environment without what a package manager running this script put there: under
 * `pnpm test:pack`, `npm_config_local_prefix` alone would make npm install into the workspace.
 * The npmrc files still apply (registry, cache, nodedir for better-sqlite3's build).
 */
function cleanEnvironment() {
  const keep =
    /^npm_config_(registry|cache|userconfig|globalconfig|cafile|nodedir|https?_proxy|proxy|noproxy|strict_ssl)$/i;
  return Object.fromEntries(
    Object.entries(process.env).filter(([key]) => !/^(npm|pnpm)_/i.test(key) || keep.test(key)),
  );
}

/**
 * Runs a command to its end; rejects with its exit status and the tail of its output.
 * @returns its stdout.
 */
function run(command, args, { cwd = root, env = process.env, timeoutMs = 600_000 } = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      cwd,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    running.add(child);
    let output = '';
    let stdout = '';
    child.stdout.on('data', (chunk) => {
      stdout += chunk;
      output += chunk;
    });
    child.stderr.on('data', (chunk) => {
      output += chunk;
    });
    const timer = setTimeout(() => {
      output += `\n(killed after ${timeoutMs / 1000}s)`;
      stop(child, 'SIGKILL');
    }, timeoutMs);
    child.on('error', (error) => {
      clearTimeout(timer);
      running.delete(child);
      reject(new Error(`${command} could not start: ${error.message}`));
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      running.delete(child);
      if (code === 0) return resolve(stdout);
      const tail = output.trim().split('\n').slice(-40).join('\n');
      reject(
        new Error(
          `\`${[command, ...args].join(' ')}\` in ${cwd} exited with ${signal ?? code}:\n${tail}`,
        ),
      );
    });
  });
}

/** Signals a child's whole process group (npx starts node, which may start more). */
function stop(child, signal = 'SIGTERM') {
  try {
    process.kill(-child.pid, signal);
  } catch {
    // Already gone.
  }
}

async function step(name, action) {
  const since = performance.now();
  console.log(`--- ${name}`);
  try {
    const result = await action();
    console.log(`    ok (${seconds(since)})`);
    return result;
  } catch (error) {
    console.error(`    FAILED after ${seconds(since)}: ${name}`);
    throw error;
  }
}

function fail(message) {
  throw new Error(message);
}

/** The public packages: every packages/* and apps/* manifest without `private`. */
function publicPackages() {
  return ['packages', 'apps'].flatMap((folder) =>
    readdirSync(join(root, folder))
      .map((name) => join(root, folder, name))
      .filter((directory) => existsSync(join(directory, 'package.json')))
      .map((directory) => ({
        directory,
        manifest: JSON.parse(readFileSync(join(directory, 'package.json'), 'utf8')),
      }))
      .filter(({ manifest }) => manifest.private !== true),
  );
}

/** `@fedmcp/federation` 0.1.0 → `fedmcp-federation-0.1.0.tgz`, as npm and pnpm name tarballs. */
const tarballName = ({ name, version }) =>
  `${name.replace(/^@/, '').replace('/', '-')}-${version}.tgz`;

/** Runs `task` over `items`, `limit` at a time. */
async function eachLimited(items, limit, task) {
  const queue = [...items];
  await Promise.all(
    Array.from({ length: Math.min(limit, queue.length) }, async () => {
      while (queue.length > 0) await task(queue.shift());
    }),
  );
}

/** Checks what a published manifest must not carry. */
function checkPublishedManifest(manifest, version) {
  const problems = [];
  const text = JSON.stringify(manifest);
  if (manifest.devDependencies) problems.push('has devDependencies');
  if (text.includes('workspace:')) problems.push('has a workspace: range');
  if (text.includes('@fedmcp/source') || /"\.\/src\//.test(text)) {
    problems.push('points at src/ (the @fedmcp/source condition), which is not published');
  }
  for (const [dependency, range] of Object.entries(manifest.dependencies ?? {})) {
    if ((dependency.startsWith('@fedmcp/') || dependency === 'fedmcp') && range !== version) {
      problems.push(`depends on ${dependency}@${range}, not the lockstep version ${version}`);
    }
  }
  return problems;
}

const importPatterns = [
  // Static imports and re-exports (one line or several), bare imports, dynamic imports.
  /^\s*(?:import|export)\s[^'"`;]*?\sfrom\s*['"]([^'"]+)['"]/gm,
  /^\s*import\s*['"]([^'"]+)['"]/gm,
  /\bimport\(\s*['"]([^'"]+)['"]\s*\)/g,
];

/**
 * The packages that a tarball's dist/ imports (JavaScript and declarations) without declaring
 * them in `dependencies` or `peerDependencies`: npm's hoisting hides them, a strict installer
 * (pnpm, Yarn PnP) or a consumer's type check does not.
 */
function undeclaredImports(directory, manifest) {
  const declared = new Set([
    manifest.name,
    ...Object.keys(manifest.dependencies ?? {}),
    ...Object.keys(manifest.peerDependencies ?? {}),
  ]);
  const found = new Set();
  const files = readdirSync(join(directory, 'dist'), { recursive: true }).filter((file) =>
    /\.(js|d\.ts)$/.test(file),
  );
  for (const file of files) {
    const text = readFileSync(join(directory, 'dist', file), 'utf8');
    for (const pattern of importPatterns) {
      for (const [, specifier] of text.matchAll(pattern)) {
        if (specifier.startsWith('.') || specifier.startsWith('node:')) continue;
        const parts = specifier.split('/');
        const name = specifier.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0];
        if (!declared.has(name) && !builtinModules.includes(name))
          found.add(`${name} (dist/${file})`);
      }
    }
  }
  return [...found];
}

/** Resolves with the hub's base URL once `fedmcp serve` prints it. */
function startServe(project, env) {
  const child = spawn(
    'npx',
    ['--no-install', 'fedmcp', 'serve', '--config', 'fedmcp.config.json', '--log-level', 'warn'],
    { cwd: project, env, stdio: ['ignore', 'pipe', 'pipe'], detached: true },
  );
  running.add(child);
  let output = '';
  const url = new Promise((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`no "serving at" line within 60s:\n${output}`)),
      60_000,
    );
    const onData = (chunk) => {
      output += chunk;
      const match = /serving at (http:\/\/\S+)/.exec(output);
      if (match) {
        clearTimeout(timer);
        resolve(match[1]);
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      running.delete(child);
      reject(new Error(`fedmcp serve exited with ${signal ?? code} before serving:\n${output}`));
    });
  });
  const exited = new Promise((resolve) => child.on('close', resolve));
  return { child, url, exited, output: () => output };
}

async function waitForHealth(url, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  let last = 'no answer';
  while (Date.now() < deadline) {
    try {
      const response = await fetch(`${url}/healthz`, { signal: AbortSignal.timeout(2_000) });
      last = `HTTP ${response.status} ${await response.text()}`;
      if (response.status === 200) return last;
    } catch (error) {
      last = error.message;
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  fail(`GET ${url}/healthz did not answer 200 within ${timeoutMs / 1000}s (last: ${last})`);
}

async function main() {
  const packages = publicPackages();
  const versions = new Set(packages.map(({ manifest }) => manifest.version));
  if (versions.size !== 1) {
    fail(`public packages must version in lockstep, found ${[...versions].join(', ')}`);
  }
  const [version] = versions;
  console.log(`fedmcp ${version}: ${packages.map(({ manifest }) => manifest.name).join(', ')}`);

  const temp = await mkdtemp(join(tmpdir(), 'fedmcp-pack-check-'));
  temps.push(temp);
  const tarballs = join(temp, 'tarballs');
  const project = join(temp, 'project');
  let serve;
  try {
    if (!flags.has('--skip-build')) {
      await step('build (turbo, cached when dist/ is current)', () =>
        run(pnpm[0], [...pnpm.slice(1), 'build']),
      );
    }

    await step(`pnpm pack ${packages.length} packages into ${tarballs}`, async () => {
      await mkdir(tarballs);
      const filters = packages.flatMap(({ directory }) => [
        '--filter',
        `./${relative(root, directory)}`,
      ]);
      await run(pnpm[0], [
        ...pnpm.slice(1),
        '-r',
        ...filters,
        'pack',
        '--pack-destination',
        tarballs,
      ]);
      for (const { manifest } of packages) {
        const file = join(tarballs, tarballName(manifest));
        if (!existsSync(file)) fail(`pnpm pack wrote no ${file}`);
      }
    });

    await step(
      'published manifests: no devDependencies, workspace: ranges, src/ or undeclared imports',
      async () => {
        const problems = [];
        for (const { manifest } of packages) {
          const file = join(tarballs, tarballName(manifest));
          const unpacked = join(temp, 'unpacked', tarballName(manifest));
          await mkdir(unpacked, { recursive: true });
          await run('tar', ['-xzf', file, '-C', unpacked]);
          const packed = JSON.parse(
            readFileSync(join(unpacked, 'package', 'package.json'), 'utf8'),
          );
          for (const problem of checkPublishedManifest(packed, version)) {
            problems.push(`${manifest.name}: ${problem}`);
          }
          for (const name of undeclaredImports(join(unpacked, 'package'), packed)) {
            problems.push(`${manifest.name}: imports ${name}, not in its dependencies`);
          }
        }
        if (problems.length > 0) fail(problems.join('\n'));
      },
    );

    await step('publint --strict and attw --profile esm-only on every tarball', async () => {
      const failures = [];
      await eachLimited(packages, 2, async ({ manifest }) => {
        const file = join(tarballs, tarballName(manifest));
        const checks = [
          ['publint', ['run', '--strict', file]],
          ['attw', ['--profile', 'esm-only', '--format', 'table-flipped', '--no-color', file]],
        ];
        for (const [tool, args] of checks) {
          await run(bin(tool), args).then(
            () => console.log(`    ${manifest.name}: ${tool} ok`),
            (error) => failures.push(`${manifest.name}: ${tool}\n${error.message}`),
          );
        }
      });
      if (failures.length > 0) fail(failures.join('\n\n'));
    });

    const npmEnvironment = cleanEnvironment();
    await step(
      `npm install fedmcp @fedmcp/federation from the tarballs in ${project}`,
      async () => {
        await mkdir(project);
        const direct = ['fedmcp', '@fedmcp/federation'];
        const fileSpec = (manifest) => `file:${join(tarballs, tarballName(manifest))}`;
        const byName = new Map(packages.map(({ manifest }) => [manifest.name, manifest]));
        const manifest = {
          name: 'fedmcp-pack-check',
          private: true,
          type: 'module',
          dependencies: Object.fromEntries(
            direct.map((name) => [name, fileSpec(byName.get(name))]),
          ),
          // Every other @fedmcp/* package from its tarball too, never from the registry.
          overrides: Object.fromEntries(
            packages.map(({ manifest: { name } }) => [
              name,
              direct.includes(name) ? `$${name}` : fileSpec(byName.get(name)),
            ]),
          ),
        };
        await writeFile(join(project, 'package.json'), `${JSON.stringify(manifest, null, 2)}\n`);
        await run(
          'npm',
          ['install', '--prefer-offline', '--no-audit', '--no-fund', '--loglevel=error'],
          { cwd: project, env: npmEnvironment },
        );
        // Each @fedmcp/* package installed once, at the lockstep version, from the tarballs.
        const lock = JSON.parse(readFileSync(join(project, 'package-lock.json'), 'utf8'));
        const installed = Object.entries(lock.packages).filter(([path]) =>
          /node_modules\/(@fedmcp\/[^/]+|fedmcp)$/.test(path),
        );
        for (const [path, entry] of installed) {
          if (!/^node_modules\/(@fedmcp\/[^/]+|fedmcp)$/.test(path)) fail(`nested copy: ${path}`);
          if (entry.version !== version) fail(`${path} is ${entry.version}, expected ${version}`);
          if (!String(entry.resolved).startsWith('file:')) {
            fail(`${path} came from ${entry.resolved}, not from a tarball`);
          }
        }
        console.log(`    ${installed.length} @fedmcp packages from tarballs`);
      },
    );

    await step('npx fedmcp --version', async () => {
      const printed = (
        await run('npx', ['--no-install', 'fedmcp', '--version'], {
          cwd: project,
          env: npmEnvironment,
        })
      ).trim();
      if (printed !== version) fail(`printed "${printed}", expected "${version}"`);
      console.log(`    ${printed}`);
    });

    const served = await step(
      'npx fedmcp serve on 127.0.0.1, port 0, until /healthz is 200',
      async () => {
        const config = {
          hub: { name: 'pack-check', host: '127.0.0.1', port: 0, dataDir: './.fedmcp' },
        };
        await writeFile(
          join(project, 'fedmcp.config.json'),
          `${JSON.stringify(config, null, 2)}\n`,
        );
        serve = startServe(project, npmEnvironment);
        const url = await serve.url;
        console.log(`    ${url}/healthz: ${await waitForHealth(url, 60_000)}`);
        return url;
      },
    );

    await step(
      'library example (scripts/pack-check/library-example.mjs): a hub with an upstream and a peer',
      async () => {
        const example = join(root, 'scripts', 'pack-check', 'library-example.mjs');
        const code = readFileSync(example, 'utf8')
          .split('\n')
          .filter((line) => line.trim() !== '' && !line.trim().startsWith('//'));
        if (code.length > 15) fail(`the example has ${code.length} lines of code, keep it to 15`);
        await copyFile(example, join(project, 'example.mjs'));
        const printed = (
          await run('node', ['example.mjs', `${served}/mcp`], {
            cwd: project,
            env: npmEnvironment,
            timeoutMs: 60_000,
          })
        ).trim();
        console.log(`    ${printed}`);
        for (const expected of [`(fedmcp ${version}) ready`, 'served: ready', 'b: ready']) {
          if (!printed.includes(expected)) fail(`the example printed no "${expected}"`);
        }
      },
    );

    await step('stop fedmcp serve (SIGTERM), /healthz no longer answers', async () => {
      stop(serve.child, 'SIGTERM');
      const timer = setTimeout(() => stop(serve.child, 'SIGKILL'), 10_000);
      // npx leaves on the signal itself; the hub under it closes and exits.
      const code = await serve.exited;
      clearTimeout(timer);
      if (code !== 0 && code !== null) {
        fail(`fedmcp serve exited with ${code} on SIGTERM:\n${serve.output()}`);
      }
      const deadline = Date.now() + 10_000;
      while (
        await fetch(`${served}/healthz`).then(
          () => true,
          () => false,
        )
      ) {
        if (Date.now() > deadline) fail(`${served}/healthz still answers 10s after SIGTERM`);
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
    });
  } finally {
    for (const child of running) stop(child, 'SIGKILL');
    // The hub's node process outlives npx if npx died first: its process group goes too.
    if (serve) stop(serve.child, 'SIGKILL');
    if (flags.has('--keep')) {
      console.log(`--- kept ${temp}`);
    } else {
      await rm(temp, { recursive: true, force: true, maxRetries: 3 });
    }
  }
  console.log(`--- pack check ok (${seconds(started)})`);
}

for (const signal of ['SIGINT', 'SIGTERM']) {
  process.once(signal, () => {
    for (const child of running) stop(child, 'SIGKILL');
    if (!flags.has('--keep')) {
      for (const temp of temps) rmSync(temp, { recursive: true, force: true });
    }
    process.exit(1);
  });
}

main().catch((error) => {
  console.error(`--- pack check FAILED (${seconds(started)})\n${error.message}`);
  process.exitCode = 1;
});
