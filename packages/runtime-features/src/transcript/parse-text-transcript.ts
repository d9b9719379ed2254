/**
 * Reads plain transcripts: `Speaker: text` lines, optionally led by a timestamp (`[00:01:02]
 * Ana: …`, `00:01:02 Ana: …`). A line without a speaker continues the previous turn; a transcript
 * without any speaker lines is one segment per paragraph.
 */
import { parseSpeakerLine } from '../intents/split-utterances.js';
import { parseTimestamp } from './timestamps.js';
import type { TranscriptSegment } from './transcript-segment.js';

const LEADING_TIME = /^\s*\[?(\d{1,2}:\d{2}(?::\d{2})?(?:[.,]\d{1,3})?)\]?\s*[-–]?\s*/;

/** Reads plain text into segments. */
export function parseTextTranscript(content: string): TranscriptSegment[] {
  const segments: TranscriptSegment[] = [];
  let current: TranscriptSegment | undefined;
  for (const rawLine of content.split(/\r?\n/)) {
    if (rawLine.trim() === '') {
      if (current && current.speaker === undefined) current = undefined;
      continue;
    }
    const time = LEADING_TIME.exec(rawLine);
    const start = time?.[1] ? parseTimestamp(time[1]) : undefined;
    const line = time ? rawLine.slice(time[0].length) : rawLine;
    const turn = parseSpeakerLine(line);
    if (turn || !current) {
      const previous = segments.at(-1);
      if (previous && previous.end === undefined && start !== undefined) previous.end = start;
      current = {
        ...(turn ? { speaker: turn.speaker } : {}),
        text: (turn?.text ?? line).trim(),
        ...(start === undefined ? {} : { start }),
      };
      segments.push(current);
    } else {
      current.text += ` ${line.trim()}`;
    }
  }
  return segments;
}
