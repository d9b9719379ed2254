import { InvalidRequestError } from '@fedmcp/protocol';
import { parseCueTranscript } from './parse-cue-transcript.js';
import { parseJsonTranscript } from './parse-json-transcript.js';
import { parseTextTranscript } from './parse-text-transcript.js';
import type { ParsedTranscript, TranscriptFormat } from './transcript-segment.js';

const SRT_START = /^\d+\s*\r?\n\s*\d{1,2}:\d{2}:\d{2}[,.]\d{1,3}\s+-->/;

/**
 * Guesses the format of a transcript: `WEBVTT` header → `vtt`; `{` or `[` → `json`; a numbered
 * cue with a `-->` timing → `srt`; anything else → `text`.
 */
export function detectTranscriptFormat(content: string): TranscriptFormat {
  const start = content.replace(/^\uFEFF/, '').trimStart();
  if (/^WEBVTT\b/.test(start)) return 'vtt';
  // `[` alone is not enough: plain transcripts often open with "[00:00:05] Ana: …".
  if (/^(\{|\[\s*[{\]"])/.test(start)) return 'json';
  if (SRT_START.test(start)) return 'srt';
  return 'text';
}

/**
 * Reads a transcript in any supported format (auto-detected unless `format` is given) into
 * segments.
 * @throws InvalidRequestError when the transcript is empty, cannot be read in its format (the
 * reason says why, e.g. an unknown JSON shape), or holds no speech.
 */
export function parseTranscript(content: string, format?: TranscriptFormat): ParsedTranscript {
  if (content.trim() === '') {
    throw new InvalidRequestError({ reason: 'the transcript is empty' });
  }
  const chosen = format ?? detectTranscriptFormat(content);
  let parsed: ParsedTranscript;
  try {
    if (chosen === 'json') parsed = parseJsonTranscript(content);
    else if (chosen === 'vtt' || chosen === 'srt') {
      parsed = { format: chosen, segments: parseCueTranscript(content) };
    } else parsed = { format: 'text', segments: parseTextTranscript(content) };
  } catch (error) {
    throw new InvalidRequestError({
      reason: `the ${chosen} transcript cannot be read: ${(error as Error).message}`,
      cause: error,
    });
  }
  if (parsed.segments.length === 0) {
    throw new InvalidRequestError({
      reason: `the ${chosen} transcript holds no speech (no cues or lines with text)`,
    });
  }
  return parsed;
}

/** Renders segments as `Speaker: text` lines (the form summaries and prompts read best). */
export function transcriptAsText(transcript: ParsedTranscript): string {
  return transcript.segments
    .map((segment) => (segment.speaker ? `${segment.speaker}: ${segment.text}` : segment.text))
    .join('\n');
}
