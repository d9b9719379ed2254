/**
 * `@modelcontextprotocol/server-everything` in its Streamable HTTP mode on 127.0.0.1 (held to
 * loopback by the transports package's listen() preload), stopped by disposing it. Shared by the
 * edge tests of @fedmcp/federation and the `fedmcp dev` tests.
 */
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { freePort } from './redis-server.js';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const everything = createRequire(import.meta.url).resolve(
  '@modelcontextprotocol/server-everything/dist/index.js',
  { paths: [root] },
);
const forceLoopback = `${root}packages/transports/test/upstream/fixtures/force-loopback.cjs`;

/** A running server-everything; `url` is its MCP endpoint. */
export interface Everything extends AsyncDisposable {
  readonly url: string;
}

/** Starts server-everything (Streamable HTTP); resolves once it listens. */
export async function startEverything(): Promise<Everything> {
  const port = await freePort();
  const child = spawn(
    process.execPath,
    ['--require', forceLoopback, everything, 'streamableHttp'],
    {
      // A minimal environment: its get-env tool would print ours.
      env: { PATH: process.env.PATH ?? '', PORT: String(port), GZIP_ALLOWED_DOMAINS: 'invalid' },
      stdio: ['ignore', 'ignore', 'pipe'],
      detached: true,
    },
  );
  await new Promise<void>((resolve, reject) => {
    let output = '';
    child.stderr?.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      if (new RegExp(`(listening on|running on) port ${port}`).test(output)) resolve();
    });
    child.once('exit', (code) =>
      reject(new Error(`server-everything exited (${code}): ${output}`)),
    );
  });
  return {
    url: `http://127.0.0.1:${port}/mcp`,
    async [Symbol.asyncDispose]() {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      if (child.exitCode === null) process.kill(-(child.pid as number), 'SIGKILL');
      await exited;
    },
  };
}

/** The accepted content of server-everything's `trigger-elicitation-request` form, with `name`. */
export function elicitedContent(name: string) {
  return {
    name,
    check: true,
    firstLine: 'first line',
    email: 'ada@example.com',
    integer: 7,
    number: 1.5,
    untitledSingleSelectEnum: 'Option 1',
    untitledMultipleSelectEnum: ['Option 1'],
    titledSingleSelectEnum: 'Option 1',
    titledMultipleSelectEnum: ['Option 1'],
    legacyTitledEnum: 'Option 1',
  };
}
