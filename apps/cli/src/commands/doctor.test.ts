import { execFileSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer as createHttpServer, type Server } from 'node:http';
import { type AddressInfo, createServer, type Server as NetServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createFedmcpServer, parseConfig } from '@fedmcp/server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { captureIo } from '../../test/capture-io.js';
import { runCli } from '../run-cli.js';

const listening = <T extends NetServer | Server>(server: T): Promise<T> =>
  new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
const portOf = (server: NetServer | Server) => (server.address() as AddressInfo).port;
// Connections the checks left open (a keep-alive fetch, a probe of the busy port) end with the server.
const sockets = new Set<Socket>();
const tracked = <T extends NetServer | Server>(server: T): T => {
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  return server;
};
const closing = (server: NetServer | Server) =>
  new Promise((resolve) => {
    server.close(() => resolve(undefined));
    for (const socket of sockets) socket.destroy();
  });

describe('fedmcp doctor', () => {
  let directory: string;
  let busy: NetServer;
  let fakeRedis: NetServer;
  let skewed: Server;
  beforeAll(async () => {
    directory = await mkdtemp(join(tmpdir(), 'fedmcp-doctor-'));
    busy = await listening(tracked(createServer()));
    fakeRedis = await listening(tracked(createServer((socket) => socket.end())));
    // A remote upstream whose clock is two minutes ahead of this machine's.
    skewed = await listening(
      tracked(
        createHttpServer((_request, response) => {
          response.setHeader('date', new Date(Date.now() + 120_000).toUTCString());
          response.end();
        }),
      ),
    );
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'ec',
        '-pkeyopt',
        'ec_paramgen_curve:P-256',
        '-nodes',
        '-days',
        '5',
        '-subj',
        '/CN=localhost',
        '-keyout',
        join(directory, 'key.pem'),
        '-out',
        join(directory, 'cert.pem'),
      ],
      { stdio: 'ignore' },
    );
  });
  afterAll(async () => {
    await Promise.all([closing(busy), closing(fakeRedis), closing(skewed)]);
    await rm(directory, { recursive: true, force: true });
  });

  it('prints one line per check with its fix, and exits 1 when one fails', async () => {
    await using peer = await createFedmcpServer({
      config: parseConfig({ store: 'memory:', hub: { port: 0, id: 'eu' } }, 'peer'),
    });
    const { url: peerUrl } = await peer.listen();
    const file = join(directory, 'fedmcp.config.json');
    await writeFile(
      file,
      JSON.stringify({
        hub: { port: portOf(busy), tls: { cert: 'cert.pem', key: 'key.pem' } },
        store: `redis://127.0.0.1:${portOf(fakeRedis)}`,
        mcpServers: {
          local: { command: process.execPath },
          missing: { command: 'no-such-fedmcp-upstream' },
          remote: { url: `http://127.0.0.1:${portOf(skewed)}/mcp` },
        },
        peers: { eu: { url: `${peerUrl}/mcp` } },
      }),
    );
    const { out, io } = captureIo();
    expect(await runCli(['doctor', '--config', file], io)).toBe(1);
    const lines = out.stdout;
    expect(lines).toContain(`ok    config            ${file} is valid (3 upstreams, 1 peers)`);
    expect(lines).toContain(`ok    state             ${join(directory, '.fedmcp')} is writable`);
    expect(lines).toMatch(
      /FAIL {2}port {14}127\.0\.0\.1:\d+ is in use by another program\n\s+fix: /,
    );
    expect(lines).toContain(`ok    upstream local    command ${process.execPath}`);
    expect(lines).toMatch(
      /FAIL {2}upstream missing {2}command "no-such-fedmcp-upstream" is not on PATH\n\s+fix: install it/,
    );
    expect(lines).toContain(
      `ok    store             redis://127.0.0.1:${portOf(fakeRedis)} is reachable`,
    );
    expect(lines).toMatch(/warn {2}tls {15}the certificate expires in [45] days\n\s+fix: renew/);
    expect(lines).toMatch(
      /FAIL {2}clock {13}this clock is 1[12]\d s behind 127\.0\.0\.1:\d+\n\s+fix: synchronise/,
    );
    expect(lines).toContain(`ok    peer eu           eu at ${peerUrl}/mcp (1 key)`);
    expect(lines).toContain('3 of 9 checks failed.');
  }, 60_000);

  it('passes a sound config, finding the hub it serves on the port, and exits 0', async () => {
    await using hub = await createFedmcpServer({
      config: parseConfig({ store: 'memory:', hub: { port: 0 } }, 'running'),
    });
    const { url } = await hub.listen();
    const file = join(directory, 'sound.config.json');
    await writeFile(
      file,
      JSON.stringify({
        hub: { port: Number(new URL(url).port) },
        mcpServers: { local: { command: process.execPath } },
      }),
    );
    const { out, io } = captureIo();
    expect(await runCli(['doctor', '--config', file], io)).toBe(0);
    expect(out.stdout).toContain(`ok    port              a fedmcp hub already serves ${url}`);
    expect(out.stdout).toContain(
      'ok    clock             no remote upstream or peer to compare with',
    );
    expect(out.stdout).toMatch(/All \d+ checks passed\./);
  }, 60_000);

  it('reports an invalid config with the line and column, and a missing store server', async () => {
    const file = join(directory, 'bad.config.json');
    await writeFile(file, '{\n  "hub": { "prot": 1 }\n}\n');
    const bad = captureIo();
    expect(await runCli(['doctor', '--config', file], bad.io)).toBe(1);
    expect(bad.out.stdout).toContain(
      `FAIL  config            ${file}:2:12: hub: unknown key "prot" (did you mean "port"?)`,
    );

    const stopped = await listening(createServer());
    const closed = portOf(stopped);
    await closing(stopped);
    const unreachable = join(directory, 'unreachable.config.json');
    await writeFile(
      unreachable,
      JSON.stringify({ hub: { port: 0 }, store: `redis://127.0.0.1:${closed}` }),
    );
    const redis = captureIo();
    expect(await runCli(['doctor', '--config', unreachable, '--json'], redis.io)).toBe(1);
    const checks = JSON.parse(redis.out.stdout) as Array<{
      name: string;
      status: string;
      fix?: string;
    }>;
    expect(checks.find((check) => check.name === 'store')).toMatchObject({
      status: 'fail',
      fix: 'start the server, or fix the host and port in "store"',
    });
  }, 30_000);
});
