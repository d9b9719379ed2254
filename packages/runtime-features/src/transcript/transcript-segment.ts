/** The common shape every transcript format is read into. */

/** The formats `process_transcript` reads. */
export const TRANSCRIPT_FORMATS = ['vtt', 'srt', 'text', 'json'] as const;

/** One of {@link TRANSCRIPT_FORMATS}. */
export type TranscriptFormat = (typeof TRANSCRIPT_FORMATS)[number];

/** A stretch of speech: who spoke (when known), what, and when (seconds from the start). */
export interface TranscriptSegment {
  speaker?: string;
  text: string;
  start?: number;
  end?: number;
}

/** A transcript read from any format. */
export interface ParsedTranscript {
  format: TranscriptFormat;
  /** `'zoom'` or `'fireflies'` for JSON transcripts. */
  source?: 'zoom' | 'fireflies';
  title?: string;
  /** When the meeting took place, if the transcript says so (Fireflies `date`, Zoom `recording_start`). */
  meetingDate?: Date;
  /** The length of the meeting in seconds, if the transcript says so. */
  durationSec?: number;
  segments: TranscriptSegment[];
}
