import { defineConfig } from 'tsup';

export default defineConfig({
  // deploy-hub-entry / deploy-hub-function: the modules `fedmcp deploy` bundles for workerd and
  // Deno, and `fedmcp dev` runs locally.
  entry: [
    'src/index.ts',
    'src/bin.ts',
    'src/commands/deploy-hub-entry.ts',
    'src/commands/deploy-hub-function.ts',
  ],
  format: ['esm'],
  target: 'node20',
  dts: true,
  clean: true,
  sourcemap: true,
  splitting: true,
});
