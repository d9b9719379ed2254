import { createServer, request as httpRequest, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { FedmcpError, InvalidRequestError } from '@fedmcp/protocol';
import { describe, expect, it, vi } from 'vitest';
import { RequestBodyTooLargeError, readBody } from './read-body.js';

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
