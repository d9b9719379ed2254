/**
 * Source-first resolution for tests: sibling packages resolve to their `src/index.ts`
 * through the `@fedmcp/source` export condition, so tests never wait for a build.
 */
export const sourceConditions = {
  resolve: { conditions: ['@fedmcp/source', 'module', 'node', 'import', 'default'] },
  ssr: {
    resolve: {
      conditions: ['@fedmcp/source', 'node', 'import', 'default'],
      externalConditions: ['@fedmcp/source'],
    },
  },
};
