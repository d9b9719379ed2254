/**
 * The hub of the soak benchmark in its own process: `createFedmcpServer` from a config file on
 * 127.0.0.1 (ephemeral port), as `fedmcp serve` runs it. Prints `LISTENING <port>` once every
 * upstream is ready. Bench-only hooks over the IPC channel (none of this is in fedmcp itself):
 * `{ type: 'memory', gc: boolean }` answers `process.memoryUsage()`, after a full garbage
 * collection when asked and the process runs with `--expose-gc`; `{ type: 'ping' }` answers
 * `pong` (a heap snapshot written on SIGUSR2 blocks the process, so a pong means it is written).
 * SIGTERM closes the hub and exits.
 *   node --expose-gc --heapsnapshot-signal=SIGUSR2 soak-launcher.mjs CONFIG.json
 */
import { readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { createFedmcpServer, parseConfig } from '@fedmcp/server';

type Message = { type: 'memory'; gc?: boolean } | { type: 'ping' };

const file = process.argv[2];
if (!file) throw new Error('usage: soak-launcher CONFIG.json');
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
process.on('message', (message: Message) => {
  if (message.type === 'ping') {
    process.send?.({ type: 'pong' });
    return;
  }
  if (message.gc && collect) {
    // Twice: the first pass may only make weakly held objects collectable.
    collect();
    collect();
  }
  process.send?.({ type: 'memory', usage: process.memoryUsage(), collected: Boolean(collect) });
});
process.stdout.write(`LISTENING ${port}\n`);
for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.once(signal, () => {
    server.close().finally(() => process.exit(0));
  });
}
