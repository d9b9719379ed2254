import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { connect, type Socket } from 'node:net';
import { silentLogger } from '@fedmcp/protocol';
import { afterEach, describe, expect, it } from 'vitest';
import { createConnectionGuard } from './connection-guard.js';

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0)) await cleanup();
});

/**
 * A real server whose connections a guard tracks (as createMcpHttpHost wires it), with Node's own
 * keep-alive timer off; `/slow` answers once `release` is called.
 */
async function startServer(keepAliveIdleMs: number) {
  const guard = createConnectionGuard({
    maxConnections: 100,
    maxConnectionsPerAddress: 100,
    keepAliveIdleMs,
    logger: silentLogger,
  });
  let release: () => void = () => {};
  const released = new Promise<void>((resolve) => {
    release = resolve;
  });
  const server = createServer(
    { keepAliveTimeout: 0 },
    (request: IncomingMessage, response: ServerResponse) => {
      const socket = request.socket;
      guard.requestStarted(socket);
      response.on('close', () => guard.requestEnded(socket));
      if (request.url === '/slow') void released.then(() => response.end('slow'));
      else response.end('fast');
    },
  );
  server.on('connection', (socket: Socket) => guard.accept(socket));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  cleanups.push(async () => {
    release();
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return { guard, port, release };
}

/** A keep-alive connection that sent `path`; resolves with all it read once the server closed it. */
function keepAlive(port: number, path: string) {
  const socket = connect(port, '127.0.0.1');
  socket.on('error', () => {});
  let text = '';
  const answered = new Promise<void>((resolve) => {
    socket.on('data', (chunk: Buffer) => {
      text += chunk.toString('utf8');
      if (text.includes('\r\n\r\n')) resolve();
    });
  });
  const closed = new Promise<string>((resolve) => socket.once('close', () => resolve(text)));
  socket.write(`GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n`);
  cleanups.push(async () => {
    socket.destroy();
  });
  return { answered, closed, socket };
}

describe('createConnectionGuard keep-alive sweep', () => {
  it('closes a keep-alive connection idle for keepAliveIdleMs, and none while its request runs', async () => {
    const { guard, port, release } = await startServer(150);
    const idle = keepAlive(port, '/fast');
    await idle.answered;
    const busy = keepAlive(port, '/slow');
    // The idle one is closed by the sweep (Node's own keep-alive timer is off).
    expect(await idle.closed).toMatch(/^HTTP\/1\.1 200[\s\S]*fast$/);
    // The busy one, running longer than the idle timeout by now, is still open: answered once
    // released, then closed when idle in turn.
    expect(busy.socket.destroyed).toBe(false);
    release();
    expect(await busy.closed).toMatch(/^HTTP\/1\.1 200[\s\S]*slow$/);
    expect(guard.stats.open).toBe(0);
  });

  it('keeps a connection that sends its next request in time', async () => {
    const { port } = await startServer(400);
    const connection = keepAlive(port, '/fast');
    await connection.answered;
    let answers = 1;
    for (; answers < 4; answers += 1) {
      const next = new Promise<void>((resolve) => {
        const onData = () => {
          connection.socket.off('data', onData);
          resolve();
        };
        connection.socket.on('data', onData);
      });
      connection.socket.write('GET /fast HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n');
      await next;
      // Each pause a quarter of the idle timeout: all of them together are longer than it.
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(connection.socket.destroyed).toBe(false);
    expect((await connection.closed).match(/HTTP\/1\.1 200/g)).toHaveLength(answers);
  });
});
