import { FedmcpError, UpstreamUnavailableError } from '@fedmcp/protocol';
import {
  INTENT_SYSTEM_PROMPT,
  inBatches,
  intentPrompt,
  readIntentAnswer,
} from './intent-prompt.js';
import type { IntentEngine } from './intent-types.js';

/** What the sampling engine asks the client's model for. */
export interface IntentSamplingRequest {
  /** The system prompt (intent types and answer format). */
  system: string;
  /** The utterances to label, numbered, one JSON object a line. */
  prompt: string;
  /** The most tokens the answer needs. */
  maxTokens: number;
}

/** Options of {@link createSamplingIntentEngine}. */
export interface SamplingIntentEngineOptions {
  /** Utterances per sampling request. @default 40 */
  batchSize?: number;
}

/**
 * Creates an engine that asks the calling client's model, through MCP sampling
 * (`sampling/createMessage`), to label utterances as JSON; the answer is validated and repaired
 * (see `readIntentAnswer`).
 *
 * @param sample sends one sampling request and returns the text of the model's answer (the runtime
 * server passes one backed by the client's `sampling/createMessage`).
 * @example
 * ```ts
 * const engine = createSamplingIntentEngine(async ({ system, prompt, maxTokens }) => {
 *   const answer = await server.createMessage({ systemPrompt: system, maxTokens,
 *     messages: [{ role: 'user', content: { type: 'text', text: prompt } }] });
 *   return answer.content.type === 'text' ? answer.content.text : '';
 * });
 * ```
 */
export function createSamplingIntentEngine(
  sample: (request: IntentSamplingRequest) => Promise<string>,
  options: SamplingIntentEngineOptions = {},
): IntentEngine {
  return {
    name: 'sampling',
    detect: (utterances) =>
      inBatches(utterances, options.batchSize ?? 40, async (batch) => {
        let answer: string;
        try {
          answer = await sample({
            system: INTENT_SYSTEM_PROMPT,
            prompt: intentPrompt(batch),
            maxTokens: 200 + 60 * batch.length,
          });
        } catch (error) {
          if (FedmcpError.isInstance(error)) throw error;
          throw new UpstreamUnavailableError({
            upstreamId: 'sampling',
            reason: 'the sampling request failed',
            message: `The client's model could not label the utterances through sampling (${error instanceof Error ? error.message : String(error)}). Use a client that supports sampling, or the "builtin" engine.`,
            cause: error,
          });
        }
        return readIntentAnswer(answer, batch, 'sampling');
      }),
  };
}
