/** Precision, recall and F1 of an intent engine on a labelled set, per type and macro-averaged. */
import type { LabelledUtterance } from './data/labelled-utterances.js';
import { INTENT_TYPES, type IntentEngine, type IntentType } from './intent-types.js';

/** The figures of one intent type. */
export interface IntentTypeScore {
  type: IntentType;
  /** How many utterances carry this type in the labelled set. */
  support: number;
  truePositives: number;
  falsePositives: number;
  falseNegatives: number;
  precision: number;
  recall: number;
  f1: number;
}

/** The figures of one evaluation. */
export interface IntentEvaluation {
  perType: IntentTypeScore[];
  /** The mean of the per-type F1 scores. */
  macroF1: number;
  /** The share of utterances whose set of intents is exactly right (none included). */
  exactMatch: number;
  /** The utterances the engine got wrong, for inspection. */
  mistakes: { text: string; expected: IntentType[]; predicted: IntentType[] }[];
}

const ratio = (numerator: number, denominator: number) =>
  denominator === 0 ? 0 : numerator / denominator;

/** Runs an engine over a labelled set and scores it. */
export async function evaluateIntentEngine(
  engine: IntentEngine,
  labelled: readonly LabelledUtterance[],
): Promise<IntentEvaluation> {
  const results = await engine.detect(labelled.map(({ text }) => ({ text })));
  const predictions = results.map((result) => result.intents.map((intent) => intent.type));
  const perType = INTENT_TYPES.map((type): IntentTypeScore => {
    let truePositives = 0;
    let falsePositives = 0;
    let falseNegatives = 0;
    for (const [index, example] of labelled.entries()) {
      const expected = example.intents.includes(type);
      const predicted = predictions[index]?.includes(type) ?? false;
      if (expected && predicted) truePositives += 1;
      else if (predicted) falsePositives += 1;
      else if (expected) falseNegatives += 1;
    }
    const precision = ratio(truePositives, truePositives + falsePositives);
    const recall = ratio(truePositives, truePositives + falseNegatives);
    return {
      type,
      support: truePositives + falseNegatives,
      truePositives,
      falsePositives,
      falseNegatives,
      precision,
      recall,
      f1: ratio(2 * precision * recall, precision + recall),
    };
  });
  const mistakes = labelled.flatMap((example, index) => {
    const predicted = INTENT_TYPES.filter((type) => predictions[index]?.includes(type));
    const same = predicted.join() === example.intents.join();
    return same ? [] : [{ text: example.text, expected: example.intents, predicted }];
  });
  return {
    perType,
    macroF1: perType.reduce((sum, score) => sum + score.f1, 0) / perType.length,
    exactMatch: ratio(labelled.length - mistakes.length, labelled.length),
    mistakes,
  };
}
