import { InvalidConfigError, UpstreamUnavailableError } from '@fedmcp/protocol';
import {
  INTENT_ANSWER_JSON_SCHEMA,
  INTENT_SYSTEM_PROMPT,
  inBatches,
  intentPrompt,
  readIntentAnswer,
} from './intent-prompt.js';
import type { IntentEngine, Utterance } from './intent-types.js';

/** Options of {@link createOpenAiIntentEngine}. */
export interface OpenAiIntentEngineOptions {
  /** The API root, e.g. `https://api.openai.com/v1`; `/chat/completions` is appended. */
  baseURL: string;
  /** The model, e.g. `gpt-4o-mini`. */
  model: string;
  /** The API key, sent as a bearer token; never put into errors or logs. */
  apiKey: string;
  /** The fetch to use. @default globalThis.fetch */
  fetch?: typeof fetch;
  /** Utterances per request. @default 40 */
  batchSize?: number;
  /** How long one request may take. @default 60000 */
  timeoutMs?: number;
}

const ENGINE = 'openai';

/**
 * Creates an engine over any OpenAI-compatible Chat Completions endpoint
 * (`POST {baseURL}/chat/completions`, `response_format` json_schema, bearer key).
 *
 * @throws InvalidConfigError when `baseURL` is not an http(s) URL or `model`/`apiKey` is empty.
 * @example
 * ```ts
 * const engine = createOpenAiIntentEngine({
 *   baseURL: 'https://api.openai.com/v1', model: 'gpt-4o-mini', apiKey: secrets.openai,
 * });
 * ```
 */
export function createOpenAiIntentEngine(options: OpenAiIntentEngineOptions): IntentEngine {
  let endpoint: URL;
  try {
    endpoint = new URL(`${options.baseURL.replace(/\/+$/, '')}/chat/completions`);
    if (!/^https?:$/.test(endpoint.protocol)) throw new TypeError('not http(s)');
  } catch (error) {
    throw new InvalidConfigError({
      path: 'runtime.intents.openai.baseURL',
      reason: 'must be an http(s) URL such as https://api.openai.com/v1',
      cause: error,
    });
  }
  for (const key of ['model', 'apiKey'] as const) {
    if (!options[key]?.trim()) {
      throw new InvalidConfigError({ path: `runtime.intents.openai.${key}`, reason: 'is empty' });
    }
  }
  const fetchImplementation = options.fetch ?? globalThis.fetch;
  // Provider messages may quote the key (e.g. "Incorrect API key provided: sk-…"): never pass it on.
  const redact = (text: string) =>
    text
      .split(options.apiKey)
      .join('[redacted]')
      .replace(/\b(sk|key)-[\w*.-]{4,}/g, '[redacted]');
  const fail = (reason: string, cause?: unknown): never => {
    throw new UpstreamUnavailableError({
      upstreamId: ENGINE,
      reason: redact(reason),
      message: `The OpenAI-compatible intent engine at ${endpoint.origin} failed: ${redact(reason)}. Check runtime.intents.openai (baseURL, model, apiKey) or use the "builtin" engine.`,
      cause: cause instanceof Error ? new Error(redact(cause.message)) : undefined,
    });
  };

  async function detectBatch(batch: readonly Utterance[]) {
    let response: Response;
    try {
      response = await fetchImplementation(endpoint, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${options.apiKey}`,
          'content-type': 'application/json',
          accept: 'application/json',
        },
        body: JSON.stringify({
          model: options.model,
          temperature: 0,
          messages: [
            { role: 'system', content: INTENT_SYSTEM_PROMPT },
            { role: 'user', content: intentPrompt(batch) },
          ],
          response_format: {
            type: 'json_schema',
            json_schema: { name: 'intents', strict: true, schema: INTENT_ANSWER_JSON_SCHEMA },
          },
        }),
        signal: AbortSignal.timeout(options.timeoutMs ?? 60_000),
      });
    } catch (error) {
      const timedOut = error instanceof Error && error.name === 'TimeoutError';
      return fail(timedOut ? 'no answer in time' : `request failed (${String(error)})`, error);
    }
    const body = await response.text().catch(() => '');
    let json: unknown;
    try {
      json = JSON.parse(body);
    } catch {
      json = undefined;
    }
    if (!response.ok) {
      const detail = (json as { error?: { message?: unknown } } | undefined)?.error?.message;
      return fail(`HTTP ${response.status}${typeof detail === 'string' ? ` (${detail})` : ''}`);
    }
    const message = (
      json as { choices?: { message?: { content?: unknown; refusal?: unknown } }[] } | undefined
    )?.choices?.[0]?.message;
    if (typeof message?.refusal === 'string') return fail(`the model refused (${message.refusal})`);
    if (typeof message?.content !== 'string') {
      return fail('the answer has no choices[0].message.content');
    }
    return readIntentAnswer(message.content, batch, ENGINE);
  }

  return {
    name: ENGINE,
    detect: (utterances) => inBatches(utterances, options.batchSize ?? 40, detectBatch),
  };
}
