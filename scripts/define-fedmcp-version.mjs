// Preload for running fedmcp from source (`pnpm fedmcp`, with `--import tsx`): tsx has no `define`,
// so this sets the global that tsup and vitest inject as `__FEDMCP_VERSION__` at compile time
// (packages/protocol/src/version.ts reads it with `typeof`).
import { readFileSync } from 'node:fs';

const manifest = new URL('../packages/protocol/package.json', import.meta.url);
globalThis.__FEDMCP_VERSION__ = JSON.parse(readFileSync(manifest, 'utf8')).version;
