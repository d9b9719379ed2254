/**
 * Bundles `soak-launcher.ts` with the fedmcp packages compiled from source (export condition
 * `@fedmcp/source`) into `.build/soak-launcher.mjs`, so the hub runs on plain `node` (no
 * TypeScript loader in the measured process). Third-party packages stay external, imported by
 * their resolved absolute paths (as bench/gateway/build-launcher.ts does).
 */
import { mkdirSync } from 'node:fs';
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
      if (!resolved.path.startsWith('/')) return { path: args.path, external: true };
      return { path: resolved.path, external: true };
    });
  },
};

/** Builds the launcher; returns the path of the bundle. */
export async function buildSoakLauncher(): Promise<string> {
  const directory = new URL('./.build/', import.meta.url).pathname;
  mkdirSync(directory, { recursive: true });
  const outfile = `${directory}soak-launcher.mjs`;
  await build({
    entryPoints: [new URL('./soak-launcher.ts', import.meta.url).pathname],
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
