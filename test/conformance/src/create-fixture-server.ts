/**
 * The conformance fixture as an SDK v2 low-level `Server`: every tool, resource, template and
 * prompt the official suite calls by name. Server→client questions (sampling, elicitation) are
 * written once in multi-round-trip style (`inputRequired`): 2026-07-28 clients fulfil and retry,
 * and the SDK's legacy shim turns them into real pushes on 2025-era sessions.
 */
import type {
  CallToolResult,
  GetPromptResult,
  ReadResourceResult,
} from '@modelcontextprotocol/server';
import {
  inputRequired,
  inputResponse,
  ProtocolError,
  ProtocolErrorCode,
  ResourceNotFoundError,
  Server,
} from '@modelcontextprotocol/server';
import {
  FIXTURE_PROMPTS,
  FIXTURE_RESOURCE_TEMPLATES,
  FIXTURE_RESOURCES,
  FIXTURE_TOOLS,
} from './fixture-catalog.js';
import {
  FIXTURE_SERVER_INFO,
  FIXTURE_TEXT,
  FIXTURE_URIS,
  SEP1034_DEFAULTS_SCHEMA,
  SEP1330_ENUMS_SCHEMA,
  TEST_AUDIO_BASE64,
  TEST_IMAGE_BASE64,
  USER_INFORMATION_SCHEMA,
} from './fixture-content.js';

/** Options for {@link createFixtureServer}. */
export interface FixtureServerOptions {
  /**
   * Delay between the log and progress notifications of `test_tool_with_logging` and
   * `test_tool_with_progress`, in milliseconds.
   * @default 50
   */
  notificationIntervalMs?: number;
}

const TEMPLATE_PATTERN = /^test:\/\/template\/([^/]+)\/data$/;

function sleep(milliseconds: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason);
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, milliseconds);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal.reason);
    };
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

function requireString(value: unknown, name: string): string {
  if (typeof value !== 'string') {
    throw new ProtocolError(ProtocolErrorCode.InvalidParams, `Argument "${name}" must be a string`);
  }
  return value;
}

function text(value: string): CallToolResult {
  return { content: [{ type: 'text', text: value }] };
}

/**
 * Creates one fixture `Server` instance (one per session or stdio connection).
 *
 * @example
 * ```ts
 * const server = createFixtureServer();
 * await server.connect(transport);
 * ```
 */
export function createFixtureServer(options: FixtureServerOptions = {}): Server {
  const interval = options.notificationIntervalMs ?? 50;
  const subscriptions = new Set<string>();
  const server = new Server(FIXTURE_SERVER_INFO, {
    capabilities: {
      tools: { listChanged: true },
      resources: { subscribe: true, listChanged: true },
      prompts: { listChanged: true },
      logging: {},
      completions: {},
    },
  });

  server.setRequestHandler('tools/list', () => ({ tools: FIXTURE_TOOLS }));

  server.setRequestHandler('tools/call', async (request, context) => {
    const { name } = request.params;
    const args = request.params.arguments ?? {};
    const signal = context.mcpReq.signal;
    switch (name) {
      case 'test_simple_text':
        return text(FIXTURE_TEXT.simpleText);
      case 'test_image_content':
        return { content: [{ type: 'image', data: TEST_IMAGE_BASE64, mimeType: 'image/png' }] };
      case 'test_audio_content':
        return { content: [{ type: 'audio', data: TEST_AUDIO_BASE64, mimeType: 'audio/wav' }] };
      case 'test_embedded_resource':
        return {
          content: [
            {
              type: 'resource',
              resource: {
                uri: FIXTURE_URIS.embeddedResource,
                mimeType: 'text/plain',
                text: FIXTURE_TEXT.embeddedResource,
              },
            },
          ],
        };
      case 'test_multiple_content_types':
        return {
          content: [
            { type: 'text', text: FIXTURE_TEXT.mixedContentIntro },
            { type: 'image', data: TEST_IMAGE_BASE64, mimeType: 'image/png' },
            {
              type: 'resource',
              resource: {
                uri: FIXTURE_URIS.mixedContentResource,
                mimeType: 'application/json',
                text: JSON.stringify({ test: 'data', value: 123 }),
              },
            },
          ],
        };
      case 'test_tool_with_logging': {
        const [first, ...rest] = FIXTURE_TEXT.loggingMessages;
        await context.mcpReq.log('info', first);
        for (const message of rest) {
          await sleep(interval, signal);
          await context.mcpReq.log('info', message);
        }
        return text(FIXTURE_TEXT.loggingResult);
      }
      case 'test_tool_with_progress': {
        const progressToken = context.mcpReq._meta?.progressToken;
        for (const progress of [0, 50, 100]) {
          if (progress > 0) await sleep(interval, signal);
          if (progressToken !== undefined) {
            await context.mcpReq.notify({
              method: 'notifications/progress',
              params: {
                progressToken,
                progress,
                total: 100,
                message: `Completed step ${progress} of 100`,
              },
            });
          }
        }
        return text(String(progressToken ?? 'no progress token'));
      }
      case 'test_error_handling':
        return { isError: true, content: [{ type: 'text', text: FIXTURE_TEXT.errorMessage }] };
      case 'test_reconnection':
        // Close this request's SSE stream; the client reconnects with Last-Event-ID and the
        // result is replayed from the event store.
        context.http?.closeSSE?.();
        await sleep(100, signal);
        return text(FIXTURE_TEXT.reconnectionResult);
      case 'test_sampling': {
        const prompt = requireString(args.prompt, 'prompt');
        const answer = inputResponse(context.mcpReq.inputResponses, 'sampling');
        if (answer.kind !== 'sampling') {
          return inputRequired({
            inputRequests: {
              sampling: inputRequired.createMessage({
                messages: [{ role: 'user', content: { type: 'text', text: prompt } }],
                maxTokens: 100,
              }),
            },
          });
        }
        const content = answer.result.content;
        const block = Array.isArray(content) ? content[0] : content;
        const reply = block?.type === 'text' ? block.text : 'No response';
        return text(`LLM response: ${reply}`);
      }
      case 'test_elicitation':
      case 'test_elicitation_sep1034_defaults':
      case 'test_elicitation_sep1330_enums': {
        const answer = inputResponse(context.mcpReq.inputResponses, 'elicitation');
        if (answer.kind !== 'elicit') {
          return inputRequired({
            inputRequests: { elicitation: elicitationFor(name, args.message) },
          });
        }
        const prefix = name === 'test_elicitation' ? 'User response' : 'Elicitation completed';
        return text(
          `${prefix}: action=${answer.action}, content=${JSON.stringify(answer.content ?? {})}`,
        );
      }
      case 'json_schema_2020_12_tool':
        return text(`JSON Schema 2020-12 tool called with: ${JSON.stringify(args)}`);
      default:
        throw new ProtocolError(ProtocolErrorCode.InvalidParams, `Unknown tool: ${name}`);
    }
  });

  server.setRequestHandler('resources/list', () => ({ resources: FIXTURE_RESOURCES }));

  server.setRequestHandler('resources/templates/list', () => ({
    resourceTemplates: FIXTURE_RESOURCE_TEMPLATES,
  }));

  server.setRequestHandler('resources/read', (request): ReadResourceResult => {
    const { uri } = request.params;
    switch (uri) {
      case FIXTURE_URIS.staticText:
        return {
          contents: [{ uri, mimeType: 'text/plain', text: FIXTURE_TEXT.staticTextResource }],
        };
      case FIXTURE_URIS.staticBinary:
        return { contents: [{ uri, mimeType: 'image/png', blob: TEST_IMAGE_BASE64 }] };
      case FIXTURE_URIS.watched:
        return { contents: [{ uri, mimeType: 'text/plain', text: FIXTURE_TEXT.watchedResource }] };
    }
    const match = TEMPLATE_PATTERN.exec(uri);
    if (match) {
      const id = decodeURIComponent(match[1]!);
      return {
        contents: [
          {
            uri,
            mimeType: 'application/json',
            text: JSON.stringify({ id, templateTest: true, data: `Data for ID: ${id}` }),
          },
        ],
      };
    }
    throw new ResourceNotFoundError(uri);
  });

  server.setRequestHandler('resources/subscribe', (request) => {
    subscriptions.add(request.params.uri);
    return {};
  });

  server.setRequestHandler('resources/unsubscribe', (request) => {
    subscriptions.delete(request.params.uri);
    return {};
  });

  server.setRequestHandler('prompts/list', () => ({ prompts: FIXTURE_PROMPTS }));

  server.setRequestHandler('prompts/get', (request): GetPromptResult => {
    const { name } = request.params;
    const args = request.params.arguments ?? {};
    switch (name) {
      case 'test_simple_prompt':
        return {
          messages: [{ role: 'user', content: { type: 'text', text: FIXTURE_TEXT.simplePrompt } }],
        };
      case 'test_prompt_with_arguments': {
        const arg1 = requireString(args.arg1, 'arg1');
        const arg2 = requireString(args.arg2, 'arg2');
        return {
          messages: [
            {
              role: 'user',
              content: {
                type: 'text',
                text: `Prompt with arguments: arg1='${arg1}', arg2='${arg2}'`,
              },
            },
          ],
        };
      }
      case 'test_prompt_with_embedded_resource': {
        const uri = requireString(args.resourceUri, 'resourceUri');
        return {
          messages: [
            {
              role: 'user',
              content: {
                type: 'resource',
                resource: {
                  uri,
                  mimeType: 'text/plain',
                  text: FIXTURE_TEXT.promptEmbeddedResource,
                },
              },
            },
            {
              role: 'user',
              content: { type: 'text', text: FIXTURE_TEXT.promptEmbeddedResourceInstruction },
            },
          ],
        };
      }
      case 'test_prompt_with_image':
        return {
          messages: [
            {
              role: 'user',
              content: { type: 'image', data: TEST_IMAGE_BASE64, mimeType: 'image/png' },
            },
            { role: 'user', content: { type: 'text', text: FIXTURE_TEXT.promptImageInstruction } },
          ],
        };
      default:
        throw new ProtocolError(ProtocolErrorCode.InvalidParams, `Unknown prompt: ${name}`);
    }
  });

  server.setRequestHandler('completion/complete', (request) => {
    const { ref, argument } = request.params;
    const candidates =
      ref.type === 'ref/prompt' && ref.name === 'test_prompt_with_arguments'
        ? ['hello', 'world']
        : [];
    const values = candidates.filter((value) => value.startsWith(argument.value));
    return { completion: { values, total: values.length, hasMore: false } };
  });

  return server;
}

function elicitationFor(toolName: string, message: unknown) {
  switch (toolName) {
    case 'test_elicitation':
      return inputRequired.elicit({
        mode: 'form',
        message: requireString(message, 'message'),
        requestedSchema: USER_INFORMATION_SCHEMA,
      });
    case 'test_elicitation_sep1034_defaults':
      return inputRequired.elicit({
        mode: 'form',
        message: 'Please review and update the form fields with defaults',
        requestedSchema: SEP1034_DEFAULTS_SCHEMA,
      });
    default:
      return inputRequired.elicit({
        mode: 'form',
        message: 'Please select options from the enum fields',
        requestedSchema: SEP1330_ENUMS_SCHEMA,
      });
  }
}
