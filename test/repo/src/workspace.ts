/**
 * Reads the workspace: every publishable package, its manifest and its source files.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

export const repositoryRoot = fileURLToPath(new URL('../../../', import.meta.url));

export interface WorkspacePackage {
  name: string;
  directory: string;
  manifest: {
    name: string;
    exports?: Record<string, unknown>;
    dependencies?: Record<string, string>;
    devDependencies?: Record<string, string>;
  };
}

export function listPackages(): WorkspacePackage[] {
  return ['packages', 'apps'].flatMap((group) =>
    readdirSync(join(repositoryRoot, group)).map((entry) => {
      const directory = join(repositoryRoot, group, entry);
      const manifest = JSON.parse(readFileSync(join(directory, 'package.json'), 'utf8'));
      return { name: manifest.name as string, directory, manifest };
    }),
  );
}

export function listSourceFiles(directory: string): string[] {
  const source = join(directory, 'src');
  const walk = (path: string): string[] =>
    readdirSync(path).flatMap((entry) => {
      const child = join(path, entry);
      if (statSync(child).isDirectory()) return walk(child);
      return /\.(ts|mts|tsx)$/.test(entry) ? [child] : [];
    });
  return walk(source);
}

export function relativeToRoot(path: string): string {
  return relative(repositoryRoot, path);
}
