import { InvalidRequestError } from '@fedmcp/protocol';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { processTranscript } from './process-transcript.js';
import { processTranscriptOutputSchema } from './transcript-schemas.js';

/** Text that looks like each format at its start, then anything. */
const transcriptLike = fc.oneof(
  fc.string(),
  fc.string().map((rest) => `WEBVTT\n\n${rest}`),
  fc.string().map((rest) => `1\n00:00:01,000 --> 00:00:02,000\n${rest}`),
  fc
    .tuple(fc.string(), fc.string())
    .map(([speaker, text]) => `${speaker}: ${text}\n${speaker}: ${text}`),
  fc.json(),
  fc
    .array(
      fc.record({ speaker_name: fc.anything(), text: fc.anything(), start_time: fc.anything() }),
    )
    .map((sentences) => JSON.stringify({ data: { transcript: { sentences, date: 'soon' } } })),
  fc
    .array(fc.record({ text: fc.anything(), ts: fc.anything(), users: fc.anything() }))
    .map((timeline) => JSON.stringify({ timeline, recording_start: 42 })),
);

describe('processTranscript on any input', () => {
  it('returns a result of the output schema or an InvalidRequestError, never anything else', async () => {
    await fc.assert(
      fc.asyncProperty(transcriptLike, async (transcript) => {
        try {
          const result = await processTranscript({ transcript });
          expect(processTranscriptOutputSchema.parse(result)).toEqual(result);
        } catch (error) {
          expect(error).toBeInstanceOf(InvalidRequestError);
        }
      }),
      { numRuns: 300 },
    );
  });
});
