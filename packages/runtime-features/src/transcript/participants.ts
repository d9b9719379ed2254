import type { TranscriptSegment } from './transcript-segment.js';

/** A participant: their name, how many turns they took, and how long they spoke. */
export interface Participant {
  name: string;
  /** Stretches of consecutive speech (a speaker's cues in a row count as one turn). */
  turns: number;
  /** Seconds of speech, when the transcript has timings. */
  talkTimeSec?: number;
}

/** The speakers of a transcript in order of first appearance, with turns and talk time. */
export function participantsOf(segments: readonly TranscriptSegment[]): Participant[] {
  const byName = new Map<string, { turns: number; talk: number; timed: boolean }>();
  let previous: string | undefined;
  for (const segment of segments) {
    const name = segment.speaker;
    if (name === undefined) {
      previous = undefined;
      continue;
    }
    const entry = byName.get(name) ?? { turns: 0, talk: 0, timed: false };
    if (name !== previous) entry.turns += 1;
    if (segment.start !== undefined && segment.end !== undefined && segment.end >= segment.start) {
      entry.talk += segment.end - segment.start;
      entry.timed = true;
    }
    byName.set(name, entry);
    previous = name;
  }
  return [...byName].map(([name, entry]) => ({
    name,
    turns: entry.turns,
    ...(entry.timed ? { talkTimeSec: Math.round(entry.talk * 10) / 10 } : {}),
  }));
}
