import { defineConfig } from 'tsup';

export default defineConfig({
  // admin/index: `@fedmcp/server/admin`, the web-standard admin API the edge hub bundles.
  entry: ['src/index.ts', 'src/admin/index.ts'],
  format: ['esm'],
  target: 'node20',
  dts: true,
  clean: true,
  sourcemap: true,
  splitting: true,
});
