/**
 * The default intent engine: runs locally with no network and no model download. Rule cues and
 * words feed one logistic regression per intent type, trained on the data set that ships in this
 * package (`data/train.ts`) the first time an engine is used (a few milliseconds), then kept.
 */
import { decodeLabelledRows, type LabelledUtterance } from './data/labelled-utterances.js';
import { TRAIN } from './data/train.js';
import { featuresOf } from './intent-features.js';
import {
  INTENT_TYPES,
  type IntentEngine,
  type IntentType,
  type UtteranceIntents,
} from './intent-types.js';
import { type LogisticRegressionModel, trainLogisticRegression } from './logistic-regression.js';

/** Options of {@link createBuiltinIntentEngine}. */
export interface BuiltinIntentEngineOptions {
  /**
   * The lowest confidence at which an intent is reported (chosen by cross-validation on the
   * training split). @default 0.4
   */
  threshold?: number;
  /**
   * Labelled utterances to learn from instead of the shipped training set (for evaluation, e.g.
   * cross-validation, or a domain of your own).
   * @default the shipped `data/train.ts`
   */
  trainingSet?: readonly LabelledUtterance[];
}

type Models = ReadonlyMap<IntentType, LogisticRegressionModel>;

let shippedModels: Models | undefined;

function train(labelled: readonly LabelledUtterance[]): Models {
  const featureSets = labelled.map((example) => featuresOf(example.text));
  return new Map(
    INTENT_TYPES.map((type) => [
      type,
      trainLogisticRegression(
        featureSets.map((features, index) => ({
          features,
          positive: labelled[index]?.intents.includes(type) ?? false,
        })),
        // Chosen by 5-fold cross-validation on the training split only (never the held-out one).
        { epochs: 100, learningRate: 1.5, l2: 0.003, positiveWeight: 'balanced' },
      ),
    ]),
  );
}

/**
 * Creates the builtin engine (rules plus a small classifier, local, deterministic).
 *
 * @example
 * ```ts
 * const engine = createBuiltinIntentEngine();
 * const [result] = await engine.detect([{ speaker: 'Ana', text: "I'll send the notes by Friday." }]);
 * // result.intents → [{ type: 'Commitment Made', confidence: 0.99 }]
 * ```
 */
export function createBuiltinIntentEngine(options: BuiltinIntentEngineOptions = {}): IntentEngine {
  const threshold = options.threshold ?? 0.4;
  let models: Models | undefined;
  const modelsOf = (): Models => {
    if (models) return models;
    if (options.trainingSet) models = train(options.trainingSet);
    else {
      shippedModels ??= train(decodeLabelledRows(TRAIN));
      models = shippedModels;
    }
    return models;
  };
  return {
    name: 'builtin',
    async detect(utterances) {
      const trained = modelsOf();
      return utterances.map((utterance): UtteranceIntents => {
        const features = featuresOf(utterance.text);
        const intents = INTENT_TYPES.map((type) => ({
          type,
          confidence: Math.round((trained.get(type)?.probability(features) ?? 0) * 100) / 100,
        }))
          .filter((intent) => intent.confidence >= threshold)
          .sort((first, second) => second.confidence - first.confidence);
        return {
          text: utterance.text,
          ...(utterance.speaker === undefined ? {} : { speaker: utterance.speaker }),
          intents,
        };
      });
    },
  };
}
