import { afterEach, describe, expect, it } from 'vitest';
import { parseConfig } from './config/load-config.js';
import { createFedmcpServer, type FedmcpServer } from './create-fedmcp-server.js';

const servers: FedmcpServer[] = [];
afterEach(async () => {
  await Promise.allSettled(servers.splice(0).map((server) => server.close()));
});

const initialize = (id: number) =>
  JSON.stringify({
    jsonrpc: '2.0',
    id,
    method: 'initialize',
    params: {
      protocolVersion: '2025-06-18',
      capabilities: {},
      clientInfo: { name: 'limits', version: '1' },
    },
  });

describe('hub.limits', () => {
  it('reaches the HTTP host: session quota, body size and nesting depth from the config', async () => {
    const server = await createFedmcpServer({
      config: parseConfig(
        {
          hub: {
            port: 0,
            limits: { maxSessionsPerPrincipal: 1, maxBodyBytes: 2048, maxJsonDepth: 5 },
          },
          store: 'memory:',
        },
        'fedmcp.config.json',
      ),
    });
    servers.push(server);
    const { url } = await server.listen();
    const post = (body: string) =>
      fetch(`${url}/mcp`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          accept: 'application/json, text/event-stream',
        },
        body,
      });
    expect((await post(initialize(1))).status).toBe(200);
    const second = await post(initialize(2));
    expect(second.status).toBe(429);
    expect(second.headers.get('retry-after')).not.toBeNull();
    expect((await post(`{"pad":"${'x'.repeat(4096)}"}`)).status).toBe(413);
    const deep = await post('{"jsonrpc":"2.0","id":[[[[[[1]]]]]],"method":"ping"}');
    expect(deep.status).toBe(400);
    expect(await deep.json()).toMatchObject({ error: { code: -32600 } });
  });

  it('refuses a limit that is not a positive number, naming the key', () => {
    expect(() =>
      parseConfig({ hub: { limits: { maxSessions: 0 } } }, 'fedmcp.config.json'),
    ).toThrow(/maxSessions/);
    expect(() => parseConfig({ hub: { limits: { maxSesions: 5 } } }, 'fedmcp.config.json')).toThrow(
      /maxSesions/,
    );
  });
});
