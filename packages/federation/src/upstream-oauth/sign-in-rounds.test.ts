/**
 * In-call sign-in (`HubOptions.upstreamSignIns`): a per-principal upstream whose caller must sign
 * in first (its connect fails with -32042 and a URL elicitation) is asked inside the call when the
 * client takes URL elicitations, and the call goes on once the sign-in ends — for tools, prompts,
 * reads and completions, each on the caller's own connection with the caller's credentials.
 */
import { FedmcpError } from '@fedmcp/protocol';
import { createMcpHttpHost } from '@fedmcp/transports/node';
import { Client } from '@modelcontextprotocol/client';
import {
  InMemoryTransport,
  type RequestStateCodec,
  Server,
  type ServerContext,
} from '@modelcontextprotocol/server';
import { describe, expect, it } from 'vitest';
import { textOf } from '../../test/helpers.js';
import { createHub, type Hub } from '../index.js';
import type { HubSession } from '../services/session-registry.js';
import { withSignInRounds } from './sign-in-rounds.js';

/** An upstream whose every answer names the authorization it was sent. */
function echoAuthorization(authorization: string | null): Server {
  const server = new Server(
    { name: 'docs', version: '1.0.0' },
    { capabilities: { tools: {}, prompts: {}, resources: {}, completions: {} } },
  );
  const who = `auth=${authorization}`;
  server.setRequestHandler('tools/list', () => ({
    tools: [{ name: 'whoami', inputSchema: { type: 'object' } }],
  }));
  server.setRequestHandler('tools/call', () => ({ content: [{ type: 'text', text: who }] }));
  server.setRequestHandler('prompts/list', () => ({
    prompts: [{ name: 'greeting', arguments: [{ name: 'name' }] }],
  }));
  server.setRequestHandler('prompts/get', () => ({
    messages: [{ role: 'user', content: { type: 'text', text: who } }],
  }));
  server.setRequestHandler('resources/list', () => ({
    resources: [{ uri: 'profile://me', name: 'profile' }],
  }));
  server.setRequestHandler('resources/read', () => ({
    contents: [{ uri: 'profile://me', text: who }],
  }));
  server.setRequestHandler('completion/complete', () => ({
    completion: { values: [who] },
  }));
  return server;
}

/** Sign-ins the test finishes by hand; `wait` resolves when `settle` is called for the id. */
function manualSignIns() {
  const waiting = new Map<string, (outcome: 'completed' | 'failed') => void>();
  const settled = new Map<string, 'completed' | 'failed'>();
  return {
    owns: async (id: string) => id !== 'upstream-own',
    wait: (id: string) =>
      new Promise<'completed' | 'failed'>((resolve) => {
        const done = settled.get(id);
        if (done) resolve(done);
        else waiting.set(id, resolve);
      }),
    settle(id: string, outcome: 'completed' | 'failed') {
      settled.set(id, outcome);
      waiting.get(id)?.(outcome);
    },
  };
}

async function clientOf(hub: Hub, subject: string, onUrl?: (id: string) => void): Promise<Client> {
  const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
  await hub
    .createServer({
      era: 'legacy',
      transport: 'in-memory',
      principal: { subject, groups: [], scopes: [], authMethod: 'api-key' },
    })
    .connect(serverSide);
  const client = new Client(
    { name: subject, version: '1.0.0' },
    onUrl ? { capabilities: { elicitation: { url: {} } } } : {},
  );
  if (onUrl) {
    client.setRequestHandler('elicitation/create', (request) => {
      if (request.params.mode !== 'url') return { action: 'decline' };
      onUrl(request.params.elicitationId);
      return { action: 'accept' };
    });
  }
  await client.connect(clientSide);
  return client;
}

describe('in-call sign-in rounds', () => {
  it('asks a URL-elicitation client inside the call and goes on after the sign-in, for every kind of request', async () => {
    await using upstreamHost = createMcpHttpHost({
      port: 0,
      createServer: (context) => echoAuthorization(context.headers?.get('authorization') ?? null),
    });
    const { url } = await upstreamHost.listen();
    const signedIn = new Set<string>();
    const signIns = manualSignIns();
    let asked = 0;
    await using hub = createHub({
      upstreams: {
        docs: {
          url: `${url}/mcp`,
          isolation: 'per-principal',
          credentials: async (caller) => {
            const { subject } = caller as { subject: string };
            if (signedIn.has(subject)) return { headers: { authorization: `Bearer ${subject}` } };
            asked += 1;
            const elicitationId = `sign-in-${subject}-${asked}`;
            const message = `Sign in to "docs" to continue: open https://as.example/auth?n=${asked} and retry the call.`;
            throw new FedmcpError('UNAUTHENTICATED', message, {
              jsonRpcCode: -32042,
              data: {
                elicitations: [
                  {
                    mode: 'url',
                    elicitationId,
                    url: `https://as.example/auth?n=${asked}`,
                    message,
                  },
                ],
              },
            });
          },
        },
      },
      upstreamSignIns: signIns,
    });
    await hub.start();

    const elicited: string[] = [];
    const alice = await clientOf(hub, 'alice', (id) => {
      elicited.push(id);
      // The browser's sign-in: the caller's token is there, then the sign-in is settled.
      signedIn.add('alice');
      signIns.settle(id, 'completed');
    });
    const completed: string[] = [];
    alice.setNotificationHandler('notifications/elicitation/complete', (notification) => {
      completed.push(notification.params.elicitationId);
    });
    const bob = await clientOf(hub, 'bob');
    try {
      expect(textOf(await alice.callTool({ name: 'docs__whoami', arguments: {} }))).toBe(
        'auth=Bearer alice',
      );
      expect(elicited).toEqual(['sign-in-alice-1']);
      expect(completed).toEqual(['sign-in-alice-1']);
      // Prompts, reads and completions go on Alice's own connection, with her credentials.
      const prompt = await alice.getPrompt({ name: 'docs__greeting', arguments: { name: 'x' } });
      expect(prompt.messages[0]?.content).toMatchObject({ text: 'auth=Bearer alice' });
      const { resources } = await alice.listResources();
      const read = await alice.readResource({ uri: resources[0]?.uri ?? '' });
      expect(read.contents[0]).toMatchObject({ text: 'auth=Bearer alice' });
      const completion = await alice.complete({
        ref: { type: 'ref/prompt', name: 'docs__greeting' },
        argument: { name: 'name', value: '' },
      });
      expect(completion.completion.values).toEqual(['auth=Bearer alice']);

      // Bob's client takes no URL elicitation: the -32042 error with the URL, for every kind.
      for (const request of [
        () => bob.callTool({ name: 'docs__whoami', arguments: {} }),
        () => bob.getPrompt({ name: 'docs__greeting', arguments: { name: 'x' } }),
      ]) {
        const error = (await request().then(
          () => undefined,
          (caught: unknown) => caught,
        )) as { code?: number; message?: string } | undefined;
        expect(error?.code).toBe(-32042);
        expect(error?.message).toMatch(/open https:\/\/as\.example\/auth\?n=\d+ and retry/);
      }
      expect(elicited).toHaveLength(1);
    } finally {
      await alice.close();
      await bob.close();
    }
  });

  it('ends the call with what to do when the sign-in fails', async () => {
    await using upstreamHost = createMcpHttpHost({
      port: 0,
      createServer: () => echoAuthorization(null),
    });
    const { url } = await upstreamHost.listen();
    const signIns = manualSignIns();
    await using hub = createHub({
      upstreams: {
        docs: {
          url: `${url}/mcp`,
          isolation: 'per-principal',
          credentials: async () => {
            throw new FedmcpError('UNAUTHENTICATED', 'Sign in.', {
              jsonRpcCode: -32042,
              data: {
                elicitations: [
                  { mode: 'url', elicitationId: 'one', url: 'https://as.example/a', message: 'm' },
                ],
              },
            });
          },
        },
      },
      upstreamSignIns: signIns,
    });
    await hub.start();
    const alice = await clientOf(hub, 'alice', (id) => signIns.settle(id, 'failed'));
    try {
      await expect(alice.callTool({ name: 'docs__whoami', arguments: {} })).rejects.toThrow(
        /did not succeed.*Call again to get a new sign-in link/,
      );
    } finally {
      await alice.close();
    }
  });

  it("passes an upstream's own -32042 through: only sign-ins the hub started are asked in the call", async () => {
    const owned: string[] = [];
    const rounds = withSignInRounds(
      {
        signIns: {
          owns: async (id) => {
            owned.push(id);
            return id === 'hub-sign-in';
          },
          wait: async () => 'completed',
        },
        codec: { mint: async (state: string) => state } as unknown as RequestStateCodec<string>,
        session: { era: 'legacy' } as unknown as HubSession,
        waitMs: 1000,
      },
      async (request) => {
        const elicitationId = String(request.params?.id);
        throw new FedmcpError('UNAUTHENTICATED', 'Open https://example.com/x and retry.', {
          jsonRpcCode: -32042,
          data: {
            elicitations: [
              { mode: 'url', elicitationId, url: 'https://example.com/x', message: 'm' },
            ],
          },
        });
      },
    );
    const ctx = {
      mcpReq: {
        envelope: { 'io.modelcontextprotocol/clientCapabilities': { elicitation: { url: {} } } },
        requestState: () => undefined,
      },
    } as unknown as ServerContext;
    await expect(rounds({ params: { id: 'upstream-own' } }, ctx)).rejects.toMatchObject({
      jsonRpcCode: -32042,
    });
    const asked = await rounds({ params: { id: 'hub-sign-in' } }, ctx);
    expect(asked).toMatchObject({
      requestState: 'signin:hub-sign-in',
      inputRequests: {
        'io.fedmcp/sign-in': {
          method: 'elicitation/create',
          params: { mode: 'url', elicitationId: 'hub-sign-in', url: 'https://example.com/x' },
        },
      },
    });
    expect(owned).toEqual(['upstream-own', 'hub-sign-in']);
  });
});
