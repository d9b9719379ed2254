/**
 * Opens idle sessions against sessions-launcher bundles and prints when a session failed to open
 * (undici "other side closed": the hub closed a kept-alive socket the client had just sent a
 * request on) against the client's event-loop delay, second by second. Two or more launchers are
 * run in turns (A B A B …), so their failure counts compare under the same load.
 *
 *   node --import tsx bench/sessions/race-probe.ts SESSIONS ROUNDS launcher-a.mjs [launcher-b.mjs …]
 *
 * Prints per launcher and round: sessions opened, failures, and the seconds (since the hub
 * started) with a failure or an event-loop delay over 200 ms.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';

const [sessionsArgument, roundsArgument, ...launchers] = process.argv.slice(2);
const sessions = Number(sessionsArgument);
const rounds = Number(roundsArgument);
if (!Number.isInteger(sessions) || !Number.isInteger(rounds) || launchers.length === 0) {
  throw new Error('usage: race-probe.ts SESSIONS ROUNDS launcher.mjs [launcher.mjs …]');
}
const echoServer = fileURLToPath(new URL('../gateway/echo-server.mjs', import.meta.url));
const room = sessions + 1000;

async function probe(launcher: string): Promise<string> {
  const directory = mkdtempSync(join(tmpdir(), 'fedmcp-race-probe-'));
  const config = join(directory, 'fedmcp.config.json');
  writeFileSync(
    config,
    JSON.stringify({
      runtime: false,
      hub: {
        limits: {
          maxSessions: room,
          maxSessionsPerPrincipal: room,
          maxConnections: room,
          maxConnectionsPerAddress: room,
          sessionIdleTimeoutMs: 0,
        },
      },
      mcpServers: { echo: { command: process.execPath, args: [echoServer], prefix: false } },
    }),
  );
  const child = spawn(process.execPath, [launcher, config], {
    stdio: ['pipe', 'pipe', 'inherit'],
    env: { ...process.env, NODE_OPTIONS: '' },
  });
  const port = await new Promise<number>((resolve) => {
    let out = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const match = /LISTENING (\d+)/.exec(out);
      if (match) resolve(Number(match[1]));
    });
  });
  const started = Date.now();
  const second = () => Math.floor((Date.now() - started) / 1000);
  // The client's event-loop delay: a 100 ms interval's lateness, the worst per second.
  const lag = new Map<number, number>();
  let expected = Date.now() + 100;
  const timer = setInterval(() => {
    const late = Date.now() - expected;
    const at = second();
    lag.set(at, Math.max(lag.get(at) ?? 0, late));
    expected = Date.now() + 100;
  }, 100);
  const failures = new Map<number, number>();
  const causes = new Map<string, number>();
  const url = new URL(`http://127.0.0.1:${port}/mcp`);
  const clients: Client[] = [];
  while (clients.length < sessions) {
    await Promise.all(
      Array.from({ length: Math.min(16, sessions - clients.length) }, async () => {
        const client = new Client(
          { name: 'race-probe', version: '1.0.0' },
          { versionNegotiation: { mode: 'legacy' } },
        );
        try {
          await client.connect(new StreamableHTTPClientTransport(url));
          clients.push(client);
        } catch (error) {
          await client.close().catch(() => {});
          const at = second();
          failures.set(at, (failures.get(at) ?? 0) + 1);
          const cause = String((error as { cause?: { message?: string } }).cause?.message ?? error);
          causes.set(cause, (causes.get(cause) ?? 0) + 1);
        }
      }),
    );
  }
  const took = second();
  clearInterval(timer);
  child.kill('SIGKILL');
  await Promise.allSettled(clients.map((client) => client.close()));
  const total = [...failures.values()].reduce((sum, each) => sum + each, 0);
  const seconds = [...new Set([...failures.keys(), ...lag.keys()])]
    .filter((at) => failures.has(at) || (lag.get(at) ?? 0) > 200)
    .sort((a, b) => a - b)
    .map((at) => `${at}s:${failures.get(at) ?? 0}f/${lag.get(at) ?? 0}ms`);
  return `${launcher}: ${sessions} opened in ${took} s, ${total} failures ${JSON.stringify(Object.fromEntries(causes))}\n  ${seconds.join(' ')}`;
}

for (let round = 1; round <= rounds; round += 1) {
  for (const launcher of launchers) {
    process.stdout.write(`round ${round} ${await probe(launcher)}\n`);
  }
}
process.exit(0);
