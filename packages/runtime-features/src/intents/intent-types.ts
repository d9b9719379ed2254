/**
 * The six intent types, the shapes engines exchange, and the zod schemas of the `detect_intents`
 * tool (usable as MCP tool input/output schemas).
 */
import { z } from 'zod';

/** The intent types every engine reports, exactly these (an utterance may have none). */
export const INTENT_TYPES = [
  'Task Assignment',
  'Commitment Made',
  'Decision Made',
  'Question Asked',
  'Meeting Scheduled',
  'Follow-up Required',
] as const;

/** One of {@link INTENT_TYPES}. */
export type IntentType = (typeof INTENT_TYPES)[number];

/** The longest text or utterance list accepted, so a caller cannot make the engine spin. */
export const MAX_INTENT_TEXT_LENGTH = 500_000;
/** The most utterances one call may carry. */
export const MAX_UTTERANCES = 10_000;

/** Zod schema of one utterance: who said it (optional) and what was said. */
export const utteranceSchema = z.object({
  speaker: z.string().max(200).optional().describe('Who said it'),
  text: z.string().max(MAX_INTENT_TEXT_LENGTH).describe('What was said'),
});

/** Zod schema of one detected intent with the engine's confidence in [0, 1]. */
export const detectedIntentSchema = z.object({
  type: z.enum(INTENT_TYPES),
  confidence: z.number().min(0).max(1),
});

/** Zod schema of the intents of one utterance. */
export const utteranceIntentsSchema = z.object({
  text: z.string(),
  speaker: z.string().optional(),
  intents: z.array(detectedIntentSchema),
});

/** Input schema of `detect_intents`: one of `text` (split into utterances) or `utterances`. */
export const detectIntentsInputSchema = z.object({
  text: z
    .string()
    .max(MAX_INTENT_TEXT_LENGTH)
    .optional()
    .describe('Free text; split into sentences, and into turns on "Speaker: text" lines'),
  utterances: z
    .array(utteranceSchema)
    .max(MAX_UTTERANCES)
    .optional()
    .describe('Utterances already split, each with an optional speaker'),
});

/** Output schema of `detect_intents`: one result per utterance, in order. */
export const detectIntentsOutputSchema = z.object({
  results: z.array(utteranceIntentsSchema),
});

/** An utterance handed to an engine. */
export type Utterance = z.infer<typeof utteranceSchema>;
/** One detected intent. */
export type DetectedIntent = z.infer<typeof detectedIntentSchema>;
/** The intents of one utterance. */
export type UtteranceIntents = z.infer<typeof utteranceIntentsSchema>;
/** Input of {@link detectIntents}. */
export type DetectIntentsInput = z.infer<typeof detectIntentsInputSchema>;
/** Output of {@link detectIntents}. */
export type DetectIntentsResult = z.infer<typeof detectIntentsOutputSchema>;

/**
 * Finds the intents of utterances. Engines: {@link createBuiltinIntentEngine} (local, default),
 * {@link createSamplingIntentEngine} (the client's model), {@link createOpenAiIntentEngine}.
 */
export interface IntentEngine {
  /** A short name for logs and results, e.g. `'builtin'`. */
  readonly name: string;
  /**
   * Returns one result per utterance, in the same order, each intent at most once.
   * @throws FedmcpError when a remote engine fails or answers something unusable.
   */
  detect(utterances: readonly Utterance[]): Promise<UtteranceIntents[]>;
}
