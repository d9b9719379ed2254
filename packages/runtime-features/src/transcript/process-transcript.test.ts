import { readFileSync } from 'node:fs';
import { InvalidRequestError } from '@fedmcp/protocol';
import { describe, expect, it } from 'vitest';
import type { IntentEngine } from '../intents/intent-types.js';
import { processTranscript } from './process-transcript.js';
import { processTranscriptOutputSchema } from './transcript-schemas.js';

const fixture = (name: string) =>
  readFileSync(new URL(`./fixtures/${name}`, import.meta.url), 'utf8');
// The fixtures' meetings took place on Wednesday 2 December 2026.
const meetingDate = new Date('2026-12-02T15:00:00Z');

describe('processTranscript', () => {
  it('turns a WebVTT meeting into participants, decisions, owned and dated action items', async () => {
    const result = await processTranscript(
      { transcript: fixture('planning.vtt'), title: 'Q1 planning' },
      { meetingDate },
    );
    expect(processTranscriptOutputSchema.parse(result)).toEqual(result);
    expect(result).toMatchObject({
      title: 'Q1 planning',
      format: 'vtt',
      meetingDate: '2026-12-02',
      durationSec: 44,
    });
    expect(result.participants).toEqual([
      { name: 'Priya Shah', turns: 3, talkTimeSec: 26 },
      { name: 'Marcus Lee', turns: 2, talkTimeSec: 6 },
      { name: 'Dana Cruz', turns: 1, talkTimeSec: 11 },
    ]);
    expect(result.decisions).toEqual(["We've decided to move the launch to March."]);
    expect(result.actionItems).toEqual([
      {
        task: 'Can you update the rollout plan by Friday?',
        owner: 'Marcus Lee',
        due: '2026-12-04',
        dueText: 'by Friday',
        speaker: 'Priya Shah',
        at: '00:00:19',
      },
      {
        task: "I'll send the customer announcement tomorrow.",
        owner: 'Dana Cruz',
        due: '2026-12-03',
        dueText: 'tomorrow',
        speaker: 'Dana Cruz',
        at: '00:00:27',
      },
    ]);
    expect(result.questions).toEqual(["What's the budget for the beta program?"]);
    expect(result.followUps).toEqual(["Let's circle back on pricing next week."]);
    expect(result.intents).toContainEqual(
      expect.objectContaining({
        text: "Let's meet on Thursday at 3 to review the plan.",
        intents: expect.arrayContaining([expect.objectContaining({ type: 'Meeting Scheduled' })]),
      }),
    );
    expect(result.summarySource).toBe('extractive');
    expect(result.summary).toContain("We've decided to move the launch to March.");
  });

  it('reads an SRT stand-up: owner from the addressee, due at the end of the month', async () => {
    const result = await processTranscript({ transcript: fixture('standup.srt') }, { meetingDate });
    expect(result.format).toBe('srt');
    expect(result.participants.map((participant) => [participant.name, participant.turns])).toEqual(
      [
        ['Wei', 1],
        ['Sofia', 2],
        ['Omar', 1],
      ],
    );
    expect(result.decisions).toEqual(["Agreed, we're not deploying on Fridays anymore."]);
    expect(result.actionItems).toEqual([
      expect.objectContaining({
        task: "I'll fix the flaky login test by end of day.",
        owner: 'Wei',
        due: '2026-12-02',
      }),
      expect.objectContaining({
        task: 'Please rotate the API keys before the end of the month.',
        owner: 'Omar',
        due: '2026-12-31',
        speaker: 'Sofia',
      }),
    ]);
    expect(result.questions).toEqual(['Has anyone heard back from the auditors?']);
    expect(result.followUps).toContain(
      'Not yet, we still need to follow up with them next Tuesday.',
    );
  });

  it('takes the calendar day of an input meetingDate as written, whatever its offset', async () => {
    const result = await processTranscript({
      transcript: 'Ana: Bo, please send the notes tomorrow.',
      meetingDate: '2026-12-02T23:30:00-08:00',
    });
    expect(result.meetingDate).toBe('2026-12-02');
    expect(result.actionItems[0]).toMatchObject({ owner: 'Bo', due: '2026-12-03' });
  });

  it('reads plain "Speaker: text" lines, with the meeting date given in the input', async () => {
    const result = await processTranscript({
      transcript: fixture('retro.txt'),
      meetingDate: '2026-12-02',
    });
    expect(result.format).toBe('text');
    expect(result.participants.map((participant) => participant.name)).toEqual([
      'Alice',
      'Bob',
      'Carol',
    ]);
    expect(result.decisions).toEqual(['We agreed to keep weekly releases.']);
    expect(result.actionItems).toEqual([
      expect.objectContaining({
        task: 'Please write the postmortem for the outage by next Tuesday.',
        owner: 'Bob',
        due: '2026-12-08',
      }),
      expect.objectContaining({
        task: "I'll book a room for the retro on Thursday.",
        owner: 'Carol',
        due: '2026-12-03',
      }),
    ]);
    expect(result.questions).toEqual(['Why did the latency spike last night?']);
  });

  it("reads Zoom's JSON, taking the meeting date from the recording", async () => {
    const result = await processTranscript({ transcript: fixture('zoom-transcript.json') });
    expect(result).toMatchObject({
      format: 'json',
      source: 'zoom',
      meetingDate: '2026-12-02',
      durationSec: 1200,
    });
    expect(result.participants.map((participant) => participant.name)).toEqual([
      'Lena Park',
      'Kenji Sato',
      'Ravi Iyer',
    ]);
    expect(result.decisions).toEqual(["We're going with Stripe for payments."]);
    expect(result.actionItems).toEqual([
      expect.objectContaining({
        task: "I'll write the integration plan by next Monday.",
        owner: 'Kenji Sato',
        due: '2026-12-07',
      }),
      expect.objectContaining({
        task: 'Can you also check the contract for renewal clauses before the 15th?',
        owner: 'Kenji Sato',
        due: '2026-12-15',
      }),
    ]);
    expect(result.questions).toEqual(['How long will the migration take?']);
  });

  it('reads Fireflies\' JSON: title, duration, and an owner who answers "Sure."', async () => {
    const result = await processTranscript({ transcript: fixture('fireflies-transcript.json') });
    expect(result).toMatchObject({
      title: 'Design review',
      source: 'fireflies',
      durationSec: 750,
      meetingDate: '2026-12-02',
    });
    expect(result.participants).toEqual([
      { name: 'Jordan Blake', turns: 3, talkTimeSec: 7.2 },
      { name: 'Sofia Reyes', turns: 2, talkTimeSec: 9.9 },
    ]);
    expect(result.decisions).toEqual(["Let's go with the blue design."]);
    expect(result.actionItems).toEqual([
      expect.objectContaining({
        task: 'Please send the mockups to the client by end of week.',
        owner: 'Jordan Blake',
        due: '2026-12-04',
      }),
      expect.objectContaining({
        task: "I'll set up a call with the client next Wednesday.",
        owner: 'Sofia Reyes',
        due: '2026-12-09',
      }),
    ]);
    expect(result.followUps).toContain('Can we revisit the icon set later?');
  });

  it('finds owners in unpunctuated lower-case speech (auto captions) and takes "yep will do" as an answer', async () => {
    const transcript = [
      'WEBVTT',
      '',
      '00:00:00.000 --> 00:00:05.000',
      'John Smith: um so yeah i think we should uh go with the second vendor',
      '',
      '00:00:05.000 --> 00:00:09.000',
      'Mary Jones: mary here, fine by me',
      '',
      '00:00:09.000 --> 00:00:14.000',
      'John Smith: mary can you send them the contract by thursday',
      '',
      '00:00:14.000 --> 00:00:16.000',
      'Mary Jones: yep will do',
    ].join('\n');
    const result = await processTranscript({ transcript }, { meetingDate });
    expect(result.actionItems).toEqual([
      {
        task: 'Can you send them the contract by thursday',
        owner: 'Mary Jones',
        due: '2026-12-03',
        dueText: 'by thursday',
        speaker: 'John Smith',
        at: '00:00:09',
      },
    ]);
  });

  it('takes the summary from summarize (sampling) and says so; falls back when it gives nothing', async () => {
    const requests: { text: string; maxWords: number }[] = [];
    const sampled = await processTranscript(
      { transcript: fixture('retro.txt') },
      {
        summarize: async (request) => {
          requests.push(request);
          return 'The team kept weekly releases; Bob writes the postmortem.';
        },
      },
    );
    expect(sampled).toMatchObject({
      summary: 'The team kept weekly releases; Bob writes the postmortem.',
      summarySource: 'sampling',
    });
    expect(requests[0]?.text).toContain('Alice: We agreed to keep weekly releases.');
    expect(requests[0]?.maxWords).toBeGreaterThan(0);

    for (const summarize of [
      async () => undefined,
      async () => Promise.reject(new Error('declined')),
    ]) {
      const result = await processTranscript({ transcript: fixture('retro.txt') }, { summarize });
      expect(result.summarySource).toBe('extractive');
      expect(result.summary).toContain('We agreed to keep weekly releases.');
    }
  });

  it('uses the intent engine it is given', async () => {
    const engine: IntentEngine = {
      name: 'fixed',
      detect: async (utterances) =>
        utterances.map((utterance) => ({
          ...utterance,
          intents: [{ type: 'Decision Made' as const, confidence: 1 }],
        })),
    };
    const result = await processTranscript(
      { transcript: 'Ana: Hello there.\nBo: Bye now.' },
      { intents: engine },
    );
    expect(result.decisions).toEqual(['Hello there.', 'Bye now.']);
  });

  it('refuses bad input with the reason, never a crash', async () => {
    await expect(processTranscript({ transcript: '' })).rejects.toThrow(InvalidRequestError);
    await expect(processTranscript({ transcript: ' \n ' })).rejects.toThrow(
      /the transcript is empty/,
    );
    await expect(processTranscript({ transcript: '{"foo": 1}' })).rejects.toThrow(
      /unknown JSON transcript shape/,
    );
    await expect(processTranscript({ transcript: 'x', format: 'doc' } as never)).rejects.toThrow(
      /format/,
    );
    await expect(
      processTranscript({ transcript: 'Ana: hi', meetingDate: 'Friday' }),
    ).rejects.toThrow(/meetingDate: must be an ISO date/);
    await expect(
      processTranscript({ transcript: 'Ana: hi', meetingDate: '2026-13-45' }),
    ).rejects.toThrow(/meetingDate: "2026-13-45" is not a valid date/);
    await expect(processTranscript({} as never)).rejects.toThrow(/transcript/);
    await expect(
      processTranscript({ transcript: 'Ana: hi', meetingDate: '2026-02-30' }),
    ).rejects.toThrow(/not a valid date/);
    await expect(
      processTranscript({ transcript: 'Ana: hi' }, { meetingDate: new Date('someday') }),
    ).rejects.toThrow(/options\.meetingDate is an invalid Date/);
  });
});
