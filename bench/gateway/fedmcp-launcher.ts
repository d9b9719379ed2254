/**
 * Runs a fedmcp hub for the gateway benchmark in its own process: `createFedmcpServer` from a
 * config file, serving on 127.0.0.1 with an ephemeral port. Prints `LISTENING <port>` once
 * `/readyz` would answer 200 (every upstream ready). SIGTERM closes the hub (and its upstream
 * children) and exits normally, so `--cpu-prof` writes its profile.
 *   node fedmcp-launcher.mjs CONFIG.json   (bundled by hub.bench.ts; see build-launcher.ts)
 */
import { readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { createFedmcpServer, parseConfig } from '@fedmcp/server';

const file = process.argv[2];
if (!file) throw new Error('usage: fedmcp-launcher CONFIG.json');
const config = parseConfig(JSON.parse(readFileSync(file, 'utf8')), file);
const server = await createFedmcpServer({
  config: { ...config, hub: { ...config.hub, host: '127.0.0.1', port: 0 } },
  // Relative paths of the config (the data directory of the SQLite store) start beside it.
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
process.stdout.write(`LISTENING ${port}\n`);
for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.once(signal, () => {
    server.close().finally(() => process.exit(0));
  });
}
