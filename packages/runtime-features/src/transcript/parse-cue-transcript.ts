/**
 * Reads the cue formats: WebVTT (W3C WebVTT: a `WEBVTT` header, cues of `start --> end [settings]`
 * then text, `<v Speaker>` voice spans; `NOTE`, `STYLE` and `REGION` blocks skipped) and SRT
 * (numbered cues, `HH:MM:SS,mmm --> HH:MM:SS,mmm`). A speaker comes from a voice span, else from
 * a `Speaker: text` line (Zoom writes its VTT that way), else stays unknown.
 */
import { parseSpeakerLine } from '../intents/split-utterances.js';
import { parseTimestamp } from './timestamps.js';
import type { TranscriptSegment } from './transcript-segment.js';

const TIMING = /^\s*(\S+)\s+-->\s+(\S+)/;
const VOICE = /<v(?:\.[\w.-]+)?\s+([^>]+)>/;

const decodeEntities = (text: string) =>
  text
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&nbsp;/g, ' ')
    .replace(/&amp;/g, '&');

/** The segments of one cue's text lines. */
function cueSegments(lines: readonly string[], start: number, end: number): TranscriptSegment[] {
  const segments: TranscriptSegment[] = [];
  for (const rawLine of lines) {
    const voice = VOICE.exec(rawLine)?.[1]?.trim();
    // Strip every tag (voice, class, italics, inline timestamps) and the dialogue dash.
    const line = decodeEntities(rawLine.replace(/<[^>]*>/g, ''))
      .replace(/^\s*-\s+/, '')
      .trim();
    if (line === '') continue;
    const named = voice ? undefined : parseSpeakerLine(line);
    const previous = segments.at(-1);
    // A line naming no one continues the cue's previous line (a voice span covers the whole cue).
    const speaker = voice ?? named?.speaker ?? previous?.speaker;
    const text = named?.text ?? line;
    if (previous && previous.speaker === speaker) previous.text += ` ${text}`;
    else segments.push({ ...(speaker ? { speaker } : {}), text, start, end });
  }
  return segments;
}

/**
 * Reads WebVTT or SRT text into segments (cue times in seconds).
 * @throws Error when a cue timing cannot be read; the message names the line.
 */
export function parseCueTranscript(content: string): TranscriptSegment[] {
  const blocks = content.replace(/^\uFEFF/, '').split(/\r?\n[ \t]*\r?\n/);
  const segments: TranscriptSegment[] = [];
  for (const block of blocks) {
    const lines = block.split(/\r?\n/);
    const timingIndex = lines.findIndex((line) => line.includes('-->'));
    const first = lines[0]?.trim() ?? '';
    if (timingIndex < 0 || /^(WEBVTT|NOTE|STYLE|REGION)\b/.test(first)) continue;
    const timingLine = lines[timingIndex] ?? '';
    const timing = TIMING.exec(timingLine);
    const start = timing?.[1] ? parseTimestamp(timing[1]) : undefined;
    const end = timing?.[2] ? parseTimestamp(timing[2]) : undefined;
    if (start === undefined || end === undefined) {
      throw new Error(`cue timing "${timingLine.trim().slice(0, 60)}" is not "start --> end"`);
    }
    segments.push(...cueSegments(lines.slice(timingIndex + 1), start, end));
  }
  return segments;
}
