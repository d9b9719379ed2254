/**
 * Issue 21: an upstream's own URL elicitation (its consent page, its own third-party sign-in) is
 * not a sign-in the hub started. Through a per-principal upstream of a hub that runs in-call
 * sign-ins, it reaches the caller whichever era the upstream speaks — a 2025-11-25 upstream's
 * `elicitation/create` (mode url) sent during the call, or a 2026-07-28 upstream's
 * `input_required` round — and whichever era the client speaks; the client's answer goes back
 * to the upstream, and the upstream's `notifications/elicitation/complete` to the 2025 client.
 */
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import {
  createMcpHandler,
  InMemoryTransport,
  inputRequired,
  Server,
} from '@modelcontextprotocol/server';
import { describe, expect, it } from 'vitest';
import { eventually, memoryConnector, modernConnector, textOf } from '../../test/helpers.js';
import { createHub, type Hub, type UpstreamConnector } from '../index.js';

const alice = { subject: 'alice', groups: [], scopes: [], authMethod: 'api-key' as const };
const capabilities = { elicitation: { url: {} } };

/** Sign-ins of the hub: none is pending, so no elicitation of the upstream is the hub's. */
const noHubSignIns = {
  owns: async () => false,
  wait: async () => 'failed' as const,
};

function hubWith(connect: UpstreamConnector): Hub {
  return createHub({
    connect,
    upstreams: {
      alpha: {
        url: 'memory://alpha',
        isolation: 'per-principal',
        credentials: async () => ({ headers: { authorization: 'Bearer alice-token' } }),
      },
    },
    upstreamSignIns: noHubSignIns,
    healthIntervalMs: 0,
  });
}

/** The client's side: accepts URL elicitations and records them and their completions. */
function answering(client: Client, seen: { asked: unknown[]; completed: string[] }) {
  client.setRequestHandler('elicitation/create', (request) => {
    seen.asked.push(request.params);
    return { action: 'accept' };
  });
  client.setNotificationHandler('notifications/elicitation/complete', (notification) => {
    seen.completed.push(notification.params.elicitationId);
  });
}

async function legacyClient(hub: Hub, seen: { asked: unknown[]; completed: string[] }) {
  const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
  await hub
    .createServer({ era: 'legacy', transport: 'in-memory', principal: alice })
    .connect(serverSide);
  const client = new Client({ name: 'legacy', version: '1.0.0' }, { capabilities });
  answering(client, seen);
  await client.connect(clientSide);
  return { client, close: () => client.close() };
}

async function modernClient(hub: Hub, seen: { asked: unknown[]; completed: string[] }) {
  const handler = createMcpHandler(
    (context) => hub.createServer({ era: context.era, principal: alice }),
    { legacy: 'reject', bus: hub.bus },
  );
  const client = new Client(
    { name: 'modern', version: '1.0.0' },
    { capabilities, versionNegotiation: { mode: { pin: '2026-07-28' } } },
  );
  answering(client, seen);
  await client.connect(
    new StreamableHTTPClientTransport(new URL('http://hub.test/mcp'), {
      fetch: (url, init) => handler.fetch(new Request(url, init)),
    }),
  );
  return {
    client,
    close: async () => {
      await client.close();
      await handler.close();
    },
  };
}

/**
 * The upstream: `consent` asks for its own consent page by URL elicitation (the SDK sends
 * `elicitation/create` in the call to a 2025 client, answers `input_required` to a 2026 one),
 * says it completed where the era has the notification, and answers with the client's action.
 */
function consentingUpstream(): Server {
  const server = new Server({ name: 'alpha', version: '1.0.0' }, { capabilities: { tools: {} } });
  server.setRequestHandler('tools/list', () => ({
    tools: [{ name: 'consent', inputSchema: { type: 'object' } }],
  }));
  server.setRequestHandler('tools/call', async (_request, ctx) => {
    const answer = ctx.mcpReq.inputResponses?.consent as { action?: string } | undefined;
    if (!answer) {
      return inputRequired({
        inputRequests: {
          consent: {
            method: 'elicitation/create',
            params: {
              mode: 'url',
              message: 'Open the consent page of alpha',
              url: 'https://alpha.example/consent',
              elicitationId: 'alpha-consent-1',
            },
          },
        },
      });
    }
    // 2026-07-28 has no notifications/elicitation/complete: the answer itself ends it.
    await server
      .createElicitationCompletionNotifier('alpha-consent-1')()
      .catch(() => undefined);
    return { content: [{ type: 'text', text: `consent:${answer.action}` }] };
  });
  return server;
}

const upstreams = {
  '2025-11-25 upstream (elicitation/create)': () => memoryConnector({ alpha: consentingUpstream }),
  '2026-07-28 upstream (input_required)': () => modernConnector({ alpha: consentingUpstream }),
};
const clients = { '2025-11-25 client': legacyClient, '2026-07-28 client': modernClient };

describe("an upstream's own URL elicitation through a per-user upstream", () => {
  for (const [upstreamEra, connector] of Object.entries(upstreams)) {
    for (const [clientEra, connect] of Object.entries(clients)) {
      it(`${upstreamEra} → ${clientEra}`, async () => {
        await using hub = hubWith(connector());
        await hub.start();
        const seen = { asked: [] as unknown[], completed: [] as string[] };
        const { client, close } = await connect(hub, seen);
        try {
          const result = await client.callTool({ name: 'alpha__consent', arguments: {} });
          // The client's answer reached the upstream, which then finished the call.
          expect(textOf(result)).toBe('consent:accept');
          expect(seen.asked).toEqual([
            expect.objectContaining({
              mode: 'url',
              url: 'https://alpha.example/consent',
            }),
          ]);
          if (clientEra.startsWith('2025') && upstreamEra.startsWith('2025')) {
            // The upstream's id is the client's, and its completion notice reaches the client.
            expect(seen.asked[0]).toMatchObject({ elicitationId: 'alpha-consent-1' });
            await eventually(() => seen.completed.length > 0);
            expect(seen.completed).toEqual(['alpha-consent-1']);
          }
        } finally {
          await close();
        }
      });
    }
  }
});
