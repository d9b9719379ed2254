// Meeting transcripts: the `process_transcript` tool's schemas and function, and the readers of
// each transcript format. Re-exported by the package index.
export type { ActionItem } from './action-items.js';
export {
  detectTranscriptFormat,
  parseTranscript,
  transcriptAsText,
} from './parse-transcript.js';
export type { Participant } from './participants.js';
export { type ProcessTranscriptOptions, processTranscript } from './process-transcript.js';
export { type DueDate, findDueDate } from './resolve-due-date.js';
export {
  MAX_TRANSCRIPT_LENGTH,
  type ProcessTranscriptInput,
  type ProcessTranscriptResult,
  processTranscriptInputSchema,
  processTranscriptOutputSchema,
} from './transcript-schemas.js';
export {
  type ParsedTranscript,
  TRANSCRIPT_FORMATS,
  type TranscriptFormat,
  type TranscriptSegment,
} from './transcript-segment.js';
