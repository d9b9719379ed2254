/**
 * Bundles `@fedmcp/server` (apps/server/src/index.ts and the fedmcp packages it imports, from
 * source) as another copy that federation-hops.bench.ts loads beside the current one, so two
 * versions of the hub run in one process, their calls interleaved one by one (issue #18: compare
 * in one run, never one run against another):
 * - `commit`: the sources of that commit (`git archive` into a directory outside the repository);
 * - `sdkPeerCalls`: the current sources with every request to a peer sent through the SDK client
 *   (`createPeerConnector`'s `directCalls` defaulting to `false`), the path before
 *   peers/direct-peer-calls.ts.
 * Third-party packages stay external, imported from this repository's node_modules (the same
 * copies the current hubs use).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join, relative } from 'node:path';
import { build, type Plugin } from 'esbuild';

const repository = new URL('../../', import.meta.url).pathname.replace(/\/$/, '');

/** Options of {@link buildHubVariant}. */
export interface HubVariantOptions {
  /** Bundle the sources of this commit. @default the working tree */
  commit?: string;
  /** Peer requests through the SDK client only (see the file comment). @default false */
  sdkPeerCalls?: boolean;
  /** Where the bundle (and a commit's tree) go. @default a directory under the OS temp dir */
  directory?: string;
}

/** Builds a variant (see the file comment) and returns the path of its ESM bundle. */
export async function buildHubVariant(options: HubVariantOptions): Promise<string> {
  const name = options.commit ?? (options.sdkPeerCalls ? 'sdk-peer-calls' : 'working-tree');
  const directory = options.directory ?? join('/tmp', `fedmcp-hops-variant-${name}`);
  mkdirSync(directory, { recursive: true });
  let root = repository;
  if (options.commit) {
    const sha = execFileSync('git', [
      '-C',
      repository,
      'rev-parse',
      '--verify',
      `${options.commit}^{commit}`,
    ])
      .toString()
      .trim();
    root = join(directory, sha);
    if (!existsSync(root)) {
      mkdirSync(root, { recursive: true });
      const archive = execFileSync(
        'git',
        [
          '-C',
          repository,
          'archive',
          '--format=tar',
          sha,
          'tsconfig.base.json',
          'packages',
          'apps/server',
        ],
        {
          maxBuffer: 1 << 30,
        },
      );
      execFileSync('tar', ['-x', '-C', root], { input: archive });
    }
  }
  const outfile = join(directory, 'server.mjs');
  rmSync(outfile, { force: true });
  const packageDirectory = (id: string) =>
    id === 'server' ? join(root, 'apps/server') : join(root, 'packages', id);

  const resolution: Plugin = {
    name: 'fedmcp-variant',
    setup(builder) {
      // @fedmcp/* from the variant's tree, through its package's `@fedmcp/source` export.
      builder.onResolve({ filter: /^@fedmcp\// }, (args) => {
        const [, id, ...rest] = args.path.split('/');
        const manifest = join(packageDirectory(id as string), 'package.json');
        if (!existsSync(manifest)) return undefined;
        const exports = JSON.parse(readFileSync(manifest, 'utf8')).exports as Record<
          string,
          Record<string, string>
        >;
        const entry = exports[rest.length === 0 ? '.' : `./${rest.join('/')}`]?.['@fedmcp/source'];
        if (!entry) return { errors: [{ text: `no source export for ${args.path}` }] };
        return { path: join(packageDirectory(id as string), entry) };
      });
      // Everything else that is not relative: external, resolved as from this repository.
      builder.onResolve({ filter: /^[^./]/ }, async (args) => {
        if (args.path.startsWith('node:') || args.pluginData === 'resolving') return undefined;
        const resolveDir = args.resolveDir.startsWith(root)
          ? join(repository, relative(root, args.resolveDir))
          : args.resolveDir;
        const resolved = await builder.resolve(args.path, {
          kind: args.kind,
          importer: args.importer,
          resolveDir,
          pluginData: 'resolving',
        });
        if (resolved.errors.length > 0) return { errors: resolved.errors };
        if (!resolved.path.startsWith('/')) return { path: args.path, external: true };
        return { path: resolved.path, external: true };
      });
      if (options.sdkPeerCalls) {
        builder.onLoad({ filter: /peers\/create-peer-connector\.ts$/ }, (args) => {
          const source = readFileSync(args.path, 'utf8');
          const flipped = source.replace(
            'options.directCalls === false',
            'options.directCalls !== true',
          );
          if (flipped === source) {
            return { errors: [{ text: 'create-peer-connector.ts has no directCalls switch' }] };
          }
          return { contents: flipped, loader: 'ts' };
        });
      }
    },
  };
  await build({
    entryPoints: [join(root, 'apps/server/src/index.ts')],
    outfile,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    conditions: ['@fedmcp/source'],
    logLevel: 'warning',
    plugins: [resolution],
  });
  return outfile;
}
