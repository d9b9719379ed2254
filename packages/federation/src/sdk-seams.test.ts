/**
 * Pins every seam of sdk-seams.ts to the SDK behaviour it works around: each test fails when the
 * SDK changes under the seam (the workaround then needs a look, or can go).
 */
import { FedmcpError } from '@fedmcp/protocol';
import { Client } from '@modelcontextprotocol/client';
import {
  InMemoryTransport,
  isInputRequiredResult,
  type JSONRPCMessage,
  Server,
} from '@modelcontextprotocol/server';
import { describe, expect, it } from 'vitest';
import {
  answerServerRequests,
  HubServer,
  inputRequiredReply,
  interceptResponses,
  pushToClient,
  RAW_ID_PREFIX,
  setHubRequestHandler,
  toProtocolError,
} from './sdk-seams.js';

const INFO = { name: 'seam-test', version: '1.0.0' };
const TASK = {
  taskId: 't-1',
  status: 'working',
  createdAt: new Date(0).toISOString(),
  lastUpdatedAt: new Date(0).toISOString(),
  ttl: 1000,
};

async function connect(server: Server, client = new Client(INFO, { capabilities: {} })) {
  const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
  await server.connect(serverSide);
  await client.connect(clientSide);
  return client;
}

function toolServer(kind: typeof Server, answer: () => unknown): Server {
  const server = new kind(INFO, { capabilities: { tools: {} } });
  setHubRequestHandler(server, 'tools/call', async () => answer() as never);
  return server;
}

describe('sdk seam 1: HubServer wraps handlers', () => {
  it('the SDK Server still validates every tools/call result as a CallToolResult (why the seam exists)', async () => {
    const client = await connect(toolServer(Server, () => ({ task: TASK })));
    await expect(
      client.request({ method: 'tools/call', params: { name: 'x', task: { ttl: 1000 } } } as never),
    ).rejects.toThrow(/tools\/call/);
  });

  it('lets a task-augmented tools/call answer with a CreateTaskResult', async () => {
    const client = await connect(toolServer(HubServer, () => ({ task: TASK })));
    const { CreateTaskResultSchema } = await import('@modelcontextprotocol/core');
    const created = await client.request(
      { method: 'tools/call', params: { name: 'x', task: { ttl: 1000 } } },
      CreateTaskResultSchema,
    );
    expect(created.task.taskId).toBe('t-1');
  });

  it('the SDK answers a thrown FedmcpError as an internal error (why the conversion exists)', async () => {
    const client = await connect(
      toolServer(Server, () => {
        throw new FedmcpError('POLICY_DENIED', 'no');
      }),
    );
    await expect(client.callTool({ name: 'x', arguments: {} })).rejects.toMatchObject({
      code: -32603,
    });
  });

  it('answers a thrown FedmcpError with its own wire code and data', async () => {
    const client = await connect(
      toolServer(HubServer, () => {
        throw new FedmcpError('POLICY_DENIED', 'Not for you.', { data: { rule: 'r1' } });
      }),
    );
    await expect(client.callTool({ name: 'x', arguments: {} })).rejects.toMatchObject({
      code: -32062,
      data: { fedmcpCode: 'POLICY_DENIED', rule: 'r1' },
    });
  });

  it('keeps the SDK hook it overrides', () => {
    expect(typeof (Server.prototype as unknown as Record<string, unknown>)._wrapHandler).toBe(
      'function',
    );
  });
});

describe('sdk seams 3 and 5: input_required and pushes', () => {
  it('builds a result the SDK recognises as input_required', () => {
    const reply = inputRequiredReply(
      { q: { method: 'elicitation/create', params: { message: 'ok?', requestedSchema: {} } } },
      'state',
    );
    expect(isInputRequiredResult(reply)).toBe(true);
  });

  it('pushes roots/list to a client that declared roots', async () => {
    const server = new Server(INFO, { capabilities: {} });
    const client = new Client(INFO, { capabilities: { roots: {} } });
    client.setRequestHandler('roots/list', () => ({ roots: [{ uri: 'file:///w', name: 'w' }] }));
    await connect(server, client);
    expect(await pushToClient(server, 'roots/list', {})).toMatchObject({
      roots: [{ uri: 'file:///w' }],
    });
  });
});

describe('sdk seam 6: answerServerRequests', () => {
  it('answers an upstream request, and refuses with a FedmcpError as its JSON-RPC error', async () => {
    const server = new Server(INFO, { capabilities: {} });
    const client = new Client(INFO, {
      capabilities: { roots: {}, sampling: {}, elicitation: { form: {} } },
    });
    let asked = 0;
    answerServerRequests(client, async () => {
      asked += 1;
      if (asked === 1) return { roots: [] };
      throw new FedmcpError('INVALID_PARAMS', 'No more roots.');
    });
    await connect(server, client);
    expect(await server.listRoots()).toEqual({ roots: [] });
    await expect(server.listRoots()).rejects.toMatchObject({
      code: -32602,
      message: expect.stringContaining('No more roots.'),
    });
  });

  it('passes other errors as they are', () => {
    const error = new Error('x');
    expect(toProtocolError(error)).toBe(error);
  });
});

describe('sdk seam 7: interceptResponses', () => {
  it('the SDK sets transport.onmessage when a client connects (what the seam wraps)', async () => {
    const server = new Server(INFO, { capabilities: {} });
    const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
    await server.connect(serverSide);
    expect(clientSide.onmessage).toBeUndefined();
    await new Client(INFO).connect(clientSide);
    expect(typeof clientSide.onmessage).toBe('function');
  });

  it('routes raw responses to their caller and keeps SDK responses flowing', async () => {
    const server = new Server(INFO, { capabilities: {} });
    const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
    await server.connect(serverSide);
    const client = new Client(INFO);
    await client.connect(clientSide);
    const raw: Array<[string, unknown]> = [];
    interceptResponses(clientSide, (id, response) => raw.push([id, response]));
    const id = `${RAW_ID_PREFIX}1`;
    await clientSide.send({ jsonrpc: '2.0', id, method: 'ping' } as JSONRPCMessage);
    await expect(client.ping()).resolves.toEqual({});
    expect(raw).toEqual([[id, { jsonrpc: '2.0', id, result: {} }]]);
  });
});
