/**
 * Intent detection quality: precision, recall and F1 per intent type and macro-F1 of the builtin
 * engine of @fedmcp/runtime-features on the held-out split of its labelled data set (never used to
 * train or tune it), against a naive keyword baseline measured in the same run; plus the time to
 * train the engine (first use) and to label the split.
 *   pnpm bench intents
 *   node --conditions=@fedmcp/source --import tsx bench/intents/intents.bench.ts
 */
import {
  createBuiltinIntentEngine,
  evaluateIntentEngine,
  INTENT_TYPES,
  type IntentEngine,
  type IntentEvaluation,
  type IntentType,
  intentDataSet,
} from '@fedmcp/runtime-features';

/** The baseline: one obvious keyword rule per type, no learning. */
const KEYWORDS: Record<IntentType, RegExp> = {
  'Task Assignment': /\b(can you|could you|please|you take)\b/i,
  'Commitment Made': /\b(i'll|i will|let me)\b/i,
  'Decision Made': /\b(decided|agreed|go with|going with)\b/i,
  'Question Asked': /\?\s*$/,
  'Meeting Scheduled': /\b(meet|meeting|call|sync)\b/i,
  'Follow-up Required': /\b(follow up|circle back|revisit|get back to)\b/i,
};
const keywordBaseline: IntentEngine = {
  name: 'keywords',
  detect: async (utterances) =>
    utterances.map(({ text }) => ({
      text,
      intents: INTENT_TYPES.filter((type) => KEYWORDS[type].test(text)).map((type) => ({
        type,
        confidence: 1,
      })),
    })),
};

const { train, heldOut } = intentDataSet();
const percent = (value: number) => `${(value * 100).toFixed(1)}%`.padStart(7);

function table(evaluation: IntentEvaluation): string {
  const rows = evaluation.perType.map(
    (score) =>
      `${score.type.padEnd(20)} ${String(score.support).padStart(7)} ${percent(score.precision)} ${percent(score.recall)} ${score.f1.toFixed(3).padStart(6)}`,
  );
  return [
    `${'type'.padEnd(20)} ${'support'.padStart(7)} ${'prec.'.padStart(7)} ${'recall'.padStart(7)} ${'F1'.padStart(6)}`,
    ...rows,
    `${'macro-F1'.padEnd(20)} ${''.padStart(23)} ${evaluation.macroF1.toFixed(3).padStart(6)}`,
    `exact match (all labels of an utterance right, none included): ${percent(evaluation.exactMatch).trim()}`,
  ].join('\n');
}

const builtin = createBuiltinIntentEngine();
let started = performance.now();
await builtin.detect([{ text: 'warm up: trains the engine' }]);
const trainMs = performance.now() - started;
started = performance.now();
const evaluation = await evaluateIntentEngine(builtin, heldOut);
const labelMs = performance.now() - started;
const baseline = await evaluateIntentEngine(keywordBaseline, heldOut);

process.stdout.write(
  [
    `Data set: ${train.length} training and ${heldOut.length} held-out utterances (${heldOut.filter((example) => example.intents.length === 0).length} held-out without intent, ${heldOut.filter((example) => example.intents.length > 1).length} with several).`,
    '',
    'builtin engine (rules + logistic regression), held-out split:',
    table(evaluation),
    '',
    'baseline (one keyword rule per type), held-out split:',
    table(baseline),
    '',
    `macro-F1 builtin / baseline: ${(evaluation.macroF1 / baseline.macroF1).toFixed(2)}x (target: builtin >= 0.85, ${evaluation.macroF1 >= 0.85 ? 'met' : 'NOT met'})`,
    `training on first use: ${trainMs.toFixed(0)} ms; labelling ${heldOut.length} utterances: ${labelMs.toFixed(1)} ms (${((labelMs * 1000) / heldOut.length).toFixed(0)} µs each)`,
    '',
    `held-out mistakes of builtin (${evaluation.mistakes.length}):`,
    ...evaluation.mistakes.map(
      (mistake) =>
        `  "${mistake.text}"  expected [${mistake.expected.join(', ')}]  got [${mistake.predicted.join(', ')}]`,
    ),
    '',
  ].join('\n'),
);
