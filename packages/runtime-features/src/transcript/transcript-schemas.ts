/** The zod schemas of the `process_transcript` tool (usable as MCP tool input/output schemas). */
import { z } from 'zod';
import { detectedIntentSchema } from '../intents/intent-types.js';
import { TRANSCRIPT_FORMATS } from './transcript-segment.js';

/** The longest transcript accepted (characters). */
export const MAX_TRANSCRIPT_LENGTH = 2_000_000;

/** Input schema of `process_transcript`. */
export const processTranscriptInputSchema = z.object({
  transcript: z
    .string()
    .max(MAX_TRANSCRIPT_LENGTH)
    .describe('The transcript: WebVTT, SRT, "Speaker: text" lines, or Zoom/Fireflies JSON'),
  format: z
    .enum(TRANSCRIPT_FORMATS)
    .optional()
    .describe('The format; detected from the content when left out'),
  title: z.string().max(500).optional().describe('The meeting title'),
  meetingDate: z
    .string()
    .regex(/^\d{4}-\d{2}-\d{2}/, 'must be an ISO date such as 2026-12-06')
    .optional()
    .describe('The day of the meeting (ISO), to resolve "by Friday" into a date'),
});

/** Output schema of `process_transcript`. */
export const processTranscriptOutputSchema = z.object({
  title: z.string().optional(),
  format: z.enum(TRANSCRIPT_FORMATS),
  source: z.enum(['zoom', 'fireflies']).optional(),
  meetingDate: z.string().optional().describe('YYYY-MM-DD, when known'),
  durationSec: z.number().optional(),
  participants: z.array(
    z.object({ name: z.string(), turns: z.number().int(), talkTimeSec: z.number().optional() }),
  ),
  summary: z.string(),
  summarySource: z
    .enum(['sampling', 'extractive'])
    .describe(
      "'sampling': written by the client's model; 'extractive': the meeting's own sentences",
    ),
  decisions: z.array(z.string()),
  actionItems: z.array(
    z.object({
      task: z.string(),
      owner: z.string().optional(),
      due: z.string().optional().describe('YYYY-MM-DD'),
      dueText: z.string().optional().describe('The due words as said, e.g. "by Friday"'),
      speaker: z.string().optional(),
      at: z.string().optional().describe('HH:MM:SS from the start'),
    }),
  ),
  questions: z.array(z.string()),
  followUps: z.array(z.string()),
  intents: z.array(
    z.object({
      text: z.string(),
      speaker: z.string().optional(),
      at: z.string().optional(),
      intents: z.array(detectedIntentSchema),
    }),
  ),
});

/** Input of {@link processTranscript}. */
export type ProcessTranscriptInput = z.infer<typeof processTranscriptInputSchema>;
/** Output of {@link processTranscript}. */
export type ProcessTranscriptResult = z.infer<typeof processTranscriptOutputSchema>;
