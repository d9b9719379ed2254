import { describe, expect, it } from 'vitest';
import { createBuiltinIntentEngine } from './create-builtin-intent-engine.js';
import { HELD_OUT } from './data/held-out.js';
import { decodeLabelledRows } from './data/labelled-utterances.js';
import { TRAIN } from './data/train.js';
import { evaluateIntentEngine } from './evaluate-intent-engine.js';

const typesOf = async (text: string) => {
  const [result] = await createBuiltinIntentEngine().detect([{ text }]);
  return result?.intents.map((intent) => intent.type);
};

describe('createBuiltinIntentEngine', () => {
  it('finds each intent type in utterances it was not trained on', async () => {
    expect(await typesOf('Nadia, could you draft the hiring plan?')).toEqual(['Task Assignment']);
    expect(await typesOf("I'll send the invoice to finance this afternoon.")).toContain(
      'Commitment Made',
    );
    expect(await typesOf("We've decided to keep the current pricing.")).toEqual(['Decision Made']);
    expect(await typesOf('Why is the checkout page so slow?')).toEqual(['Question Asked']);
    expect(await typesOf("Let's meet on Monday at 10 to plan the sprint.")).toContain(
      'Meeting Scheduled',
    );
    expect(await typesOf("Let's circle back on the contract next week.")).toContain(
      'Follow-up Required',
    );
  });

  it('gives several intents to one utterance and none to small talk', async () => {
    expect(await typesOf("I'll get back to you on the budget tomorrow.")).toEqual(
      expect.arrayContaining(['Commitment Made', 'Follow-up Required']),
    );
    expect(await typesOf('The coffee machine on the third floor is broken again.')).toEqual([]);
  });

  it('reports confidences in [0, 1], highest first, and keeps the speaker', async () => {
    const [result] = await createBuiltinIntentEngine().detect([
      { speaker: 'Ana', text: "We're going with Postgres, and I'll write the migration plan." },
    ]);
    expect(result?.speaker).toBe('Ana');
    const confidences = result?.intents.map((intent) => intent.confidence) ?? [];
    expect(confidences.length).toBeGreaterThan(0);
    expect(confidences).toEqual([...confidences].sort((first, second) => second - first));
    for (const confidence of confidences) expect(confidence).toBeGreaterThanOrEqual(0.4);
    for (const confidence of confidences) expect(confidence).toBeLessThanOrEqual(1);
  });

  it('is deterministic: two engines give the same answer', async () => {
    const texts = decodeLabelledRows(HELD_OUT).map(({ text }) => ({ text }));
    const first = await createBuiltinIntentEngine().detect(texts);
    const second = await createBuiltinIntentEngine({
      trainingSet: decodeLabelledRows(TRAIN),
    }).detect(texts);
    expect(second).toEqual(first);
  });

  it('keeps macro-F1 on the held-out split at 0.8 or more (a regression guard; figures in `pnpm bench intents`)', async () => {
    const evaluation = await evaluateIntentEngine(
      createBuiltinIntentEngine(),
      decodeLabelledRows(HELD_OUT),
    );
    expect(evaluation.macroF1).toBeGreaterThanOrEqual(0.8);
  });

  it('answers with a higher threshold only the surest intents', async () => {
    const engine = createBuiltinIntentEngine({ threshold: 0.99 });
    const [result] = await engine.detect([{ text: 'Maybe we could think about it?' }]);
    expect(result?.intents).toEqual([]);
  });
});
