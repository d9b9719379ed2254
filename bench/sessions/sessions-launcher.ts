/**
 * Runs a fedmcp hub for the idle-sessions benchmark in its own process, as the gateway bench's
 * launcher does (`createFedmcpServer` from a config file on 127.0.0.1, ephemeral port), and
 * answers commands on stdin, one per line, so the bench reads the hub's own memory:
 *
 * - `memory`: runs a full garbage collection (the process runs with `--expose-gc`) and prints
 *   `MEMORY <json of process.memoryUsage()>`;
 * - `snapshot <file>`: writes a V8 heap snapshot there and prints `SNAPSHOT <file>`.
 *
 * Prints `LISTENING <port>` once every upstream is ready. SIGTERM closes the hub and exits.
 *   node --expose-gc sessions-launcher.mjs CONFIG.json   (bundled by sessions.bench.ts)
 */
import { readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { createInterface } from 'node:readline';
import { writeHeapSnapshot } from 'node:v8';
import { createFedmcpServer, parseConfig } from '@fedmcp/server';

const file = process.argv[2];
if (!file) throw new Error('usage: sessions-launcher CONFIG.json');
const config = parseConfig(JSON.parse(readFileSync(file, 'utf8')), file);
const server = await createFedmcpServer({
  config: { ...config, hub: { ...config.hub, host: '127.0.0.1', port: 0 } },
  baseDirectory: dirname(file),
});
const { port } = await server.listen();
const deadline = Date.now() + 60_000;
while (server.upstreams().some((upstream) => upstream.state !== 'ready')) {
  if (Date.now() > deadline) {
    process.stderr.write(`upstreams not ready: ${JSON.stringify(server.upstreams())}\n`);
    process.exit(1);
  }
  await new Promise((resolve) => setTimeout(resolve, 50));
}

const collect = (globalThis as { gc?: () => void }).gc;
function fullCollection(): void {
  if (!collect) throw new Error('run the launcher with --expose-gc');
  // Twice: the first pass may only unlink what the second frees (weak references, finalizers).
  collect();
  collect();
}

createInterface({ input: process.stdin }).on('line', (line) => {
  const [command, argument] = line.trim().split(/\s+/, 2);
  if (command === 'memory') {
    fullCollection();
    process.stdout.write(`MEMORY ${JSON.stringify(process.memoryUsage())}\n`);
  } else if (command === 'snapshot' && argument) {
    fullCollection();
    writeHeapSnapshot(argument);
    process.stdout.write(`SNAPSHOT ${argument}\n`);
  } else {
    process.stderr.write(`unknown command: ${line}\n`);
  }
});
process.stdout.write(`LISTENING ${port}\n`);
for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.once(signal, () => {
    server.close().finally(() => process.exit(0));
  });
}
