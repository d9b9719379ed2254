import { describe, expect, it } from 'vitest';
import { createBuiltinIntentEngine } from '../intents/create-builtin-intent-engine.js';
import { detectIntents } from '../intents/detect-intents.js';
import { processTranscript } from './process-transcript.js';

// The example of the "Transcripts and intents" section of the package README, run as written.
describe('README: transcripts and intents', () => {
  it('gives the decisions, action items and intents the README shows', async () => {
    const minutes = await processTranscript(
      {
        transcript:
          'Ana: We decided to ship on Monday.\nAna: Bo, can you write the notes by Friday?\nBo: Sure.',
      },
      { meetingDate: new Date('2026-12-02') },
    );
    expect(minutes.decisions).toEqual(['We decided to ship on Monday.']);
    expect(minutes.actionItems).toEqual([
      {
        task: 'Can you write the notes by Friday?',
        owner: 'Bo',
        due: '2026-12-04',
        dueText: 'by Friday',
        speaker: 'Ana',
      },
    ]);
    const { results } = await detectIntents(
      { text: "I'll send the deck." },
      createBuiltinIntentEngine(),
    );
    expect(results[0]?.intents).toEqual([{ type: 'Commitment Made', confidence: 0.99 }]);
  });
});
