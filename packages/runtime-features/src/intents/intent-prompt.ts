/**
 * What the model-backed engines (sampling, OpenAI-compatible) send and how they read the answer:
 * the instructions, the JSON schema of the answer, and a tolerant reader that validates and repairs
 * what a model returns (code fences, a bare array, type names in another case, percentages).
 */
import { UpstreamUnavailableError } from '@fedmcp/protocol';
import {
  type DetectedIntent,
  INTENT_TYPES,
  type IntentType,
  type Utterance,
  type UtteranceIntents,
} from './intent-types.js';

/** The system prompt: the types, what each means, and the answer format. */
export const INTENT_SYSTEM_PROMPT = `You label utterances from meetings and chats with intents.
Intent types (an utterance may have several, or none):
- "Task Assignment": the speaker gives work to someone else ("Ana, can you send the deck?").
- "Commitment Made": the speaker commits to doing something ("I'll send the notes").
- "Decision Made": a choice is settled ("we're going with Postgres").
- "Question Asked": a genuine request for information; a request phrased as a question is a Task Assignment instead.
- "Meeting Scheduled": a meeting, call or sync is set up or moved to a time.
- "Follow-up Required": something must be revisited, checked or chased later.
Answer with JSON only, no prose: {"results":[{"index":<utterance index>,"intents":[{"type":"<one of the types>","confidence":<0..1>}]}]}, one entry per utterance, "intents": [] when none applies.`;

/** The JSON schema of the answer (OpenAI `response_format` json_schema, strict). */
export const INTENT_ANSWER_JSON_SCHEMA = {
  type: 'object',
  properties: {
    results: {
      type: 'array',
      items: {
        type: 'object',
        properties: {
          index: { type: 'integer' },
          intents: {
            type: 'array',
            items: {
              type: 'object',
              properties: {
                type: { type: 'string', enum: [...INTENT_TYPES] },
                confidence: { type: 'number' },
              },
              required: ['type', 'confidence'],
              additionalProperties: false,
            },
          },
        },
        required: ['index', 'intents'],
        additionalProperties: false,
      },
    },
  },
  required: ['results'],
  additionalProperties: false,
} as const;

/** The user prompt: the utterances, numbered. */
export function intentPrompt(utterances: readonly Utterance[]): string {
  const lines = utterances.map((utterance, index) =>
    JSON.stringify({
      index,
      ...(utterance.speaker ? { speaker: utterance.speaker } : {}),
      text: utterance.text,
    }),
  );
  return `Label these ${utterances.length} utterances:\n${lines.join('\n')}`;
}

/** The confidence given to an intent a model named without one. */
const DEFAULT_CONFIDENCE = 0.7;

const squash = (value: string) => value.toLowerCase().replace(/[^a-z]/g, '');
const TYPE_BY_KEY = new Map<string, IntentType>(
  INTENT_TYPES.flatMap((type) => [
    [squash(type), type],
    [squash(type.split(/[ -]/)[0] ?? type), type],
  ]),
);
TYPE_BY_KEY.set('followup', 'Follow-up Required');

function readIntent(value: unknown): DetectedIntent | undefined {
  const record =
    typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : {};
  const name =
    typeof value === 'string'
      ? value
      : (record.type ?? record.intent ?? record.label ?? record.name);
  const type = typeof name === 'string' ? TYPE_BY_KEY.get(squash(name)) : undefined;
  if (type === undefined) return undefined;
  const raw = record.confidence ?? record.score ?? record.probability;
  let confidence = typeof raw === 'number' && Number.isFinite(raw) ? raw : DEFAULT_CONFIDENCE;
  if (confidence > 1 && confidence <= 100) confidence /= 100;
  return { type, confidence: Math.round(Math.min(Math.max(confidence, 0), 1) * 100) / 100 };
}

function parseJson(answer: string): unknown {
  const unfenced = answer.replace(/```(?:json)?/gi, '').trim();
  const start = unfenced.search(/[[{]/);
  const end = Math.max(unfenced.lastIndexOf('}'), unfenced.lastIndexOf(']'));
  if (start < 0 || end < start) throw new SyntaxError('no JSON object in the answer');
  return JSON.parse(unfenced.slice(start, end + 1));
}

/**
 * Reads a model's answer into one result per utterance. Unknown types are dropped, duplicates
 * merged (highest confidence), missing utterances get no intents.
 * @throws UpstreamUnavailableError (upstream id = the engine name) when the answer is not JSON of
 * the asked shape at all.
 */
export function readIntentAnswer(
  answer: string,
  utterances: readonly Utterance[],
  engineName: string,
): UtteranceIntents[] {
  let parsed: unknown;
  try {
    parsed = parseJson(answer);
  } catch (error) {
    throw new UpstreamUnavailableError({
      upstreamId: engineName,
      reason: 'the answer is not JSON',
      message: `The "${engineName}" intent engine answered something that is not the JSON asked for (${JSON.stringify(answer.slice(0, 80))}…). Try again, or choose another engine or model.`,
      cause: error,
    });
  }
  const results = Array.isArray(parsed) ? parsed : (parsed as { results?: unknown })?.results;
  if (!Array.isArray(results)) {
    throw new UpstreamUnavailableError({
      upstreamId: engineName,
      reason: 'the answer has no "results" array',
      message: `The "${engineName}" intent engine answered JSON without a "results" array. Try again, or choose another engine or model.`,
    });
  }
  const byIndex = new Map<number, Map<IntentType, number>>();
  for (const [position, entry] of results.entries()) {
    const record = (typeof entry === 'object' && entry !== null ? entry : {}) as Record<
      string,
      unknown
    >;
    const index = Number.isInteger(record.index) ? (record.index as number) : position;
    const intents = Array.isArray(entry) ? entry : record.intents;
    if (index < 0 || index >= utterances.length || !Array.isArray(intents)) continue;
    const found = byIndex.get(index) ?? new Map<IntentType, number>();
    for (const intent of intents.map(readIntent)) {
      if (intent) found.set(intent.type, Math.max(found.get(intent.type) ?? 0, intent.confidence));
    }
    byIndex.set(index, found);
  }
  return utterances.map((utterance, index) => ({
    text: utterance.text,
    ...(utterance.speaker === undefined ? {} : { speaker: utterance.speaker }),
    intents: [...(byIndex.get(index) ?? [])]
      .map(([type, confidence]) => ({ type, confidence }))
      .sort((first, second) => second.confidence - first.confidence),
  }));
}

/** Runs `detectBatch` over batches of at most `size` utterances, in order. */
export async function inBatches(
  utterances: readonly Utterance[],
  size: number,
  detectBatch: (batch: readonly Utterance[]) => Promise<UtteranceIntents[]>,
): Promise<UtteranceIntents[]> {
  const results: UtteranceIntents[] = [];
  for (let start = 0; start < utterances.length; start += size) {
    results.push(...(await detectBatch(utterances.slice(start, start + size))));
  }
  return results;
}
