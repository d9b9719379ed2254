import { UpstreamUnavailableError } from '@fedmcp/protocol';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { readIntentAnswer } from './intent-prompt.js';
import { utteranceIntentsSchema } from './intent-types.js';

const utterances = [{ speaker: 'Ana', text: 'Can you send it?' }, { text: 'Sure.' }];

describe('readIntentAnswer', () => {
  it('reads any model answer into one valid result per utterance, or fails with UpstreamUnavailableError', () => {
    const answer = fc.oneof(
      fc.string(),
      fc.json(),
      fc.anything().map((value) => JSON.stringify({ results: value })),
      fc
        .array(
          fc.record({
            index: fc.oneof(fc.integer({ min: -2, max: 4 }), fc.anything()),
            intents: fc.array(
              fc.oneof(
                fc.constantFrom('Task Assignment', 'follow-up required', 'QUESTION', 'nonsense'),
                fc.record({ type: fc.anything(), confidence: fc.anything() }),
              ),
            ),
          }),
        )
        .map((results) => `\`\`\`json\n${JSON.stringify({ results })}\n\`\`\``),
    );
    fc.assert(
      fc.property(answer, (text) => {
        try {
          const results = readIntentAnswer(text, utterances, 'sampling');
          expect(results).toHaveLength(utterances.length);
          for (const result of results) {
            expect(utteranceIntentsSchema.parse(result)).toEqual(result);
            const types = result.intents.map((intent) => intent.type);
            expect(new Set(types).size).toBe(types.length);
          }
        } catch (error) {
          expect(error).toBeInstanceOf(UpstreamUnavailableError);
        }
      }),
      { numRuns: 500 },
    );
  });
});
