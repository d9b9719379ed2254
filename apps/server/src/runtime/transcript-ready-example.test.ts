/**
 * The shipped example `packages/runtime-features/examples/transcript-ready`: its config and its
 * sender, against a listening server — the event is stored, the automation's result is announced
 * to a subscriber and holds the minutes.
 */
import { fileURLToPath } from 'node:url';
import { toHubResourceUri } from '@fedmcp/protocol';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../config/load-config.js';
import { createFedmcpServer } from '../create-fedmcp-server.js';

const exampleDirectory = fileURLToPath(
  new URL('../../../../packages/runtime-features/examples/transcript-ready/', import.meta.url),
);
const SECRET = `whsec_${Buffer.from('transcript-ready-example-secret').toString('base64')}`;

describe('the transcript-ready example', () => {
  it('turns the signed event into minutes announced on the run resource', async () => {
    const config = await loadConfig(`${exampleDirectory}fedmcp.config.json`, {
      env: { MEETINGS_WEBHOOK_SECRET: SECRET },
    });
    await using server = await createFedmcpServer({
      config: { ...config, store: 'memory:', hub: { ...config.hub, port: 0 } },
      baseDirectory: exampleDirectory,
    });
    const { url } = await server.listen();
    const client = new Client({ name: 'example-check', version: '1.0.0' });
    await client.connect(new StreamableHTTPClientTransport(new URL(`${url}/mcp`)));
    try {
      const run = toHubResourceUri('runtime', 'automation://minutes/runs/meeting-1');
      const announced = new Promise<void>((resolve) =>
        client.setNotificationHandler('notifications/resources/updated', (notification) => {
          if (notification.params.uri === run) resolve();
        }),
      );
      await client.subscribeResource({ uri: run });
      const { sendTranscriptReady } = await import(`${exampleDirectory}send-transcript-ready.ts`);
      expect(await sendTranscriptReady(url, SECRET, 'meeting-1')).toBe(202);
      await announced;
      const read = await client.readResource({ uri: run });
      const record = JSON.parse((read.contents[0] as { text: string }).text);
      expect(record).toMatchObject({ automation: 'minutes', state: 'done', attempts: 1 });
      expect(record.result).toMatchObject({
        title: 'Beta launch',
        decisions: ['We decided to ship the beta on Monday.'],
        actionItems: [expect.objectContaining({ owner: 'Bo', due: '2026-12-04', speaker: 'Ana' })],
      });
    } finally {
      await client.close();
    }
  });
});
