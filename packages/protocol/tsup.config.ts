import { defineConfig } from 'tsup';
import packageJson from './package.json' with { type: 'json' };

export default defineConfig({
  entry: ['src/index.ts'],
  format: ['esm'],
  target: 'node20',
  dts: true,
  clean: true,
  sourcemap: true,
  splitting: true,
  // FEDMCP_VERSION (src/version.ts): the package version, fixed at build time.
  define: { __FEDMCP_VERSION__: JSON.stringify(packageJson.version) },
});
