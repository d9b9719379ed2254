import { InvalidRequestError } from '@fedmcp/protocol';
import {
  type DetectIntentsInput,
  type DetectIntentsResult,
  detectIntentsInputSchema,
  type IntentEngine,
} from './intent-types.js';
import { splitUtterances } from './split-utterances.js';
import { validateInput } from './validate-input.js';

/**
 * Detects the intents of a text or of utterances: the `detect_intents` tool. A `text` is split
 * into sentences (and into turns on `Speaker: text` lines); `utterances` are taken as given.
 *
 * @throws InvalidRequestError when neither or both of `text` and `utterances` are given, when the
 * input does not match {@link detectIntentsInputSchema}, or when there is nothing to analyse.
 * @example
 * ```ts
 * const { results } = await detectIntents(
 *   { text: 'Ana: Can you send the deck by Friday?' },
 *   createBuiltinIntentEngine(),
 * );
 * ```
 */
export async function detectIntents(
  input: DetectIntentsInput,
  engine: IntentEngine,
): Promise<DetectIntentsResult> {
  const { text, utterances } = validateInput(detectIntentsInputSchema, input);
  if ((text === undefined) === (utterances === undefined)) {
    throw new InvalidRequestError({
      reason: 'give exactly one of "text" or "utterances"',
    });
  }
  const list = (utterances ?? splitUtterances(text ?? '')).filter(({ text }) => text.trim() !== '');
  if (list.length === 0) {
    throw new InvalidRequestError({ reason: 'there is no text to analyse (it is empty)' });
  }
  return { results: await engine.detect(list) };
}
