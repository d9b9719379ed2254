import { readFileSync } from 'node:fs';

/** The version of every fedmcp package (they version in lockstep), for `FEDMCP_VERSION`. */
const fedmcpVersion: string = JSON.parse(
  readFileSync(new URL('./packages/protocol/package.json', import.meta.url), 'utf8'),
).version;

/**
 * Source-first resolution for tests: sibling packages resolve to their `src/index.ts`
 * through the `@fedmcp/source` export condition, so tests never wait for a build.
 * `define` injects `FEDMCP_VERSION` as tsup does for `dist/`.
 */
export const sourceConditions = {
  define: { __FEDMCP_VERSION__: JSON.stringify(fedmcpVersion) },
  resolve: { conditions: ['@fedmcp/source', 'module', 'node', 'import', 'default'] },
  ssr: {
    resolve: {
      conditions: ['@fedmcp/source', 'node', 'import', 'default'],
      externalConditions: ['@fedmcp/source'],
    },
  },
};
