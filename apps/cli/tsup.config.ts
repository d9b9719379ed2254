import { defineConfig } from 'tsup';

export default defineConfig({
  // dev-hub-entry / deploy-hub-entry: the modules `fedmcp dev` and `fedmcp deploy` bundle for
  // workerd and Deno.
  entry: [
    'src/index.ts',
    'src/bin.ts',
    'src/commands/dev-hub-entry.ts',
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
