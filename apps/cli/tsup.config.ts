import { defineConfig } from 'tsup';

export default defineConfig({
  // dev-hub-entry: the module `fedmcp dev` bundles for workerd and Deno.
  entry: ['src/index.ts', 'src/bin.ts', 'src/commands/dev-hub-entry.ts'],
  format: ['esm'],
  target: 'node20',
  dts: true,
  clean: true,
  sourcemap: true,
  splitting: true,
});
