import { readFileSync } from 'node:fs';
import { InvalidRequestError } from '@fedmcp/protocol';
import { describe, expect, it } from 'vitest';
import { detectTranscriptFormat, parseTranscript, transcriptAsText } from './parse-transcript.js';

const fixture = (name: string) =>
  readFileSync(new URL(`./fixtures/${name}`, import.meta.url), 'utf8');

describe('parseTranscript', () => {
  it('detects each format from the content', () => {
    expect(detectTranscriptFormat(fixture('planning.vtt'))).toBe('vtt');
    expect(detectTranscriptFormat(fixture('standup.srt'))).toBe('srt');
    expect(detectTranscriptFormat(fixture('retro.txt'))).toBe('text');
    expect(detectTranscriptFormat(fixture('zoom-transcript.json'))).toBe('json');
    expect(detectTranscriptFormat(`\uFEFF${fixture('fireflies-transcript.json')}`)).toBe('json');
  });

  it('reads WebVTT voice spans, cue times, and strips other tags and NOTE blocks', () => {
    const { format, segments } = parseTranscript(fixture('planning.vtt'));
    expect(format).toBe('vtt');
    expect(segments).toHaveLength(9);
    expect(segments[0]).toEqual({
      speaker: 'Priya Shah',
      text: 'Good morning everyone, thanks for joining.',
      start: 1,
      end: 6.5,
    });
    expect(segments[2]?.speaker).toBe('Marcus Lee');
    expect(segments[3]?.text).toBe('About forty thousand dollars, same as last year.');
  });

  it('reads SRT cues with "Speaker: text" lines over several lines', () => {
    const { segments } = parseTranscript(fixture('standup.srt'));
    expect(segments).toHaveLength(7);
    expect(segments[3]).toEqual({
      speaker: 'Sofia',
      text: 'Omar, please rotate the API keys before the end of the month.',
      start: 15,
      end: 21,
    });
  });

  it('reads WebVTT without voice spans the way Zoom writes it ("Name: text" in the cue)', () => {
    const { segments } = parseTranscript(
      'WEBVTT\n\n1\n00:00:00.000 --> 00:00:02.500\nLena Park: Hello there.\n\n2\n00:00:02.500 --> 00:01:02.000\nKenji Sato: Hi.\n',
    );
    expect(segments).toEqual([
      { speaker: 'Lena Park', text: 'Hello there.', start: 0, end: 2.5 },
      { speaker: 'Kenji Sato', text: 'Hi.', start: 2.5, end: 62 },
    ]);
  });

  it('reads plain "Speaker: text" lines with timestamps, and joins continuation lines', () => {
    const { segments } = parseTranscript(fixture('retro.txt'));
    expect(segments[1]).toEqual({
      speaker: 'Bob',
      text: 'The release went out without any issues. Support tickets dropped after the fix.',
      start: 12,
      end: 100,
    });
    expect(segments.map((segment) => segment.speaker)).toEqual([
      'Alice',
      'Bob',
      'Alice',
      'Alice',
      'Bob',
      'Carol',
      'Carol',
    ]);
  });

  it("reads Zoom's JSON transcript with its recording start", () => {
    const transcript = parseTranscript(fixture('zoom-transcript.json'));
    expect(transcript).toMatchObject({ format: 'json', source: 'zoom', durationSec: 1200 });
    expect(transcript.meetingDate?.toISOString()).toBe('2026-12-02T15:00:00.000Z');
    expect(transcript.segments[2]).toEqual({
      speaker: 'Kenji Sato',
      text: "I'll write the integration plan by next Monday.",
      start: 9,
      end: 14.5,
    });
  });

  it("reads Fireflies' GraphQL transcript, wrapped in data or bare", () => {
    const wrapped = parseTranscript(fixture('fireflies-transcript.json'));
    expect(wrapped).toMatchObject({
      source: 'fireflies',
      title: 'Design review',
      durationSec: 750,
    });
    expect(wrapped.meetingDate?.toISOString()).toBe('2026-12-02T14:00:00.000Z');
    expect(wrapped.segments[1]).toEqual({
      speaker: 'Sofia Reyes',
      text: 'Jordan, please send the mockups to the client by end of week.',
      start: 5.4,
      end: 10.9,
    });
    const bare = JSON.stringify(JSON.parse(fixture('fireflies-transcript.json')).data.transcript);
    expect(parseTranscript(bare, 'json').segments).toEqual(wrapped.segments);
  });

  it('renders any transcript as "Speaker: text" lines', () => {
    expect(transcriptAsText(parseTranscript(fixture('zoom-transcript.json'))).split('\n')[1]).toBe(
      "Lena Park: We're going with Stripe for payments.",
    );
  });

  it('refuses bad input with a clear reason', () => {
    expect(() => parseTranscript('  \n')).toThrow(InvalidRequestError);
    expect(() => parseTranscript('  \n')).toThrow(/the transcript is empty/);
    expect(() => parseTranscript('{"recording": {"files": []}}')).toThrow(
      /unknown JSON transcript shape: expected Zoom's .* or Fireflies' .*; got an object with keys recording/,
    );
    expect(() =>
      parseTranscript('{"timeline": [{"ts": "00:00:01.000", "users": [{"username": "A"}]}]}'),
    ).toThrow(/TIMELINE file lists who spoke, not what was said/);
    expect(() => parseTranscript('{"sentences": [', 'json')).toThrow(/not valid JSON/);
    expect(() => parseTranscript('WEBVTT\n\n1\nsoon --> later\nHello\n')).toThrow(
      /cue timing "soon --> later"/,
    );
    expect(() => parseTranscript('WEBVTT\n\nNOTE nothing here\n')).toThrow(/holds no speech/);
  });
});
