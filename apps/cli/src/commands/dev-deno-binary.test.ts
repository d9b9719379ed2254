// Where `fedmcp dev --runtime deno` finds Deno on each platform the deno npm package ships, and
// what it says when there is none; on this machine, the binary it finds runs.
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DenoNotFoundError, denoTarget, findDenoBinary } from './dev-deno-binary.js';

const root = '/n/node_modules';
/** A resolver over a fake node_modules holding `deno` and the given platform packages. */
function fakeInstall(platformPackages: string[], copied = false) {
  const files = new Set<string>();
  for (const name of platformPackages) {
    files.add(join(root, '@deno', name, name.startsWith('win32') ? 'deno.exe' : 'deno'));
  }
  if (copied) files.add(join(root, 'deno', 'deno'));
  return {
    resolve: (specifier: string) => {
      if (specifier === 'deno/package.json') return join(root, 'deno', 'package.json');
      const name = /^@deno\/([^/]+)\/package\.json$/.exec(specifier)?.[1];
      if (name && platformPackages.includes(name)) return join(root, '@deno', name, 'package.json');
      throw new Error(`Cannot find module ${specifier}`);
    },
    exists: (path: string) => files.has(path),
    path: '',
  };
}

describe('findDenoBinary', () => {
  it.each([
    ['linux', 'x64', 'linux-x64-glibc', 'deno'],
    ['linux', 'arm64', 'linux-arm64-glibc', 'deno'],
    ['darwin', 'x64', 'darwin-x64', 'deno'],
    ['darwin', 'arm64', 'darwin-arm64', 'deno'],
    ['win32', 'x64', 'win32-x64', 'deno.exe'],
    ['win32', 'arm64', 'win32-arm64', 'deno.exe'],
  ])('finds the binary of the deno package on %s-%s', (platform, arch, target, file) => {
    const found = findDenoBinary({ platform, arch, musl: false, ...fakeInstall([target]) });
    expect(found).toBe(join(root, '@deno', target, file));
  });

  it('prefers the copy the deno postinstall makes', () => {
    const found = findDenoBinary({
      platform: 'linux',
      arch: 'x64',
      musl: false,
      ...fakeInstall(['linux-x64-glibc'], true),
    });
    expect(found).toBe(join(root, 'deno', 'deno'));
  });

  it('falls back to a deno on PATH', () => {
    const install = fakeInstall([]);
    const found = findDenoBinary({
      platform: 'darwin',
      arch: 'arm64',
      ...install,
      exists: (path) => path === '/opt/deno/bin/deno',
      path: ['/usr/bin', '/opt/deno/bin'].join(':'),
    });
    expect(found).toBe('/opt/deno/bin/deno');
  });

  it('says which package to install when the platform package is missing', () => {
    expect(() => findDenoBinary({ platform: 'darwin', arch: 'arm64', ...fakeInstall([]) })).toThrow(
      /npm i -D deno, which brings @deno\/darwin-arm64/,
    );
  });

  it('says to install Deno itself where the npm package has no binary (musl, other systems)', () => {
    expect(denoTarget('linux', 'x64', true)).toBeUndefined();
    for (const [platform, arch, musl] of [
      ['linux', 'x64', true],
      ['freebsd', 'x64', false],
      ['linux', 'ia32', false],
    ] as const) {
      let error: unknown;
      try {
        findDenoBinary({ platform, arch, musl, ...fakeInstall([]) });
      } catch (caught) {
        error = caught;
      }
      expect(error).toBeInstanceOf(DenoNotFoundError);
      expect((error as Error).message).toMatch(
        /has no binary for .*install Deno from https:\/\/docs\.deno\.com.*--runtime workerd/,
      );
    }
  });

  it('finds a Deno that runs on this machine', () => {
    const binary = findDenoBinary();
    expect(execFileSync(binary, ['--version'], { encoding: 'utf8' })).toMatch(/^deno \d+\.\d+/);
  });
});
