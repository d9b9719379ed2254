import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { listPackages, listSourceFiles, relativeToRoot } from './workspace.js';

/**
 * The direction of dependencies from ../shared/ARCHITECTURE.md. Each package may import the
 * packages listed here and, transitively, what those may import.
 *
 * One deliberate addition to the picture: proxy-auth → store, because consents, audit events
 * and rate-limit counters live in the store (issue 6 and 7).
 */
const directEdges: Record<string, string[]> = {
  fedmcp: ['@fedmcp/server', '@fedmcp/edge-providers'],
  '@fedmcp/server': ['@fedmcp/federation', '@fedmcp/runtime-features', '@fedmcp/edge-providers'],
  '@fedmcp/federation': [
    '@fedmcp/transports',
    '@fedmcp/proxy-auth',
    '@fedmcp/store',
    '@fedmcp/protocol',
  ],
  '@fedmcp/transports': ['@fedmcp/protocol'],
  '@fedmcp/proxy-auth': ['@fedmcp/protocol', '@fedmcp/store'],
  '@fedmcp/runtime-features': ['@fedmcp/store', '@fedmcp/protocol'],
  '@fedmcp/edge-providers': [],
  // For the one Logger type; protocol does no I/O and depends on nothing of ours (acyclic).
  '@fedmcp/store': ['@fedmcp/protocol'],
  '@fedmcp/protocol': [],
};

function reachable(name: string, seen = new Set<string>()): Set<string> {
  for (const next of directEdges[name] ?? []) {
    if (!seen.has(next)) {
      seen.add(next);
      reachable(next, seen);
    }
  }
  return seen;
}

const importPattern =
  /(?:^|[\s;])(?:import|export)\s[^'"]*?from\s*['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/g;

/**
 * Test code: test files and the fixtures beside them (`*.fixtures.ts`, `*-fixture(s).ts`, files
 * under a `test/` or `fixtures/` folder). Shipped code never imports it (checked below).
 */
function isTestCode(file: string): boolean {
  return /\.test\.ts$|[.-]fixtures?\.ts$|\/test\/|\/fixtures\//.test(file);
}

function importsOf(file: string): string[] {
  // Examples inside TSDoc comments are not imports.
  const text = readFileSync(file, 'utf8')
    .replace(/\/\*[\s\S]*?\*\//g, '')
    .replace(/^\s*\/\/.*$/gm, '');
  return [...text.matchAll(importPattern)].map((match) => (match[1] ?? match[2]) as string);
}

const packages = listPackages();

describe('dependency direction', () => {
  it('knows every workspace package', () => {
    expect(packages.map((entry) => entry.name).sort()).toEqual(Object.keys(directEdges).sort());
  });

  for (const entry of packages) {
    const allowed = reachable(entry.name);

    it(`${entry.name} declares only allowed internal dependencies`, () => {
      const declared = Object.keys(entry.manifest.dependencies ?? {}).filter(
        (name) => name.startsWith('@fedmcp/') || name === 'fedmcp',
      );
      expect(declared.filter((name) => !allowed.has(name))).toEqual([]);
    });

    it(`${entry.name} imports only allowed packages and never another package's files`, () => {
      const violations: string[] = [];
      for (const file of listSourceFiles(entry.directory)) {
        for (const specifier of importsOf(file)) {
          const internal = specifier.match(/^(@fedmcp\/[a-z-]+|fedmcp)(\/.*)?$/);
          if (internal) {
            const [, name, subpath] = internal;
            if (name === '@fedmcp/test-support') {
              // Shared test fixtures: for tests only, never for shipped code.
              if (!isTestCode(file)) {
                violations.push(`${relativeToRoot(file)} imports ${specifier} (test code)`);
              }
              continue;
            }
            if (name !== entry.name && !allowed.has(name as string)) {
              violations.push(
                `${relativeToRoot(file)} imports ${specifier} (against the blueprint)`,
              );
            }
            // A subpath is public when the package's manifest exports it.
            const target = packages.find((candidate) => candidate.name === name);
            const exported = Object.keys(
              (target?.manifest as { exports?: Record<string, unknown> } | undefined)?.exports ??
                {},
            );
            if (subpath && subpath !== '/node' && !exported.includes(`.${subpath}`)) {
              violations.push(`${relativeToRoot(file)} imports ${specifier} (not a public entry)`);
            }
          } else if (specifier.startsWith('.')) {
            const target = resolve(dirname(file), specifier);
            if (!target.startsWith(entry.directory)) {
              violations.push(`${relativeToRoot(file)} imports ${specifier} (outside its package)`);
            }
            if (!isTestCode(file) && isTestCode(target.replace(/\.js$/, '.ts'))) {
              violations.push(`${relativeToRoot(file)} imports ${specifier} (test code)`);
            }
          }
        }
      }
      expect(violations).toEqual([]);
    });
  }

  it('the root entry of a package stays free of node: imports (web-standard core)', () => {
    const violations: string[] = [];
    for (const entry of packages.filter((item) => item.directory.includes('/packages/'))) {
      for (const file of listSourceFiles(entry.directory)) {
        if (file.includes('/src/node/') || /\.test\.ts$/.test(file)) continue;
        for (const specifier of importsOf(file)) {
          if (
            specifier.startsWith('node:') ||
            ['ws', 'better-sqlite3', 'ioredis', 'express'].includes(specifier)
          ) {
            violations.push(`${relativeToRoot(file)} imports ${specifier}`);
          }
        }
      }
    }
    expect(violations).toEqual([]);
  });
});
