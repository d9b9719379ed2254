/**
 * Where `fedmcp dev --runtime deno` finds Deno: the binary of the `deno` npm package for this
 * platform (its optional dependency `@deno/<platform>-<arch>[-glibc]`, or the copy its
 * postinstall makes, which npm 11 may skip), else a `deno` on `PATH`; otherwise an error that
 * says what to install.
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { delimiter, dirname, join } from 'node:path';

/** The platforms the `deno` npm package ships a binary for (its `optionalDependencies`). */
export const DENO_TARGETS = [
  'linux-x64-glibc',
  'linux-arm64-glibc',
  'darwin-x64',
  'darwin-arm64',
  'win32-x64',
  'win32-arm64',
] as const;

/** What {@link findDenoBinary} looks at; each part injectable for tests. */
export interface DenoLookup {
  /** @default process.platform */
  platform?: string;
  /** @default process.arch */
  arch?: string;
  /** Whether this Linux uses musl libc. @default detected from the process report */
  musl?: boolean;
  /** Resolves a module path the way the CLI's `require` does, throwing when it is missing. */
  resolve?: (specifier: string) => string;
  /** @default existsSync */
  exists?: (path: string) => boolean;
  /** The `PATH` to search last. @default process.env.PATH */
  path?: string | undefined;
}

function detectMusl(): boolean {
  const report = process.report?.getReport() as { header?: { glibcVersionRuntime?: string } };
  return report?.header?.glibcVersionRuntime === undefined;
}

/** The `@deno/…` package name for a platform, or undefined when the npm package has none. */
export function denoTarget(platform: string, arch: string, musl: boolean): string | undefined {
  const target =
    platform === 'linux' ? `linux-${arch}-${musl ? 'musl' : 'glibc'}` : `${platform}-${arch}`;
  return (DENO_TARGETS as readonly string[]).includes(target) ? target : undefined;
}

/** Deno could not be found; the message says what to install. */
export class DenoNotFoundError extends Error {
  override name = 'DenoNotFoundError';
}

/**
 * The path of a Deno executable for this machine.
 *
 * @throws {DenoNotFoundError} when neither the `deno` npm package nor `PATH` has one.
 */
export function findDenoBinary(lookup: DenoLookup = {}): string {
  const platform = lookup.platform ?? process.platform;
  const arch = lookup.arch ?? process.arch;
  const musl = platform === 'linux' ? (lookup.musl ?? detectMusl()) : false;
  const exists = lookup.exists ?? existsSync;
  const require = createRequire(import.meta.url);
  const resolve = lookup.resolve ?? ((specifier: string) => require.resolve(specifier));
  const file = platform === 'win32' ? 'deno.exe' : 'deno';
  const target = denoTarget(platform, arch, musl);

  let denoPackage: string | undefined;
  try {
    denoPackage = resolve('deno/package.json');
  } catch {}
  if (denoPackage !== undefined) {
    const candidates = [join(dirname(denoPackage), file)]; // the postinstall's copy
    if (target !== undefined) {
      try {
        // The platform package is a dependency of `deno`, resolved from there (pnpm's layout).
        const fromDeno = createRequire(denoPackage);
        const platformPackage = lookup.resolve
          ? lookup.resolve(`@deno/${target}/package.json`)
          : fromDeno.resolve(`@deno/${target}/package.json`);
        candidates.push(join(dirname(platformPackage), file));
      } catch {}
    }
    const found = candidates.find((candidate) => exists(candidate));
    if (found !== undefined) return found;
  }
  for (const directory of (lookup.path ?? process.env.PATH ?? '').split(delimiter)) {
    if (directory === '') continue;
    const candidate = join(directory, file);
    if (exists(candidate)) return candidate;
  }
  const here = `${platform}-${arch}${musl ? ' (musl)' : ''}`;
  throw new DenoNotFoundError(
    target === undefined
      ? `Deno is not found and the deno npm package has no binary for ${here}: install Deno from https://docs.deno.com/runtime/getting_started/installation/ and put it on PATH, or use --runtime workerd.`
      : `Deno is not found: install the deno npm package next to fedmcp (npm i -D deno, which brings @deno/${target}), or install Deno from https://docs.deno.com/runtime/getting_started/installation/ and put it on PATH.`,
  );
}
