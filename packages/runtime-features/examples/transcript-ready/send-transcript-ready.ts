/**
 * Sends a meeting platform's "transcript ready" event to a running hub, signed as Standard
 * Webhooks senders do: `node --import tsx send-transcript-ready.ts http://127.0.0.1:3333`
 * with MEETINGS_WEBHOOK_SECRET set to the `whsec_…` secret of the config.
 */
import { Webhook } from 'standardwebhooks';

/** The event a meeting platform posts when a recording's transcript is ready. */
export function transcriptReadyEvent(id: string) {
  return {
    type: 'meeting.transcript_ready',
    payload: {
      topic: 'Beta launch',
      date: '2026-12-02',
      transcript: [
        'WEBVTT',
        '',
        '00:00:01.000 --> 00:00:06.000',
        '<v Ana>We decided to ship the beta on Monday.',
        '',
        '00:00:06.500 --> 00:00:11.000',
        '<v Ana>Bo, can you write the release notes by Friday?',
        '',
        '00:00:11.500 --> 00:00:13.000',
        '<v Bo>Sure.',
      ].join('\n'),
      meetingId: id,
    },
  };
}

/** Posts the event to `<hub>/hooks/meetings`; resolves with the hub's status code. */
export async function sendTranscriptReady(
  hub: string,
  secret: string,
  id: string,
): Promise<number> {
  const body = JSON.stringify(transcriptReadyEvent(id));
  const at = new Date();
  const response = await fetch(`${hub}/hooks/meetings`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      'webhook-id': id,
      'webhook-timestamp': String(Math.floor(at.getTime() / 1000)),
      'webhook-signature': new Webhook(secret).sign(id, at, body),
    },
    body,
  });
  await response.body?.cancel();
  return response.status;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const status = await sendTranscriptReady(
    process.argv[2] ?? 'http://127.0.0.1:3333',
    process.env.MEETINGS_WEBHOOK_SECRET ?? '',
    `meeting-${Date.now()}`,
  );
  console.log(status); // 202: stored; the automation runs next
}
