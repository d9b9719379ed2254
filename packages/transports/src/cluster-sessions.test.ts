import {
  Server,
  type ServerContext,
  WebStandardStreamableHTTPServerTransport,
} from '@modelcontextprotocol/server';
import { describe, expect, it } from 'vitest';
import {
  initializeParamsOf,
  replayLogLevel,
  restoreSession,
  setLevelOf,
} from './cluster-sessions.js';
import { createSessionTokens } from './session-token.js';

const secret = 'a-cluster-secret-of-at-least-32-characters';

function createServer(levels: string[]) {
  const server = new Server(
    { name: 'restored', version: '1.0.0' },
    { capabilities: { logging: {}, tools: {} } },
  );
  server.setRequestHandler('logging/setLevel', (request, _ctx: ServerContext) => {
    levels.push(request.params.level);
    return {};
  });
  return server;
}

describe('restoreSession', () => {
  it('gives a fresh server the negotiated state of the session, from its sealed id', async () => {
    const initialize = initializeParamsOf({
      jsonrpc: '2.0',
      id: 1,
      method: 'initialize',
      params: {
        protocolVersion: '2025-06-18',
        capabilities: { sampling: {}, roots: { listChanged: true } },
        clientInfo: { name: 'claude', version: '2.1.0' },
      },
    });
    if (!initialize) throw new Error('initialize params');
    const tokens = createSessionTokens({ secret });
    const { sessionId } = await tokens.seal({ owner: 'alice', initialize });
    const state = await tokens.open(sessionId);
    if (!state) throw new Error('state');

    const levels: string[] = [];
    const server = createServer(levels);
    const transport = new WebStandardStreamableHTTPServerTransport({
      sessionIdGenerator: () => sessionId,
    });
    await server.connect(transport);
    await restoreSession(transport, sessionId, state, { logLevel: 'warning' });
    expect(transport.sessionId).toBe(sessionId);
    expect(server.getClientCapabilities()).toEqual({
      sampling: {},
      roots: { listChanged: true },
    });
    expect(server.getClientVersion()).toEqual({ name: 'claude', version: '2.1.0' });
    expect(levels).toEqual(['warning']);
    await replayLogLevel(transport, sessionId, 'error');
    expect(levels).toEqual(['warning', 'error']);

    // The restored session serves the client's next request as the original would.
    const answer = await transport.handleRequest(
      new Request('http://hub.test/mcp', {
        method: 'POST',
        headers: {
          accept: 'application/json, text/event-stream',
          'content-type': 'application/json',
          'mcp-session-id': sessionId,
          'mcp-protocol-version': '2025-06-18',
        },
        body: JSON.stringify({ jsonrpc: '2.0', id: 5, method: 'ping' }),
      }),
    );
    expect(answer.status).toBe(200);
    expect(await answer.text()).toContain('"id":5');
    await server.close();
  });

  it('reads the level of a logging/setLevel in a message or batch', () => {
    const setLevel = {
      jsonrpc: '2.0',
      id: 1,
      method: 'logging/setLevel',
      params: { level: 'info' },
    };
    expect(setLevelOf(setLevel)).toBe('info');
    expect(setLevelOf([{ jsonrpc: '2.0', method: 'notifications/initialized' }, setLevel])).toBe(
      'info',
    );
    expect(setLevelOf({ jsonrpc: '2.0', id: 1, method: 'ping' })).toBeUndefined();
    expect(initializeParamsOf({ jsonrpc: '2.0', id: 1, method: 'initialize', params: {} })).toBe(
      undefined,
    );
  });
});
