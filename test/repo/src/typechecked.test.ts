import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { describe, expect, it } from 'vitest';
import { relativeToRoot, repositoryRoot } from './workspace.js';

/**
 * `pnpm typecheck` (turbo) runs each workspace member's `typecheck` script: a member whose
 * TypeScript no tsconfig includes is never checked, and breaks only when someone runs it. Every
 * member with `.ts` files — packages, apps, the test suites, `bench/` and the examples — has the
 * script, and its tsconfig includes every one of those files.
 */
const skipped = new Set(['node_modules', 'dist', '.build', '.turbo', 'coverage']);

function workspaceMembers(): string[] {
  const globs = readFileSync(join(repositoryRoot, 'pnpm-workspace.yaml'), 'utf8')
    .split('\n')
    .map((line) => /^\s+-\s+['"]?([^'"]+)['"]?\s*$/.exec(line)?.[1])
    .filter((glob): glob is string => glob !== undefined);
  return globs.flatMap((glob) => {
    if (!glob.endsWith('/*')) return [join(repositoryRoot, glob)];
    const parent = join(repositoryRoot, glob.slice(0, -2));
    if (!existsSync(parent)) return [];
    return readdirSync(parent).map((entry) => join(parent, entry));
  });
}

function typeScriptFiles(directory: string): string[] {
  return readdirSync(directory).flatMap((entry) => {
    if (skipped.has(entry)) return [];
    const path = join(directory, entry);
    if (statSync(path).isDirectory()) return typeScriptFiles(path);
    return /\.(ts|mts|tsx)$/.test(entry) && !entry.endsWith('.d.ts') ? [path] : [];
  });
}

/** Whether a tsconfig `include` entry (`src`, `*.ts`, `**\/*.ts`) covers a member's file. */
function included(include: readonly string[], file: string): boolean {
  const parts = file.split(sep);
  return include.some((entry) => {
    if (entry === '**/*.ts' || entry === '**/*') return true;
    if (entry === '*.ts') return parts.length === 1 && file.endsWith('.ts');
    return parts.length > 1 && parts[0] === entry.replace(/\/$/, '');
  });
}

describe('every workspace member is typechecked', () => {
  const members = workspaceMembers().filter(
    (directory) =>
      existsSync(join(directory, 'package.json')) && typeScriptFiles(directory).length > 0,
  );

  it('finds the members that hold TypeScript, bench/ among them', () => {
    expect(members.map(relativeToRoot)).toEqual(
      expect.arrayContaining(['bench', 'packages/federation', 'apps/server', 'test/e2e']),
    );
  });

  it.each(members.map((directory) => [relativeToRoot(directory), directory]))(
    '%s has a typecheck script whose tsconfig includes all its TypeScript',
    (_name, directory) => {
      const manifest = JSON.parse(readFileSync(join(directory, 'package.json'), 'utf8'));
      expect(manifest.scripts?.typecheck).toBe('tsc -p tsconfig.json');
      const tsconfig = JSON.parse(readFileSync(join(directory, 'tsconfig.json'), 'utf8'));
      const include: string[] = tsconfig.include ?? [];
      const missed = typeScriptFiles(directory)
        .map((file) => relative(directory, file))
        .filter((file) => !included(include, file));
      expect(missed).toEqual([]);
    },
  );
});
