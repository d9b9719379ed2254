/**
 * The meeting tools of the runtime server: `process_transcript`, `detect_intents` and the
 * `meeting_summary` prompt, backed by MCP sampling when the calling client can sample.
 */
import { FedmcpError } from '@fedmcp/protocol';
import type { McpServer, ServerContext } from '@modelcontextprotocol/server';
import { z } from 'zod';
import { createBuiltinIntentEngine } from '../intents/create-builtin-intent-engine.js';
import { createSamplingIntentEngine } from '../intents/create-sampling-intent-engine.js';
import { detectIntents } from '../intents/detect-intents.js';
import {
  detectIntentsInputSchema,
  detectIntentsOutputSchema,
  type IntentEngine,
} from '../intents/intent-types.js';
import { processTranscript } from '../transcript/process-transcript.js';
import {
  processTranscriptInputSchema,
  processTranscriptOutputSchema,
} from '../transcript/transcript-schemas.js';

/** Which engine `detect_intents` (and the transcript's intents) use. */
export type IntentEngineChoice = 'builtin' | 'sampling' | IntentEngine;

/** Asks the calling client's model; `undefined` when the client cannot sample. */
function samplerOf(ctx: ServerContext) {
  return async (system: string, prompt: string, maxTokens: number) => {
    const result = await ctx.mcpReq.requestSampling({
      systemPrompt: system,
      messages: [{ role: 'user', content: { type: 'text', text: prompt } }],
      maxTokens,
    });
    const content = Array.isArray(result.content) ? result.content[0] : result.content;
    return content?.type === 'text' ? content.text : '';
  };
}

function engineFor(choice: IntentEngineChoice, ctx: ServerContext): IntentEngine {
  if (choice === 'builtin') return createBuiltinIntentEngine();
  if (choice === 'sampling') {
    const sample = samplerOf(ctx);
    return createSamplingIntentEngine((request) =>
      sample(request.system, request.prompt, request.maxTokens),
    );
  }
  return choice;
}

/** A tool's JSON answer: the text for older clients, `structuredContent` for the rest. */
function structured(output: Record<string, unknown>) {
  return {
    content: [{ type: 'text' as const, text: JSON.stringify(output) }],
    structuredContent: output,
  };
}

/** Bad input becomes a tool error the caller can read (not a crash of the server). */
async function asToolResult(run: () => Promise<Record<string, unknown>>) {
  try {
    return structured(await run());
  } catch (error) {
    if (!FedmcpError.isInstance(error)) throw error;
    return { content: [{ type: 'text' as const, text: error.message }], isError: true };
  }
}

/** Registers the meeting tools and prompt on a runtime server instance. */
export function registerMeetingTools(server: McpServer, engine: IntentEngineChoice): void {
  server.registerTool(
    'process_transcript',
    {
      title: 'Process a meeting transcript',
      description:
        'Reads a meeting transcript (WebVTT, SRT, "Speaker: text" lines, Zoom or Fireflies JSON) and returns participants, a summary, decisions, action items with owners and due dates, questions, follow-ups and intents.',
      inputSchema: processTranscriptInputSchema,
      outputSchema: processTranscriptOutputSchema,
      annotations: { readOnlyHint: true, idempotentHint: true, openWorldHint: false },
    },
    (input, ctx) =>
      asToolResult(async () => {
        const sample = samplerOf(ctx);
        return processTranscript(input, {
          summarize: ({ text, maxWords }) =>
            sample(
              `Summarise this meeting in at most ${maxWords} words: what was discussed, decided and assigned.`,
              text,
              maxWords * 3,
            ),
          intents: engineFor(engine, ctx),
        }) as Promise<Record<string, unknown>>;
      }),
  );
  server.registerTool(
    'detect_intents',
    {
      title: 'Detect intents',
      description:
        'Labels each utterance with the intents it carries: Task Assignment, Commitment Made, Decision Made, Question Asked, Meeting Scheduled, Follow-up Required (several or none).',
      inputSchema: detectIntentsInputSchema,
      outputSchema: detectIntentsOutputSchema,
      annotations: { readOnlyHint: true, idempotentHint: true, openWorldHint: false },
    },
    (input, ctx) =>
      asToolResult(
        () => detectIntents(input, engineFor(engine, ctx)) as Promise<Record<string, unknown>>,
      ),
  );
  server.registerPrompt(
    'meeting_summary',
    {
      title: 'Meeting summary',
      description: 'Summarise a meeting transcript: decisions, action items with owners and dates.',
      argsSchema: z.object({
        transcript: z.string().describe('The transcript (WebVTT, SRT, plain or JSON)'),
        title: z.string().optional().describe('The meeting title'),
      }),
    },
    async ({ transcript, title }) => {
      const result = await processTranscript({ transcript, ...(title ? { title } : {}) });
      return {
        description: `Summary of ${result.title ?? 'the meeting'}`,
        messages: [
          {
            role: 'user' as const,
            content: {
              type: 'text' as const,
              text: [
                `Write the minutes of ${result.title ?? 'this meeting'}: a short summary, the decisions and the action items (owner, due date).`,
                'Structured extraction of the transcript:',
                JSON.stringify(result, null, 2),
              ].join('\n\n'),
            },
          },
        ],
      };
    },
  );
}
