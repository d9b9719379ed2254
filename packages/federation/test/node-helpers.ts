/** Node-only test helpers: the test upstream as a stdio child process. */
import { fileURLToPath } from 'node:url';

export const repositoryRoot = fileURLToPath(new URL('../../../', import.meta.url));
const fixture = fileURLToPath(new URL('./fixtures/test-upstream-stdio.ts', import.meta.url));

/** A minimal environment for child processes. */
export const minimalEnv = { PATH: process.env.PATH ?? '' };

/** The stdio spec of the test upstream named `name`. */
export function stdioFixture(name: string) {
  return {
    command: process.execPath,
    args: ['--conditions=@fedmcp/source', '--import', 'tsx', fixture, name],
    cwd: repositoryRoot,
    env: minimalEnv,
  };
}
