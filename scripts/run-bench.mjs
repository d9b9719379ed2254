#!/usr/bin/env node
// Runs every benchmark under bench/ (files named *.bench.ts), one after another, so their
// figures are not disturbed by each other. `pnpm bench [filter]` runs only the matching ones.
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const filter = process.argv[2];

function collect(directory) {
  return readdirSync(directory).flatMap((entry) => {
    const path = join(directory, entry);
    if (entry === 'node_modules') return [];
    if (statSync(path).isDirectory()) return collect(path);
    return entry.endsWith('.bench.ts') ? [path] : [];
  });
}

const files = collect(join(root, 'bench')).filter((file) => !filter || file.includes(filter));
if (files.length === 0) {
  process.stderr.write(`No benchmark matches "${filter ?? ''}" under bench/.\n`);
  process.exit(1);
}
let failed = 0;
for (const file of files) {
  process.stdout.write(`\n=== ${relative(root, file)} ===\n`);
  const result = spawnSync(
    process.execPath,
    // --expose-gc: a bench may collect its own heap between measurements (gateway/measure-calls.ts).
    ['--expose-gc', '--conditions=@fedmcp/source', '--import', 'tsx', file],
    { stdio: 'inherit', cwd: root },
  );
  if (result.status !== 0) failed += 1;
}
process.exit(failed === 0 ? 0 : 1);
