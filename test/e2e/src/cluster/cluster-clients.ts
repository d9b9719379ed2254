/**
 * The clients of the cluster e2e tests: an SDK v2 client pinned to 2026-07-28 and an SDK v1
 * client in a 2025-11-25 session, both over Streamable HTTP with an API key, both recording what
 * the hub sends them.
 */
import { elicitedContent } from '@fedmcp/test-support';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { ResultSchema } from '@modelcontextprotocol/core';
import { Client as V1Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport as V1StreamableHttp } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import {
  CreateMessageRequestSchema,
  ElicitRequestSchema,
  ListRootsRequestSchema,
} from '@modelcontextprotocol/sdk/types.js';

export type Params = Record<string, unknown>;

/** The JSON-RPC messages of an SSE or JSON body. */
export function messagesOf(text: string): Params[] {
  return text
    .split('\n')
    .map((line) => (line.startsWith('data:') ? line.slice(5) : line).trim())
    .filter((json) => json.startsWith('{'))
    .map((json) => JSON.parse(json) as Params);
}

/**
 * A 2026-07-28 SDK v2 client: `wire` answers a request with its wire result (the SDK does not
 * decode `resultType: "task"`), `listenFrames` gathers the frames of its listen streams.
 */
export async function modernClient(baseUrl: string, apiKey: string, tasks: boolean) {
  const answers: Params[] = [];
  const reading: Array<Promise<void>> = [];
  const listenFrames: Params[] = [];
  const asked: string[] = [];
  const transport = new StreamableHTTPClientTransport(new URL(`${baseUrl}/mcp`), {
    requestInit: { headers: { authorization: `Bearer ${apiKey}` } },
    fetch: async (input, init) => {
      const response = await fetch(input, init);
      const sent = typeof init?.body === 'string' ? (JSON.parse(init.body) as Params) : {};
      if (sent.method === 'subscriptions/listen' && response.body) {
        const [mine, theirs] = response.body.tee();
        void (async () => {
          const decoder = new TextDecoder();
          let buffer = '';
          const reader = theirs.getReader();
          for (;;) {
            const { done, value } = await reader.read();
            if (done) break;
            buffer += decoder.decode(value, { stream: true });
            const frames = buffer.split('\n\n');
            buffer = frames.pop() ?? '';
            for (const frame of frames) listenFrames.push(...messagesOf(frame));
          }
        })().catch(() => {});
        return new Response(mine, { status: response.status, headers: response.headers });
      }
      if (init?.method === 'POST' && response.body) {
        // Read beside the SDK, not before it: progress reaches the SDK as it streams.
        const [mine, theirs] = response.body.tee();
        reading.push(
          new Response(theirs).text().then(
            (text) => {
              answers.push(...messagesOf(text));
            },
            () => undefined,
          ),
        );
        return new Response(mine, { status: response.status, headers: response.headers });
      }
      return response;
    },
  });
  const client = new Client(
    { name: 'cluster-client', version: '1.0.0' },
    {
      capabilities: {
        sampling: {},
        elicitation: { form: {} },
        ...(tasks ? { extensions: { 'io.modelcontextprotocol/tasks': {} } } : {}),
      } as never,
      versionNegotiation: { mode: { pin: '2026-07-28' } },
    },
  );
  // Asked through input_required rounds: the retry carrying the answer may land on any replica.
  client.setRequestHandler('sampling/createMessage', () => {
    asked.push('sampling/createMessage');
    return {
      model: 'cluster-model',
      role: 'assistant' as const,
      content: { type: 'text' as const, text: legacyAnswers.samplingText },
    };
  });
  client.setRequestHandler('elicitation/create', () => {
    asked.push('elicitation/create');
    return { action: 'accept' as const, content: elicitedContent(legacyAnswers.elicitedName) };
  });
  await client.connect(transport);
  const wire = async (method: string, params: Params): Promise<Params> => {
    await client.request({ method, params } as never, ResultSchema).catch(() => undefined);
    await Promise.all(reading.splice(0));
    const answer = answers.at(-1) ?? {};
    return (answer.result ?? answer.error) as Params;
  };
  return { client, wire, listenFrames, asked };
}

export function textOf(result: unknown): string {
  const content = (result as { content?: Array<{ type: string; text?: string }> }).content ?? [];
  return content.map((item) => item.text ?? '').join('');
}

/** What both clients answer to the hub's server→client requests. */
export const legacyAnswers = {
  samplingText: 'sampled across replicas',
  elicitedName: 'Ada',
  roots: [{ uri: 'file:///cluster/workspace', name: 'cluster workspace' }],
};

/**
 * A 2025-11-25 SDK v1 client over Streamable HTTP: declares sampling, elicitation and roots and
 * answers them with {@link legacyAnswers}; `notifications` gathers every notification it gets,
 * `requests` the method of every server→client request. `streamOpen` resolves once the client
 * holds its standalone GET stream (the hub answered the GET with an SSE stream): the SDK opens it
 * in the background after `initialize`, so a notification outside any call (a one-off
 * `list_changed`) sent before then has no stream to go on.
 */
export async function legacyClient(baseUrl: string, apiKey: string) {
  const client = new V1Client(
    { name: 'cluster-v1', version: '1.0.0' },
    { capabilities: { sampling: {}, elicitation: {}, roots: { listChanged: true } } },
  );
  const notifications: Params[] = [];
  const requests: string[] = [];
  client.fallbackNotificationHandler = async (notification) => {
    notifications.push(notification as Params);
  };
  client.setRequestHandler(CreateMessageRequestSchema, () => {
    requests.push('sampling/createMessage');
    return {
      model: 'cluster-model',
      role: 'assistant' as const,
      content: { type: 'text' as const, text: legacyAnswers.samplingText },
    };
  });
  client.setRequestHandler(ElicitRequestSchema, () => {
    requests.push('elicitation/create');
    return { action: 'accept' as const, content: elicitedContent(legacyAnswers.elicitedName) };
  });
  client.setRequestHandler(ListRootsRequestSchema, () => {
    requests.push('roots/list');
    return { roots: legacyAnswers.roots };
  });
  let markStreamOpen: () => void = () => {};
  const streamOpen = new Promise<void>((resolve) => {
    markStreamOpen = resolve;
  });
  const transport = new V1StreamableHttp(new URL(`${baseUrl}/mcp`), {
    requestInit: { headers: { authorization: `Bearer ${apiKey}` } },
    fetch: async (url, init) => {
      const response = await fetch(url, init);
      if (
        init?.method === 'GET' &&
        response.ok &&
        response.headers.get('content-type')?.includes('text/event-stream')
      ) {
        markStreamOpen();
      }
      return response;
    },
    // Quick GET stream reconnects (the default starts at 1 s).
    reconnectionOptions: {
      initialReconnectionDelay: 100,
      maxReconnectionDelay: 1_000,
      reconnectionDelayGrowFactor: 1.5,
      maxRetries: 20,
    },
  });
  await client.connect(transport);
  return {
    client,
    transport,
    notifications,
    requests,
    streamOpen,
    async close() {
      await transport.terminateSession().catch(() => {});
      await client.close();
    },
  };
}
