import { once } from 'node:events';
import { createServer, request as httpRequest, type IncomingMessage } from 'node:http';
import { type AddressInfo, connect } from 'node:net';
import { FedmcpError, InvalidRequestError } from '@fedmcp/protocol';
import { describe, expect, it, vi } from 'vitest';
import { RequestBodyTooLargeError, readBody, readBodyNow } from './read-body.js';

/**
 * Sends `body` (chunked: no Content-Length) to a real server that calls `readBody` once the whole
 * body has arrived, and returns what it read or the name of the error it threw.
 */
async function readArrived(body: string, limitBytes: number): Promise<string> {
  const server = createServer((request: IncomingMessage, response) => {
    void (async () => {
      await vi.waitFor(() => expect(request.complete).toBe(true), { timeout: 10_000 });
      const outcome = await readBody(request, { limitBytes, idleTimeoutMs: 60_000 }).then(
        (bytes) => `read:${bytes.toString('utf8')}`,
        (error: Error) => `error:${error.name}`,
      );
      response.end(outcome);
    })();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  try {
    const { port } = server.address() as AddressInfo;
    return await new Promise<string>((resolve, reject) => {
      const request = httpRequest({ host: '127.0.0.1', port, method: 'POST' }, (response) => {
        let text = '';
        response.setEncoding('utf8');
        response.on('data', (chunk: string) => {
          text += chunk;
        });
        response.on('end', () => resolve(text));
      });
      request.on('error', reject);
      if (body.length > 0) request.write(body.slice(0, 1));
      request.end(body.slice(1));
    });
  } finally {
    await new Promise((resolve) => server.close(resolve));
  }
}

describe('readBody of a body that has all arrived', () => {
  it('reads it at once, under the limit, and refuses one over it', async () => {
    expect(await readArrived('{"jsonrpc":"2.0"}', 100)).toBe('read:{"jsonrpc":"2.0"}');
    expect(await readArrived('', 100)).toBe('read:');
    expect(await readArrived('x'.repeat(101), 100)).toBe('error:RequestBodyTooLargeError');
  });
});

describe('readBodyNow of a body that came with its headers', () => {
  it('returns it without a promise once its bytes are buffered, and the request still ends', async () => {
    const seen: { body: unknown; ended: boolean }[] = [];
    const server = createServer((request: IncomingMessage, response) => {
      void (async () => {
        // What the host's routes see after their first await: the body buffered. (Node 20 marks
        // the request complete only an event-loop turn later.)
        await Promise.resolve();
        const body = readBodyNow(request, { limitBytes: 1_000, idleTimeoutMs: 60_000 });
        const ended = new Promise<boolean>((resolve) => {
          if (request.readableEnded) resolve(true);
          else request.once('end', () => resolve(true));
        });
        seen.push({
          body: body instanceof Promise ? 'a promise' : body.toString('utf8'),
          ended: await ended,
        });
        response.end('ok');
      })();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = server.address() as AddressInfo;
      // Two requests on one keep-alive connection, each written with its body in one write.
      const socket = connect(port, '127.0.0.1');
      await once(socket, 'connect');
      let received = '';
      socket.setEncoding('utf8');
      socket.on('data', (chunk: string) => {
        received += chunk;
      });
      for (const id of [1, 2]) {
        const body = `{"jsonrpc":"2.0","id":${id}}`;
        socket.write(
          `POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n${body}`,
        );
        await vi.waitFor(() => expect(received.split('HTTP/1.1 200').length - 1).toBe(id), {
          timeout: 10_000,
        });
      }
      socket.destroy();
      expect(seen).toEqual([
        { body: '{"jsonrpc":"2.0","id":1}', ended: true },
        { body: '{"jsonrpc":"2.0","id":2}', ended: true },
      ]);
    } finally {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });
});

/**
 * Sends `pieces` to a real server that calls `readBody` as soon as the headers arrive, with
 * `Content-Length` when `declareLength` (else chunked), each piece after the server has taken the
 * one before plus `gapMs`, the last one only when `finish`; returns what it read or the error name.
 */
async function readSent(
  pieces: string[],
  options: { idleTimeoutMs: number; declareLength: boolean; gapMs?: number; finish?: boolean },
): Promise<string> {
  let took: () => void = () => {};
  const server = createServer((request: IncomingMessage, response) => {
    request.on('data', () => took());
    void readBody(request, { limitBytes: 1_000, idleTimeoutMs: options.idleTimeoutMs })
      .then(
        (bytes) => `read:${bytes.toString('utf8')}`,
        (error: Error) => `error:${error.name}`,
      )
      .then((outcome) => response.end(outcome));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  try {
    const { port } = server.address() as AddressInfo;
    const length = pieces.join('').length;
    return await new Promise<string>((resolve, reject) => {
      const request = httpRequest(
        {
          host: '127.0.0.1',
          port,
          method: 'POST',
          headers: options.declareLength ? { 'content-length': String(length) } : {},
        },
        (response) => {
          let text = '';
          response.setEncoding('utf8');
          response.on('data', (chunk: string) => {
            text += chunk;
          });
          response.on('end', () => resolve(text));
        },
      );
      request.on('error', reject);
      void (async () => {
        const sendable = options.finish === false ? pieces.slice(0, -1) : pieces;
        for (const [index, piece] of sendable.entries()) {
          const taken = new Promise<void>((resolve) => {
            took = resolve;
          });
          if (index === pieces.length - 1 && !options.declareLength) request.end(piece);
          else request.write(piece);
          await taken;
          await new Promise((resolve) => setTimeout(resolve, options.gapMs ?? 0));
        }
        if (options.finish !== false && options.declareLength) request.end();
      })();
    });
  } finally {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
}

describe('readBody of a body still arriving', () => {
  it('reads a body sent in pieces, with Content-Length and chunked', async () => {
    const pieces = ['{"jsonrpc":', '"2.0",', '"id":1}'];
    expect(await readSent(pieces, { idleTimeoutMs: 60_000, declareLength: true })).toBe(
      'read:{"jsonrpc":"2.0","id":1}',
    );
    expect(await readSent(pieces, { idleTimeoutMs: 60_000, declareLength: false })).toBe(
      'read:{"jsonrpc":"2.0","id":1}',
    );
    expect(await readSent(pieces, { idleTimeoutMs: 0, declareLength: true })).toBe(
      'read:{"jsonrpc":"2.0","id":1}',
    );
  });

  it('gives up on a body that stalls, and keeps reading one that trickles within the idle timeout', async () => {
    const pieces = ['{"a":', '1,', '"b":', '2,', '"c":', '3,', '"d":', '4}'];
    expect(await readSent(pieces, { idleTimeoutMs: 100, declareLength: true, finish: false })).toBe(
      'error:RequestTimeoutError',
    );
    // Each gap is a fifth of the idle timeout; all of them together are longer than it.
    expect(await readSent(pieces, { idleTimeoutMs: 1_500, declareLength: true, gapMs: 300 })).toBe(
      'read:{"a":1,"b":2,"c":3,"d":4}',
    );
  });
});

describe('RequestBodyTooLargeError', () => {
  it('is a FedmcpError (INVALID_REQUEST) that instanceof tells from other invalid requests', () => {
    const error = new RequestBodyTooLargeError(10);
    expect(FedmcpError.isInstance(error)).toBe(true);
    expect(error.code).toBe('INVALID_REQUEST');
    expect(error.limitBytes).toBe(10);
    expect(error.message).toBe('Payload too large: the request body exceeds the limit of 10 bytes');
    expect(error).toBeInstanceOf(RequestBodyTooLargeError);
    expect(error).toBeInstanceOf(FedmcpError);
    expect(new InvalidRequestError({ reason: 'x' })).not.toBeInstanceOf(RequestBodyTooLargeError);
  });
});
