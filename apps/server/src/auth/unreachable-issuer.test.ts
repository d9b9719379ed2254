/**
 * A token whose authorization server cannot be reached is neither accepted nor refused as bad:
 * the client is told to retry (503 with Retry-After), never a 500.
 */
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../config/load-config.js';
import { createFedmcpServer } from '../create-fedmcp-server.js';
import { captureLogger, startTestIssuer } from './test-fixtures.js';

describe('an unreachable authorization server', () => {
  it('answers 503 with Retry-After and a reason, and logs no token', async () => {
    const issuer = await startTestIssuer();
    const token = await issuer.sign({ sub: 'alice', aud: 'http://127.0.0.1/mcp' });
    // The issuer goes away before the hub has fetched its key set.
    await issuer[Symbol.asyncDispose]();
    const logs = captureLogger();
    const server = await createFedmcpServer({
      config: parseConfig(
        {
          hub: { host: '127.0.0.1', port: 0 },
          store: 'memory:',
          runtime: false,
          auth: { oauth: { issuer: issuer.issuer, jwksUri: issuer.jwksUri } },
          mcpServers: {},
        },
        'test.json',
        { env: {} },
      ),
      logger: logs.logger,
    });
    try {
      const { url } = await server.listen();
      const response = await fetch(`${url}/mcp`, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${token}`,
          'content-type': 'application/json',
          accept: 'application/json, text/event-stream',
        },
        body: '{"jsonrpc":"2.0","id":1,"method":"ping"}',
      });
      expect(response.status).toBe(503);
      expect(response.headers.get('retry-after')).toBe('5');
      expect((await response.json()).error.message).toMatch(/cannot be reached; retry/);
      expect(logs.output()).toContain('the authorization server cannot be reached');
      expect(logs.output()).not.toContain(token.split('.')[2]);
    } finally {
      await server.close();
    }
  });
});
