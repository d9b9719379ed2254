// Intent detection: the six intent types, the `detect_intents` tool's schemas and function, and
// the engines (builtin, sampling, OpenAI-compatible). Re-exported by the package index.
export {
  type BuiltinIntentEngineOptions,
  createBuiltinIntentEngine,
} from './create-builtin-intent-engine.js';
export {
  createOpenAiIntentEngine,
  type OpenAiIntentEngineOptions,
} from './create-openai-intent-engine.js';
export {
  createSamplingIntentEngine,
  type IntentSamplingRequest,
  type SamplingIntentEngineOptions,
} from './create-sampling-intent-engine.js';
export { type IntentDataSet, intentDataSet } from './data/intent-data-set.js';
export type { LabelledUtterance } from './data/labelled-utterances.js';
export { detectIntents } from './detect-intents.js';
export {
  evaluateIntentEngine,
  type IntentEvaluation,
  type IntentTypeScore,
} from './evaluate-intent-engine.js';
export {
  type DetectedIntent,
  type DetectIntentsInput,
  type DetectIntentsResult,
  detectedIntentSchema,
  detectIntentsInputSchema,
  detectIntentsOutputSchema,
  INTENT_TYPES,
  type IntentEngine,
  type IntentType,
  MAX_INTENT_TEXT_LENGTH,
  MAX_UTTERANCES,
  type Utterance,
  type UtteranceIntents,
  utteranceIntentsSchema,
  utteranceSchema,
} from './intent-types.js';
export { splitUtterances } from './split-utterances.js';
