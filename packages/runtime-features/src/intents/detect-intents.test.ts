import { InvalidRequestError } from '@fedmcp/protocol';
import { describe, expect, it } from 'vitest';
import { createBuiltinIntentEngine } from './create-builtin-intent-engine.js';
import { detectIntents } from './detect-intents.js';
import { detectIntentsOutputSchema } from './intent-types.js';

const engine = createBuiltinIntentEngine();

describe('detectIntents', () => {
  it('splits text into sentences and "Speaker: text" turns, and labels each', async () => {
    const result = await detectIntents(
      {
        text: "Ana: We've decided to ship on Monday. Bo, can you write the release notes?\nBo: Sure, I'll write them tonight.",
      },
      engine,
    );
    expect(detectIntentsOutputSchema.parse(result)).toEqual(result);
    expect(result.results.map(({ speaker, text }) => [speaker, text])).toEqual([
      ['Ana', "We've decided to ship on Monday."],
      ['Ana', 'Bo, can you write the release notes?'],
      ['Bo', "Sure, I'll write them tonight."],
    ]);
    expect(result.results.map((entry) => entry.intents[0]?.type)).toEqual([
      'Decision Made',
      'Task Assignment',
      'Commitment Made',
    ]);
  });

  it('takes utterances as given', async () => {
    const result = await detectIntents(
      { utterances: [{ speaker: 'Kim', text: 'When is the review?' }] },
      engine,
    );
    expect(result.results).toEqual([
      { speaker: 'Kim', text: 'When is the review?', intents: expect.any(Array) },
    ]);
    expect(result.results[0]?.intents[0]?.type).toBe('Question Asked');
  });

  it('refuses neither or both of text and utterances, empty text, and bad shapes, with the reason', async () => {
    await expect(detectIntents({}, engine)).rejects.toThrow(
      /exactly one of "text" or "utterances"/,
    );
    await expect(detectIntents({ text: 'Hi.', utterances: [] }, engine)).rejects.toThrow(
      InvalidRequestError,
    );
    await expect(detectIntents({ text: '   \n ' }, engine)).rejects.toThrow(/no text to analyse/);
    await expect(detectIntents({ utterances: [{ text: 42 }] } as never, engine)).rejects.toThrow(
      /utterances\.0\.text/,
    );
  });
});
