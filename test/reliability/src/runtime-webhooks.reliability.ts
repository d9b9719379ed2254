/**
 * Webhooks and automations across crashes (issue 16): 1,000 Standard Webhooks events are posted
 * to a real `fedmcp serve` (SQLite store) by eight senders that retry until they get a 2xx, as
 * real senders do, while the hub is killed with SIGKILL and restarted five times. Afterwards every
 * acknowledged event is in the inbox exactly once (`webhook://meetings/events` counts the
 * canonical entries, each event readable by id) and the transcript automation has one finished
 * run per event; an automation call in flight at a kill is repeated once (same idempotency key),
 * so re-runs are at most one per kill — the figure is printed.
 */
import { createHmac } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { afterAll, describe, expect, it } from 'vitest';
import { killTree, type RunningCli, startCli, until } from './run-hub.js';

const SECRET = `whsec_${Buffer.from('reliability-standard-webhooks-key').toString('base64')}`;
const EVENTS = 1_000;
const SENDERS = 8;
const KILLS = 5;
/** A runtime resource URI as the hub exposes it (`fedmcp://<upstream>/<uri>`). */
const exposed = (uri: string) => `fedmcp://runtime/${uri}`;

function sign(id: string, body: string): Record<string, string> {
  const timestamp = Math.floor(Date.now() / 1000);
  const key = Buffer.from(SECRET.slice('whsec_'.length), 'base64');
  const signature = createHmac('sha256', key).update(`${id}.${timestamp}.${body}`).digest('base64');
  return {
    'content-type': 'application/json',
    'webhook-id': id,
    'webhook-timestamp': String(timestamp),
    'webhook-signature': `v1,${signature}`,
  };
}

describe('webhooks and automations across kill -9', () => {
  let directory: string | undefined;
  let cli: RunningCli | undefined;
  let client: Client | undefined;

  afterAll(async () => {
    await client?.close().catch(() => undefined);
    if (cli) await killTree(cli);
    if (directory) await rm(directory, { recursive: true, force: true });
  });

  it('keeps every acknowledged event exactly once and runs its automation once per event', async () => {
    directory = await mkdtemp(join(tmpdir(), 'fedmcp-runtime-reliability-'));
    const configFile = join(directory, 'fedmcp.config.json');
    await writeFile(
      configFile,
      JSON.stringify({
        hub: { port: 0 },
        runtime: {
          webhooks: { meetings: { scheme: 'standard-webhooks', secret: SECRET } },
          automations: [
            {
              name: 'transcripts',
              on: 'webhook:meetings',
              call: 'runtime__process_transcript',
              arguments: { transcript: '{{event.body.transcript}}', title: '{{event.body.topic}}' },
              as: 'svc-transcripts',
            },
          ],
          retryDelayMs: 50,
          claimIdleMs: 2_000,
        },
      }),
    );
    let url: string | undefined;
    const start = async () => {
      url = undefined;
      cli = startCli(['serve', '--config', configFile], directory as string);
      const running = cli;
      url = await until(() => {
        if (running.child.exitCode !== null)
          throw new Error(`fedmcp serve exited: ${running.stderr().slice(-2000)}`);
        return running.stdout().match(/serving at (http:\/\/127\.0\.0\.1:\d+)/)?.[1];
      }, 'the serving URL');
    };
    await start();

    const acknowledged = new Set<string>();
    let duplicates = 0;
    let refusedWhileDown = 0;
    let next = 0;
    const sender = async () => {
      for (;;) {
        const index = next++;
        if (index >= EVENTS) return;
        const id = `evt-${String(index).padStart(4, '0')}`;
        const body = JSON.stringify({
          type: 'transcript.ready',
          topic: `Meeting ${index}`,
          transcript: `Ana: We decided to ship release ${index} on Monday.\nBo: I will write the notes by Friday.`,
        });
        // A sender retries until it gets a 2xx (Standard Webhooks senders retry for hours).
        for (;;) {
          const target = url;
          if (!target) {
            await new Promise((resolve) => setTimeout(resolve, 20));
            continue;
          }
          const answer = await fetch(`${target}/hooks/meetings`, {
            method: 'POST',
            headers: sign(id, body),
            body,
          }).catch(() => undefined);
          if (answer && answer.status >= 200 && answer.status < 300) {
            const { duplicate } = (await answer.json()) as { duplicate: boolean };
            if (duplicate) duplicates += 1;
            acknowledged.add(id);
            break;
          }
          await answer?.body?.cancel();
          refusedWhileDown += 1;
          await new Promise((resolve) => setTimeout(resolve, 20));
        }
      }
    };
    const startedAt = Date.now();
    const senders = Array.from({ length: SENDERS }, sender);
    // Kill -9 at evenly spread points of the acknowledged count, restart at once.
    for (let kill = 1; kill <= KILLS; kill += 1) {
      await until(
        () => (acknowledged.size >= (kill * EVENTS) / (KILLS + 1) ? true : undefined),
        `${(kill * EVENTS) / (KILLS + 1)} acknowledged events`,
        120_000,
      );
      await killTree(cli as RunningCli);
      await start();
    }
    await Promise.all(senders);
    expect(acknowledged.size).toBe(EVENTS);
    const postedAt = Date.now();

    const checker = new Client({ name: 'reliability-check', version: '1.0.0' });
    client = checker;
    await checker.connect(new StreamableHTTPClientTransport(new URL(`${url}/mcp`)));
    const read = async (uri: string) => {
      const result = await checker.readResource({ uri: exposed(uri) });
      return JSON.parse((result.contents[0] as { text: string }).text);
    };
    const listing = await read('webhook://meetings/events');
    expect(listing.total).toBe(EVENTS);
    let reruns = 0;
    const runsOf = new Map<string, { state: string; attempts: number }>();
    // Each automation run settles after the last restart; wait for each, then check them all.
    for (const id of [...acknowledged].sort()) {
      const event = await read(`webhook://meetings/events/${id}`);
      expect(event.id).toBe(id);
      const run = await until(
        async () => {
          const record = await read(`automation://transcripts/runs/${id}`).catch(() => undefined);
          return record?.state === 'done' ? record : undefined;
        },
        `the automation run of ${id}`,
        120_000,
      );
      runsOf.set(id, run);
      reruns += run.attempts - 1;
      expect(run.result.title).toBe(`Meeting ${Number(id.slice(4))}`);
    }
    expect(runsOf.size).toBe(EVENTS);
    const checkedAt = Date.now();
    // Only a call in flight when the hub died is started again: at most one per kill.
    expect(reruns).toBeLessThanOrEqual(KILLS);
    process.stdout.write(
      `[reliability] runtime webhooks: ${EVENTS} events acknowledged across ${KILLS} kill -9s, ` +
        `${listing.total} in the inbox, ${duplicates} sender retries acknowledged as duplicates, ` +
        `${refusedWhileDown} posts refused or unanswered while the hub was down or starting, ` +
        `${runsOf.size} automation runs done, ${reruns} calls repeated after a kill; ` +
        `posting with the kills ${((postedAt - startedAt) / 1000).toFixed(1)} s, ` +
        `runs settled and every event and run read back ${((checkedAt - postedAt) / 1000).toFixed(1)} s\n`,
    );
  }, 600_000);
});
