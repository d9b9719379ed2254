import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { InvalidConfigError, UpstreamUnavailableError } from '@fedmcp/protocol';
import { afterEach, describe, expect, it } from 'vitest';
import { createOpenAiIntentEngine } from './create-openai-intent-engine.js';
import { INTENT_ANSWER_JSON_SCHEMA } from './intent-prompt.js';
import { INTENT_TYPES } from './intent-types.js';

/** The parts of a Chat Completions request body the engine must send. */
interface ChatCompletionRequest {
  model: string;
  messages: { role: string; content: string }[];
  response_format: {
    type: string;
    json_schema: { name: string; strict: boolean; schema: typeof INTENT_ANSWER_JSON_SCHEMA };
  };
}

const API_KEY = 'sk-test-4f1c9a7e2b6d4c3a9e1f';

interface Received {
  method?: string;
  url?: string;
  headers: IncomingMessage['headers'];
  body: unknown;
}

/** A local contract fake of the Chat Completions endpoint: records each request, answers `reply`. */
async function startFakeOpenAi(reply: (request: Received, response: ServerResponse) => void) {
  const received: Received[] = [];
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const entry = {
        method: request.method,
        url: request.url,
        headers: request.headers,
        body: JSON.parse(Buffer.concat(chunks).toString('utf8')),
      };
      received.push(entry);
      reply(entry, response);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const close = () =>
    new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
  return { baseURL: `http://127.0.0.1:${port}/v1`, received, close };
}

const json = (response: ServerResponse, status: number, body: unknown) => {
  response.writeHead(status, { 'content-type': 'application/json' });
  response.end(JSON.stringify(body));
};

/** Answers like the API: the content is JSON of the asked schema, here one intent per utterance. */
function completion(request: Received, response: ServerResponse) {
  const prompt = (request.body as { messages: { content: string }[] }).messages[1]?.content ?? '';
  const count = prompt.split('\n').length - 1;
  const results = Array.from({ length: count }, (_, index) => ({
    index,
    intents: [{ type: 'Decision Made', confidence: 0.91 }],
  }));
  json(response, 200, {
    id: 'chatcmpl-1',
    object: 'chat.completion',
    choices: [
      {
        index: 0,
        message: { role: 'assistant', content: JSON.stringify({ results }) },
        finish_reason: 'stop',
      },
    ],
  });
}

let close: (() => Promise<void>) | undefined;
afterEach(async () => {
  await close?.();
  close = undefined;
});

describe('createOpenAiIntentEngine', () => {
  it('POSTs {baseURL}/chat/completions with a bearer key, the model and a strict json_schema', async () => {
    const fake = await startFakeOpenAi(completion);
    close = fake.close;
    const engine = createOpenAiIntentEngine({
      baseURL: `${fake.baseURL}/`,
      model: 'gpt-test',
      apiKey: API_KEY,
    });
    const results = await engine.detect([{ speaker: 'Ana', text: "We're going with Postgres." }]);
    expect(results).toEqual([
      {
        speaker: 'Ana',
        text: "We're going with Postgres.",
        intents: [{ type: 'Decision Made', confidence: 0.91 }],
      },
    ]);
    const [request] = fake.received;
    expect(request?.method).toBe('POST');
    expect(request?.url).toBe('/v1/chat/completions');
    expect(request?.headers.authorization).toBe(`Bearer ${API_KEY}`);
    expect(request?.headers['content-type']).toBe('application/json');
    const body = request?.body as ChatCompletionRequest;
    expect(body.model).toBe('gpt-test');
    expect(body.messages.map((message) => message.role)).toEqual(['system', 'user']);
    expect(body.messages[1]?.content).toContain('"text":"We\'re going with Postgres."');
    expect(body.response_format.type).toBe('json_schema');
    expect(body.response_format.json_schema.strict).toBe(true);
    expect(body.response_format.json_schema.schema).toEqual(INTENT_ANSWER_JSON_SCHEMA);
    expect(
      body.response_format.json_schema.schema.properties.results.items.properties.intents.items
        .properties.type.enum,
    ).toEqual([...INTENT_TYPES]);
  });

  it('turns an HTTP error into a clear error that never holds the key', async () => {
    const fake = await startFakeOpenAi((_, response) =>
      json(response, 401, {
        error: {
          message: `Incorrect API key provided: ${API_KEY}. You can find your API key at …`,
          type: 'invalid_request_error',
        },
      }),
    );
    close = fake.close;
    const engine = createOpenAiIntentEngine({
      baseURL: fake.baseURL,
      model: 'gpt-test',
      apiKey: API_KEY,
    });
    const error = await engine.detect([{ text: 'Hello?' }]).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(UpstreamUnavailableError);
    expect(String((error as Error).message)).toMatch(
      /failed: HTTP 401 \(Incorrect API key provided: \[redacted\]/,
    );
    expect(
      JSON.stringify({
        error,
        message: (error as Error).message,
        data: (error as UpstreamUnavailableError).data,
      }),
    ).not.toContain('4f1c9a7e');
  });

  it('says so when the server is unreachable, answers non-JSON, or the model refuses', async () => {
    const refused = createOpenAiIntentEngine({
      baseURL: 'http://127.0.0.1:1/v1',
      model: 'm',
      apiKey: API_KEY,
    });
    await expect(refused.detect([{ text: 'Hi?' }])).rejects.toThrow(/request failed/);

    const fake = await startFakeOpenAi((request, response) => {
      if ((request.body as { model: string }).model === 'html') {
        response.writeHead(502, { 'content-type': 'text/html' });
        response.end('<html>Bad gateway</html>');
      } else {
        json(response, 200, {
          choices: [
            { message: { role: 'assistant', content: null, refusal: 'I cannot do that.' } },
          ],
        });
      }
    });
    close = fake.close;
    const html = createOpenAiIntentEngine({
      baseURL: fake.baseURL,
      model: 'html',
      apiKey: API_KEY,
    });
    await expect(html.detect([{ text: 'Hi?' }])).rejects.toThrow(
      /failed: HTTP 502\. Check runtime\.intents\.openai/,
    );
    const refusing = createOpenAiIntentEngine({
      baseURL: fake.baseURL,
      model: 'refuse',
      apiKey: API_KEY,
    });
    await expect(refusing.detect([{ text: 'Hi?' }])).rejects.toThrow(
      /the model refused \(I cannot do that\.\)/,
    );
  });

  it('refuses a bad baseURL or an empty model or key when created', () => {
    expect(() =>
      createOpenAiIntentEngine({ baseURL: 'not a url', model: 'm', apiKey: 'k' }),
    ).toThrow(InvalidConfigError);
    expect(() =>
      createOpenAiIntentEngine({ baseURL: 'ftp://example.com', model: 'm', apiKey: 'k' }),
    ).toThrow(/runtime\.intents\.openai\.baseURL/);
    expect(() =>
      createOpenAiIntentEngine({ baseURL: 'https://example.com/v1', model: 'm', apiKey: ' ' }),
    ).toThrow(/runtime\.intents\.openai\.apiKey/);
  });
});
