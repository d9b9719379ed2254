/**
 * Reads the JSON transcripts of two meeting platforms:
 * - **Zoom**: the JSON transcript of a recording (Zoom Phone and cloud recording transcript
 *   downloads): `{ "recording_start"?, "timeline": [{ "text", "ts": "HH:MM:SS.mmm", "end_ts"?,
 *   "users": [{ "username" }] }] }`.
 * - **Fireflies**: the GraphQL `transcript` object, bare or as the API answers it
 *   (`{ "data": { "transcript": … } }`): `{ "title"?, "date"? (ms or ISO), "duration"? (minutes),
 *   "sentences": [{ "speaker_name", "text" | "raw_text", "start_time", "end_time" }] }` (seconds).
 */
import { parseTimestamp } from './timestamps.js';
import type { ParsedTranscript, TranscriptSegment } from './transcript-segment.js';

type Json = Record<string, unknown>;

const isObject = (value: unknown): value is Json =>
  typeof value === 'object' && value !== null && !Array.isArray(value);
const text = (value: unknown) => (typeof value === 'string' ? value.trim() : undefined);
const seconds = (value: unknown) =>
  typeof value === 'number' && Number.isFinite(value) && value >= 0 ? value : undefined;

function dateOf(value: unknown): Date | undefined {
  if (typeof value !== 'number' && typeof value !== 'string') return undefined;
  const date = new Date(value);
  return Number.isNaN(date.getTime()) ? undefined : date;
}

function withoutUndefined<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, entry]) => entry !== undefined)) as T;
}

function readZoom(root: Json, timeline: unknown[]): ParsedTranscript {
  const segments = timeline.filter(isObject).flatMap((entry): TranscriptSegment[] => {
    const words = text(entry.text) ?? text(entry.raw_text);
    if (!words) return [];
    const users = Array.isArray(entry.users) ? entry.users.filter(isObject) : [];
    const speaker = users.map((user) => text(user.username)).find(Boolean);
    const start = typeof entry.ts === 'string' ? parseTimestamp(entry.ts) : undefined;
    const end = typeof entry.end_ts === 'string' ? parseTimestamp(entry.end_ts) : undefined;
    return [withoutUndefined({ speaker, text: words, start, end })];
  });
  if (segments.length === 0 && timeline.length > 0) {
    throw new Error(
      'this Zoom JSON has a "timeline" without "text" (the TIMELINE file lists who spoke, not what was said); send the transcript (the VTT file or the JSON transcript) instead',
    );
  }
  const start = dateOf(root.recording_start);
  const end = dateOf(root.recording_end);
  return withoutUndefined({
    format: 'json' as const,
    source: 'zoom' as const,
    title: text(root.topic) ?? text(root.title),
    meetingDate: start,
    durationSec: start && end ? (end.getTime() - start.getTime()) / 1000 : undefined,
    segments,
  });
}

function readFireflies(transcript: Json, sentences: unknown[]): ParsedTranscript {
  const segments = sentences.filter(isObject).flatMap((sentence): TranscriptSegment[] => {
    const words = text(sentence.text) ?? text(sentence.raw_text);
    if (!words) return [];
    return [
      withoutUndefined({
        speaker: text(sentence.speaker_name),
        text: words,
        start: seconds(sentence.start_time),
        end: seconds(sentence.end_time),
      }),
    ];
  });
  const minutes = seconds(transcript.duration);
  return withoutUndefined({
    format: 'json' as const,
    source: 'fireflies' as const,
    title: text(transcript.title),
    meetingDate: dateOf(transcript.date) ?? dateOf(transcript.dateString),
    durationSec: minutes === undefined ? undefined : Math.round(minutes * 60),
    segments,
  });
}

const KNOWN_SHAPES =
  'expected Zoom\'s {"timeline":[{"text","ts","users":[{"username"}]}]} or Fireflies\' {"sentences":[{"speaker_name","text","start_time"}]} (also inside {"data":{"transcript":…}})';

/**
 * Reads a Zoom or Fireflies JSON transcript.
 * @throws Error when the text is not JSON or the JSON is of another shape; the message says which
 * shapes are known and which keys were found.
 */
export function parseJsonTranscript(content: string): ParsedTranscript {
  let root: unknown;
  try {
    root = JSON.parse(content);
  } catch (error) {
    throw new Error(`the transcript is not valid JSON (${(error as Error).message})`);
  }
  const transcript = isObject(root) && isObject(root.data) ? root.data.transcript : root;
  if (isObject(transcript) && Array.isArray(transcript.sentences)) {
    return readFireflies(transcript, transcript.sentences);
  }
  if (isObject(root) && Array.isArray(root.timeline)) return readZoom(root, root.timeline);
  const found = isObject(transcript)
    ? `an object with keys ${Object.keys(transcript).slice(0, 8).join(', ') || '(none)'}`
    : Array.isArray(transcript)
      ? 'an array'
      : `a ${typeof transcript}`;
  throw new Error(`unknown JSON transcript shape: ${KNOWN_SHAPES}; got ${found}`);
}
