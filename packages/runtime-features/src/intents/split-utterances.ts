/**
 * Splits free text into utterances: lines of the form `Speaker: text` become turns of that speaker,
 * and every turn (or plain paragraph) is split into sentences.
 */
import type { Utterance } from './intent-types.js';

/**
 * A `Speaker: text` line: up to five capitalised words (or digits, or name particles such as "de"),
 * or a bracketed name, before the colon.
 */
const SPEAKER_LINE =
  /^\s*((?:[A-Z][\w.'-]*|\d+)(?: (?:[A-Z][\w.'-]*|\d+|de|da|del|van|von|der|la|le|bin)){0,4}|\[[^\]]{1,60}\])\s*:\s+(\S.*)$/;
/** Labels that look like a speaker but lead a note (`Decision: we ship`). */
const NOT_SPEAKERS =
  /^(https?|note|notes|re|fwd|decision|decisions|consensus|question|answer|summary|update|agenda|todo|action|actions|agreed|outcome|result|topic|status|warning|edit|ps)$/i;

/** Reads `Speaker: text` from one line, or `undefined` if the line has no speaker prefix. */
export function parseSpeakerLine(line: string): { speaker: string; text: string } | undefined {
  const match = SPEAKER_LINE.exec(line);
  if (!match?.[1] || !match[2] || NOT_SPEAKERS.test(match[1])) return undefined;
  return { speaker: match[1].replace(/^\[|\]$/g, '').trim(), text: match[2].trim() };
}

/** Splits text into sentences at `.`, `!` or `?` followed by space and a capital or digit. */
export function splitSentences(text: string): string[] {
  return text
    .replace(/\s+/g, ' ')
    .split(/(?<=[.!?])\s+(?=["'(]?[A-Z0-9])/)
    .map((sentence) => sentence.trim())
    .filter((sentence) => /\w/.test(sentence));
}

/** Splits free text into utterances, with speakers where lines name them. */
export function splitUtterances(text: string): Utterance[] {
  const utterances: Utterance[] = [];
  for (const line of text.split(/\r?\n/)) {
    const turn = parseSpeakerLine(line);
    for (const sentence of splitSentences(turn?.text ?? line)) {
      utterances.push(turn ? { speaker: turn.speaker, text: sentence } : { text: sentence });
    }
  }
  return utterances;
}
