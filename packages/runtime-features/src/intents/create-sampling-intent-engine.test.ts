import { describe, expect, it } from 'vitest';
import {
  createSamplingIntentEngine,
  type IntentSamplingRequest,
} from './create-sampling-intent-engine.js';
import { INTENT_TYPES } from './intent-types.js';

const utterances = [
  { speaker: 'Ana', text: 'Bo, can you send the deck?' },
  { text: 'Nice weather today.' },
  { speaker: 'Bo', text: "I'll send it and we'll meet on Friday." },
];

describe('createSamplingIntentEngine', () => {
  it('asks for JSON with every intent type named and every utterance numbered', async () => {
    const requests: IntentSamplingRequest[] = [];
    const engine = createSamplingIntentEngine(async (request) => {
      requests.push(request);
      return '{"results":[]}';
    });
    await engine.detect(utterances);
    expect(requests).toHaveLength(1);
    for (const type of INTENT_TYPES) expect(requests[0]?.system).toContain(`"${type}"`);
    expect(requests[0]?.system).toContain('JSON');
    expect(requests[0]?.prompt).toContain(
      '{"index":0,"speaker":"Ana","text":"Bo, can you send the deck?"}',
    );
    expect(requests[0]?.prompt).toContain('{"index":1,"text":"Nice weather today."}');
    expect(requests[0]?.maxTokens).toBeGreaterThan(0);
  });

  it('repairs what models often answer: code fences, other spellings, percentages, duplicates', async () => {
    const engine = createSamplingIntentEngine(
      async () => `Here you go:
\`\`\`json
{"results":[
  {"index":2,"intents":[{"type":"commitment made","confidence":90},{"type":"MEETING_SCHEDULED","confidence":0.8},{"type":"Commitment Made","confidence":0.95}]},
  {"index":0,"intents":["Task Assignment",{"type":"Gossip","confidence":1}]},
  {"index":7,"intents":[{"type":"Question Asked"}]}
]}
\`\`\``,
    );
    const results = await engine.detect(utterances);
    expect(results).toEqual([
      {
        speaker: 'Ana',
        text: 'Bo, can you send the deck?',
        intents: [{ type: 'Task Assignment', confidence: 0.7 }],
      },
      { text: 'Nice weather today.', intents: [] },
      {
        speaker: 'Bo',
        text: "I'll send it and we'll meet on Friday.",
        intents: [
          { type: 'Commitment Made', confidence: 0.95 },
          { type: 'Meeting Scheduled', confidence: 0.8 },
        ],
      },
    ]);
  });

  it('sends large inputs in batches and keeps the order', async () => {
    const prompts: string[] = [];
    const engine = createSamplingIntentEngine(
      async ({ prompt }) => {
        prompts.push(prompt);
        return JSON.stringify({
          results: [{ index: 0, intents: [{ type: 'Question Asked', confidence: 0.9 }] }],
        });
      },
      { batchSize: 2 },
    );
    const results = await engine.detect([...utterances, { text: 'Why?' }, { text: 'How?' }]);
    expect(prompts).toHaveLength(3);
    expect(results.map((result) => result.intents.length)).toEqual([1, 0, 1, 0, 1]);
    expect(results.map((result) => result.text)).toEqual([
      ...utterances.map((utterance) => utterance.text),
      'Why?',
      'How?',
    ]);
  });

  it('fails with a clear error when the answer is not JSON or the sampling request fails', async () => {
    await expect(
      createSamplingIntentEngine(async () => 'I cannot help with that.').detect(utterances),
    ).rejects.toThrow(/"sampling" intent engine answered something that is not the JSON/);
    await expect(
      createSamplingIntentEngine(async () => '{"labels": []}').detect(utterances),
    ).rejects.toThrow(/without a "results" array/);
    await expect(
      createSamplingIntentEngine(async () => {
        throw new Error('user declined');
      }).detect(utterances),
    ).rejects.toThrow(/could not label the utterances through sampling \(user declined\)/);
  });
});
