/**
 * Bundles `fedmcp-launcher.ts` with the fedmcp packages compiled from source (export condition
 * `@fedmcp/source`) into one ESM file, so the fedmcp contender runs as plain `node` like the other
 * contenders: no TypeScript loader (tsx adds ~50 MB RSS and an esbuild child process), no stale
 * `dist/`. Third-party packages stay external, imported by their resolved absolute paths.
 */
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { build, type Plugin } from 'esbuild';

const externalDependencies: Plugin = {
  name: 'external-dependencies',
  setup(builder) {
    builder.onResolve({ filter: /^[^./]/ }, async (args) => {
      if (args.path.startsWith('@fedmcp/') || args.path.startsWith('node:')) return undefined;
      if (args.pluginData === 'resolving') return undefined;
      const resolved = await builder.resolve(args.path, {
        kind: args.kind,
        importer: args.importer,
        resolveDir: args.resolveDir,
        pluginData: 'resolving',
      });
      if (resolved.errors.length > 0) return { errors: resolved.errors };
      // Builtins (resolved without a path) stay as written.
      if (!resolved.path.startsWith('/')) return { path: args.path, external: true };
      return { path: resolved.path, external: true };
    });
  },
};

/** Options of {@link buildLauncher}. */
export interface BuildLauncherOptions {
  /** The launcher's source. @default this folder's fedmcp-launcher.ts */
  entry?: URL;
  /** The bundle to write. @default this folder's .build/fedmcp-launcher.mjs */
  outfile?: URL;
}

/** Builds a launcher (by default the gateway bench's); returns the path of the bundle. */
export async function buildLauncher(options: BuildLauncherOptions = {}): Promise<string> {
  const outfile = (options.outfile ?? new URL('./.build/fedmcp-launcher.mjs', import.meta.url))
    .pathname;
  mkdirSync(dirname(outfile), { recursive: true });
  await build({
    entryPoints: [(options.entry ?? new URL('./fedmcp-launcher.ts', import.meta.url)).pathname],
    outfile,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    conditions: ['@fedmcp/source'],
    sourcemap: 'linked',
    logLevel: 'warning',
    plugins: [externalDependencies],
  });
  return outfile;
}
