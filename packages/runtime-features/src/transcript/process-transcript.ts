import { InvalidRequestError } from '@fedmcp/protocol';
import { createBuiltinIntentEngine } from '../intents/create-builtin-intent-engine.js';
import type { IntentEngine } from '../intents/intent-types.js';
import { splitSentences } from '../intents/split-utterances.js';
import { validateInput } from '../intents/validate-input.js';
import { type AnalysedSentence, actionItemsOf } from './action-items.js';
import { extractiveSummary } from './extractive-summary.js';
import { parseTranscript, transcriptAsText } from './parse-transcript.js';
import { participantsOf } from './participants.js';
import { formatTimestamp } from './timestamps.js';
import {
  type ProcessTranscriptInput,
  type ProcessTranscriptResult,
  processTranscriptInputSchema,
} from './transcript-schemas.js';

/** Options of {@link processTranscript}. */
export interface ProcessTranscriptOptions {
  /**
   * Writes the summary (the runtime server passes one backed by MCP sampling when the client
   * supports it). When it returns nothing or throws, the summary is extractive.
   * @default none: an extractive summary
   */
  summarize?: (request: { text: string; maxWords: number }) => Promise<string | undefined>;
  /** The day of the meeting, to resolve "by Friday". @default input.meetingDate, else the transcript's own date */
  meetingDate?: Date;
  /** The intent engine. @default createBuiltinIntentEngine() */
  intents?: IntentEngine;
}

const SUMMARY_WORDS = 150;
/** The most transcript text handed to `summarize` (characters). */
const SUMMARY_INPUT_LIMIT = 100_000;

async function summaryOf(
  summarize: ProcessTranscriptOptions['summarize'],
  text: string,
  sentences: readonly AnalysedSentence[],
): Promise<Pick<ProcessTranscriptResult, 'summary' | 'summarySource'>> {
  const written = await summarize?.({
    text: text.slice(0, SUMMARY_INPUT_LIMIT),
    maxWords: SUMMARY_WORDS,
  }).catch(() => undefined);
  if (written?.trim()) return { summary: written.trim(), summarySource: 'sampling' };
  return { summary: extractiveSummary(sentences, SUMMARY_WORDS), summarySource: 'extractive' };
}

const unique = (texts: readonly string[]) => [...new Set(texts)];

/**
 * Turns a meeting transcript into participants, a summary, decisions, action items (with owners
 * and due dates), questions, follow-ups and intents: the `process_transcript` tool.
 *
 * @throws InvalidRequestError on bad input: an empty transcript, an unreadable one (e.g. an
 * unknown JSON shape), a bad `format` or `meetingDate`.
 * @example
 * ```ts
 * const result = await processTranscript(
 *   { transcript: 'Ana: We decided to ship on Monday.\nBo: I will write the notes by Friday.' },
 *   { meetingDate: new Date('2026-12-02') },
 * );
 * // result.actionItems → [{ task: 'I will write the notes by Friday.', owner: 'Bo', due: '2026-12-04', … }]
 * ```
 */
export async function processTranscript(
  input: ProcessTranscriptInput,
  options: ProcessTranscriptOptions = {},
): Promise<ProcessTranscriptResult> {
  const {
    transcript,
    format,
    title,
    meetingDate: dateInput,
  } = validateInput(processTranscriptInputSchema, input);
  const parsed = parseTranscript(transcript, format);
  // The calendar day as written: a meeting at "2026-12-02T23:30:00-08:00" is on the 2nd.
  const day = dateInput?.slice(0, 10);
  const inputDate = day ? new Date(`${day}T00:00:00Z`) : undefined;
  if (
    inputDate &&
    (Number.isNaN(inputDate.getTime()) || inputDate.toISOString().slice(0, 10) !== day)
  ) {
    throw new InvalidRequestError({ reason: `meetingDate: "${dateInput}" is not a valid date` });
  }
  if (options.meetingDate && Number.isNaN(options.meetingDate.getTime())) {
    throw new InvalidRequestError({ reason: 'options.meetingDate is an invalid Date' });
  }
  const meetingDate = options.meetingDate ?? inputDate ?? parsed.meetingDate;
  const spoken = parsed.segments.flatMap((segment) =>
    splitSentences(segment.text).map((text) => ({ ...segment, text })),
  );
  const engine = options.intents ?? createBuiltinIntentEngine();
  const detected = await engine.detect(
    spoken.map(({ speaker, text }) => (speaker === undefined ? { text } : { speaker, text })),
  );
  const sentences: AnalysedSentence[] = spoken.map((sentence, index) => ({
    ...sentence,
    intents: detected[index]?.intents.map((intent) => intent.type) ?? [],
  }));
  const textsWith = (type: string) =>
    unique(
      sentences
        .filter((sentence) => sentence.intents.includes(type as never))
        .map((sentence) => sentence.text),
    );
  const participants = participantsOf(parsed.segments);
  const lastEnd = Math.max(0, ...parsed.segments.map((segment) => segment.end ?? 0));
  const durationSec = parsed.durationSec ?? (lastEnd > 0 ? Math.round(lastEnd) : undefined);
  const resolvedTitle = title ?? parsed.title;
  return {
    ...(resolvedTitle ? { title: resolvedTitle } : {}),
    format: parsed.format,
    ...(parsed.source ? { source: parsed.source } : {}),
    ...(meetingDate ? { meetingDate: meetingDate.toISOString().slice(0, 10) } : {}),
    ...(durationSec === undefined ? {} : { durationSec }),
    participants,
    ...(await summaryOf(options.summarize, transcriptAsText(parsed), sentences)),
    decisions: textsWith('Decision Made'),
    actionItems: actionItemsOf(
      sentences,
      participants.map((participant) => participant.name),
      meetingDate,
    ),
    questions: textsWith('Question Asked'),
    followUps: textsWith('Follow-up Required'),
    intents: spoken.flatMap((sentence, index) => {
      const intents = detected[index]?.intents ?? [];
      if (intents.length === 0) return [];
      return [
        {
          text: sentence.text,
          ...(sentence.speaker === undefined ? {} : { speaker: sentence.speaker }),
          ...(sentence.start === undefined ? {} : { at: formatTimestamp(sentence.start) }),
          intents,
        },
      ];
    }),
  };
}
