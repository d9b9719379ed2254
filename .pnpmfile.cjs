// pnpm hooks for this workspace. Only `beforePacking` (pnpm >= 10.28): the manifest that
// `pnpm pack` / `pnpm publish` puts in a tarball, without touching the package.json on disk.
'use strict';

/** Drops from each `exports` entry the `@fedmcp/source` condition, which points at `src/`. */
function withoutSourceCondition(exports) {
  if (exports === null || typeof exports !== 'object' || Array.isArray(exports)) return exports;
  const result = {};
  for (const [key, value] of Object.entries(exports)) {
    if (key === '@fedmcp/source') continue;
    result[key] = withoutSourceCondition(value);
  }
  return result;
}

module.exports = {
  hooks: {
    /**
     * A published manifest keeps what consumers resolve and install, nothing the workspace
     * needs: no devDependencies (the private `@fedmcp/test-support` among them) and no
     * `@fedmcp/source` export condition (`src/` is not in the tarball: a consumer that set the
     * condition would resolve to files that do not exist).
     */
    beforePacking(manifest) {
      delete manifest.devDependencies;
      if (manifest.exports !== undefined) {
        manifest.exports = withoutSourceCondition(manifest.exports);
      }
      return manifest;
    },
  },
};
