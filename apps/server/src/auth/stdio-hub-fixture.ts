/**
 * A test fixture run as a child process: `createFedmcpServer` from the config file named on the
 * command line, served over this process's stdin/stdout (`serveStdio`), closed when stdin ends.
 * Tests start it with `stdioHubCommand(configFile)`. Not exported from the package.
 */
import { fileURLToPath } from 'node:url';
import { loadConfig } from '../config/load-config.js';
import { createFedmcpServer } from '../create-fedmcp-server.js';

/** The command that runs this fixture with the sources of the workspace (tsx, source condition). */
export function stdioHubCommand(configFile: string): { command: string; args: string[] } {
  const root = fileURLToPath(new URL('../../../../', import.meta.url));
  return {
    command: process.execPath,
    args: [
      '--conditions=@fedmcp/source',
      '--import',
      `${root}node_modules/tsx/dist/esm/index.mjs`,
      fileURLToPath(import.meta.url),
      configFile,
    ],
  };
}

async function main(configFile: string): Promise<void> {
  const server = await createFedmcpServer({ config: await loadConfig(configFile) });
  const host = await server.serveStdio();
  await host.closed;
  await server.close();
  process.exit(0);
}

const configFile = process.argv[2];
if (process.argv[1] === fileURLToPath(import.meta.url) && configFile) {
  main(configFile).catch((error: unknown) => {
    process.stderr.write(`stdio hub fixture failed: ${String(error)}\n`);
    process.exit(1);
  });
}
