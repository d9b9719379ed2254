/**
 * Several clients at once behind one hub, each calling tools that make the upstream ask its client
 * for a sampling answer: every server→client request reaches the client whose call caused it, so
 * each client gets back its own answer and never another client's.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type ClientAnswers,
  connectV1Client,
  connectV2Client,
  type E2eClient,
} from './fixtures/e2e-client.js';
import { type RunningHub, startHub } from './fixtures/hub.js';
import {
  type EverythingHttp,
  everythingStdioEntry,
  startEverythingHttp,
} from './fixtures/upstreams.js';

let everythingHttp: EverythingHttp;
let hub: RunningHub;
const clients: Array<{ name: string; client: E2eClient; answers: ClientAnswers }> = [];

const connectors: Array<[string, (answers: ClientAnswers) => Promise<E2eClient>]> = [
  [
    'v1 Streamable HTTP A',
    (answers) => connectV1Client({ kind: 'streamable-http', url: `${hub.url}/mcp` }, answers),
  ],
  [
    'v1 Streamable HTTP B',
    (answers) => connectV1Client({ kind: 'streamable-http', url: `${hub.url}/mcp` }, answers),
  ],
  [
    'v2 Streamable HTTP 2025',
    (answers) =>
      connectV2Client({ kind: 'streamable-http', url: `${hub.url}/mcp` }, 'legacy', answers),
  ],
  [
    'v2 Streamable HTTP 2026-07-28',
    (answers) =>
      connectV2Client({ kind: 'streamable-http', url: `${hub.url}/mcp` }, 'modern', answers),
  ],
  ['v1 SSE', (answers) => connectV1Client({ kind: 'sse', url: `${hub.url}/sse` }, answers)],
  [
    'v1 WebSocket',
    (answers) =>
      connectV1Client({ kind: 'websocket', url: `${hub.url.replace(/^http/, 'ws')}/ws` }, answers),
  ],
];

beforeAll(async () => {
  everythingHttp = await startEverythingHttp();
  hub = await startHub({ ev: everythingStdioEntry(), evh: { url: everythingHttp.url } });
  for (const [index, [name, connect]] of connectors.entries()) {
    const answers = {
      samplingText: `answer #${index} for ${name}`,
      elicitedName: `client ${index}`,
    };
    clients.push({ name, answers, client: await connect(answers) });
  }
}, 90_000);

afterAll(async () => {
  await Promise.allSettled(clients.map(({ client }) => client.close()));
  await hub?.close();
  await everythingHttp?.close();
});

describe('concurrent interactive calls from several clients', () => {
  it.each(['ev', 'evh'])(
    'routes each sampling request of upstream %s to the client whose call caused it',
    { timeout: 60_000 },
    async (prefix) => {
      const rounds = 2;
      const results = await Promise.all(
        clients.flatMap(({ name, client }) =>
          Array.from({ length: rounds }, async (_, round) => ({
            name,
            result: await client.callTool(`${prefix}__trigger-sampling-request`, {
              prompt: `${name} round ${round}`,
              maxTokens: 8,
            }),
          })),
        ),
      );
      expect(results).toHaveLength(clients.length * rounds);
      for (const { name, result } of results) {
        const own = clients.find((entry) => entry.name === name);
        expect(result.isError).toBe(false);
        expect(result.text).toContain(own?.answers.samplingText);
        for (const other of clients) {
          if (other.name !== name) expect(result.text).not.toContain(other.answers.samplingText);
        }
      }
    },
  );

  it('routes concurrent elicitation requests to their own clients', {
    timeout: 60_000,
  }, async () => {
    const results = await Promise.all(
      clients.map(async ({ name, client }) => ({
        name,
        result: await client.callTool('ev__trigger-elicitation-request', {}),
      })),
    );
    for (const { name, result } of results) {
      const own = clients.find((entry) => entry.name === name);
      expect(result.text).toContain(`Name: ${own?.answers.elicitedName}\n`);
    }
  });
});
