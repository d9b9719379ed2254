import { request as httpRequest } from 'node:http';
import {
  Client,
  LOG_LEVEL_META_KEY,
  StreamableHTTPClientTransport,
} from '@modelcontextprotocol/client';
import { StdioClientTransport } from '@modelcontextprotocol/client/stdio';
import { describe, expect, it } from 'vitest';
import { applyElicitationDefaults } from './apply-elicitation-defaults.js';
import {
  FIXTURE_TEXT,
  JSON_SCHEMA_2020_12_INPUT_SCHEMA,
  SEP1034_DEFAULTS_SCHEMA,
} from './fixture-content.js';
import { fixtureStdioSpec, startFixtureServer } from './fixture-server.js';

const clientInfo = { name: 'fixture-test', version: '1.0.0' };

function interactiveClient(options: ConstructorParameters<typeof Client>[1] = {}) {
  const client = new Client(clientInfo, {
    ...options,
    capabilities: { sampling: {}, elicitation: { form: {} } },
  });
  client.setRequestHandler('sampling/createMessage', (request) => {
    const first = request.params.messages[0]?.content;
    const prompt = first && !Array.isArray(first) && first.type === 'text' ? first.text : '?';
    return {
      role: 'assistant',
      model: 'test-model',
      content: { type: 'text', text: `echo ${prompt}` },
    };
  });
  client.setRequestHandler('elicitation/create', (request) => ({
    action: 'accept',
    content: applyElicitationDefaults(
      'requestedSchema' in request.params ? request.params.requestedSchema : {},
      { username: 'ada', email: 'ada@example.com' },
    ),
  }));
  return client;
}

function firstText(result: { content?: unknown }): string | undefined {
  const content = result.content as Array<{ type: string; text?: string }> | undefined;
  return content?.find((block) => block.type === 'text')?.text;
}

/** POSTs an initialize with raw headers (fetch cannot forge `Host`); resolves the status code. */
function postInitialize(url: string, headers: Record<string, string>): Promise<number> {
  const body = JSON.stringify({
    jsonrpc: '2.0',
    id: 1,
    method: 'initialize',
    params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo },
  });
  return new Promise((resolve, reject) => {
    const outgoing = httpRequest(
      url,
      {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          accept: 'application/json, text/event-stream',
          ...headers,
        },
      },
      (response) => {
        response.resume();
        resolve(response.statusCode ?? 0);
      },
    );
    outgoing.once('error', reject);
    outgoing.end(body);
  });
}

describe('fixture server over Streamable HTTP', () => {
  it('serves a 2025-11-25 session: sampling, elicitation defaults, progress, raw 2020-12 schema', async () => {
    await using fixture = await startFixtureServer();
    const client = interactiveClient();
    await client.connect(new StreamableHTTPClientTransport(new URL(fixture.url)));
    try {
      expect(client.getNegotiatedProtocolVersion()).toBe('2025-11-25');
      expect(fixture.sessionCount()).toBe(1);

      const { tools } = await client.listTools();
      const schemaTool = tools.find((tool) => tool.name === 'json_schema_2020_12_tool');
      expect(schemaTool?.inputSchema).toEqual(JSON_SCHEMA_2020_12_INPUT_SCHEMA);

      const sampled = await client.callTool({ name: 'test_sampling', arguments: { prompt: 'hi' } });
      expect(firstText(sampled)).toBe('LLM response: echo hi');

      const elicited = await client.callTool({ name: 'test_elicitation_sep1034_defaults' });
      expect(firstText(elicited)).toBe(
        `Elicitation completed: action=accept, content=${JSON.stringify(
          applyElicitationDefaults(SEP1034_DEFAULTS_SCHEMA, {
            username: 'ada',
            email: 'ada@example.com',
          }),
        )}`,
      );

      const progress: number[] = [];
      await client.callTool(
        { name: 'test_tool_with_progress' },
        {
          onprogress: (update) => progress.push(update.progress),
        },
      );
      expect(progress).toEqual([0, 50, 100]);
    } finally {
      await client.close();
    }
  });

  it('resumes a closed call stream from the event store (SEP-1699)', async () => {
    await using fixture = await startFixtureServer({ retryIntervalMs: 100 });
    const resumptions: string[] = [];
    const recordingFetch: typeof fetch = (input, init) => {
      const lastEventId = new Headers(init?.headers).get('last-event-id');
      if (init?.method === 'GET' && lastEventId) resumptions.push(lastEventId);
      return fetch(input, init);
    };
    const client = new Client(clientInfo);
    await client.connect(
      new StreamableHTTPClientTransport(new URL(fixture.url), { fetch: recordingFetch }),
    );
    try {
      const result = await client.callTool({ name: 'test_reconnection' });
      expect(firstText(result)).toBe(FIXTURE_TEXT.reconnectionResult);
      // The result came back on a GET that resumed the closed stream after its priming event.
      expect(resumptions).toHaveLength(1);
      expect(resumptions[0]).toMatch(/::\d{12}$/);
    } finally {
      await client.close();
    }
  });

  it('serves 2026-07-28 clients on the same URL, with sampling as an input_required round', async () => {
    await using fixture = await startFixtureServer();
    const client = interactiveClient({ versionNegotiation: { mode: { pin: '2026-07-28' } } });
    await client.connect(new StreamableHTTPClientTransport(new URL(fixture.url)));
    try {
      expect(client.getProtocolEra()).toBe('modern');
      const sampled = await client.callTool({ name: 'test_sampling', arguments: { prompt: 'yo' } });
      expect(firstText(sampled)).toBe('LLM response: echo yo');
      const resource = await client.readResource({ uri: 'test://template/42/data' });
      expect(resource.contents[0]).toMatchObject({
        text: JSON.stringify({ id: '42', templateTest: true, data: 'Data for ID: 42' }),
      });
      expect(fixture.sessionCount()).toBe(0);
    } finally {
      await client.close();
    }
  });

  it("sends a call's sampling request on that call's own SSE stream, not the GET stream", async () => {
    await using fixture = await startFixtureServer();
    const headers = {
      'content-type': 'application/json',
      accept: 'application/json, text/event-stream',
    };
    const post = (body: unknown, extra: Record<string, string> = {}) =>
      fetch(fixture.url, {
        method: 'POST',
        headers: { ...headers, ...extra },
        body: JSON.stringify(body),
      });
    const initialized = await post({
      jsonrpc: '2.0',
      id: 1,
      method: 'initialize',
      params: { protocolVersion: '2025-11-25', capabilities: { sampling: {} }, clientInfo },
    });
    await initialized.text();
    const session = {
      'mcp-session-id': initialized.headers.get('mcp-session-id') ?? '',
      'mcp-protocol-version': '2025-11-25',
    };
    await (await post({ jsonrpc: '2.0', method: 'notifications/initialized' }, session)).text();
    const controller = new AbortController();
    const call = await post(
      {
        jsonrpc: '2.0',
        id: 2,
        method: 'tools/call',
        params: { name: 'test_sampling', arguments: { prompt: 'p' } },
      },
      session,
    );
    let received = '';
    const decoder = new TextDecoder();
    const reader = call.body!.getReader();
    const timer = setTimeout(() => controller.abort(), 10_000);
    controller.signal.addEventListener('abort', () => void reader.cancel());
    while (!received.includes('sampling/createMessage')) {
      const { value, done } = await reader.read();
      if (done) break;
      received += decoder.decode(value, { stream: true });
    }
    clearTimeout(timer);
    await reader.cancel();
    expect(received).toContain('"method":"sampling/createMessage"');
  });

  it('logs to a 2026-07-28 request only when it carries a log level in _meta', async () => {
    await using fixture = await startFixtureServer();
    const client = new Client(clientInfo, { versionNegotiation: { mode: { pin: '2026-07-28' } } });
    const logs: unknown[] = [];
    client.setNotificationHandler('notifications/message', (notification) => {
      logs.push(notification.params.data);
    });
    await client.connect(new StreamableHTTPClientTransport(new URL(fixture.url)));
    try {
      await client.callTool({ name: 'test_tool_with_logging' });
      expect(logs).toEqual([]);
      await client.callTool({
        name: 'test_tool_with_logging',
        _meta: { [LOG_LEVEL_META_KEY]: 'info' },
      });
      expect(logs).toEqual(FIXTURE_TEXT.loggingMessages);
    } finally {
      await client.close();
    }
  });

  it('answers modern requests with the 2025 no-session 400 when serveModernEra is false', async () => {
    await using fixture = await startFixtureServer({ serveModernEra: false });
    const client = new Client(clientInfo, { versionNegotiation: { mode: 'auto' } });
    await client.connect(new StreamableHTTPClientTransport(new URL(fixture.url)));
    try {
      expect(client.getProtocolEra()).toBe('legacy');
      expect(fixture.sessionCount()).toBe(1);
    } finally {
      await client.close();
    }
  });

  it('rejects a forged Host or Origin with 403 and accepts localhost (DNS rebinding)', async () => {
    await using fixture = await startFixtureServer();
    const { port } = fixture;
    expect(await postInitialize(fixture.url, { host: `evil.example:${port}` })).toBe(403);
    expect(await postInitialize(fixture.url, { origin: 'http://evil.example' })).toBe(403);
    expect(await postInitialize(fixture.url, { host: `localhost:${port}` })).toBe(200);
    expect(await postInitialize(fixture.url, { origin: `http://localhost:${port}` })).toBe(200);
  });

  it('answers 404 for an unknown session and drops sessions on close', async () => {
    const fixture = await startFixtureServer();
    const client = new Client(clientInfo);
    await client.connect(new StreamableHTTPClientTransport(new URL(fixture.url)));
    expect(fixture.sessionCount()).toBe(1);
    const status = await postInitialize(fixture.url, { 'mcp-session-id': 'no-such-session' });
    expect(status).toBe(404);
    await fixture.close();
    expect(fixture.sessionCount()).toBe(0);
    await client.close();
  });
});

describe('fixture server over stdio', () => {
  it('serves the fixture to a 2025-era client in a child process', async () => {
    const client = interactiveClient();
    await client.connect(new StdioClientTransport({ ...fixtureStdioSpec(), stderr: 'pipe' }));
    try {
      const text = await client.callTool({ name: 'test_simple_text' });
      expect(firstText(text)).toBe(FIXTURE_TEXT.simpleText);
      const elicited = await client.callTool({
        name: 'test_elicitation',
        arguments: { message: 'Who are you?' },
      });
      expect(firstText(elicited)).toBe(
        'User response: action=accept, content={"username":"ada","email":"ada@example.com"}',
      );
      const prompt = await client.getPrompt({
        name: 'test_prompt_with_arguments',
        arguments: { arg1: 'hello', arg2: 'world' },
      });
      expect(prompt.messages[0]?.content).toEqual({
        type: 'text',
        text: "Prompt with arguments: arg1='hello', arg2='world'",
      });
    } finally {
      await client.close();
    }
  }, 30_000);

  it('serves a 2026-07-28 client too, with elicitation as an input_required round', async () => {
    const client = interactiveClient({ versionNegotiation: { mode: { pin: '2026-07-28' } } });
    await client.connect(new StdioClientTransport({ ...fixtureStdioSpec(), stderr: 'pipe' }));
    try {
      expect(client.getProtocolEra()).toBe('modern');
      const elicited = await client.callTool({
        name: 'test_elicitation',
        arguments: { message: 'Who are you?' },
      });
      expect(firstText(elicited)).toBe(
        'User response: action=accept, content={"username":"ada","email":"ada@example.com"}',
      );
    } finally {
      await client.close();
    }
  }, 30_000);
});
