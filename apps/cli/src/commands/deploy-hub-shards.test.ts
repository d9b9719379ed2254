// `hub.shards` reaches the hub `fedmcp deploy cloudflare` bundles: in Miniflare (the uploaded
// Worker) 2025-11-25 sessions open on several of the four hub objects (the session id names its
// object) and each keeps working there, elicitations resume in both eras (the 2026-07-28 retry
// reaches the object holding the call), a session id naming no object is answered 404, and a
// shard count out of range is refused with the config's error.
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { elicitedContent } from '@fedmcp/test-support';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { describe, expect, it, vi } from 'vitest';
import { dryRunDeploy, startWorker, useDeployTestBed } from './deploy-hub.fixtures.js';

const bed = useDeployTestBed('fedmcp-deploy-shards-');

/** The `--dry-run` of `fedmcp deploy cloudflare` for `hub`: its exit code, output and bundle. */
async function dryRun(hub: Record<string, unknown>) {
  const configFile = join(bed.directory, 'fedmcp.config.json');
  const config = {
    hub,
    // biome-ignore lint/suspicious/noTemplateCurlyInString: a config reference, not a template
    mcpServers: { everything: { url: '${EVERYTHING_URL}' } },
  };
  await writeFile(configFile, JSON.stringify(config));
  vi.stubEnv('EVERYTHING_URL', bed.everything.url);
  const { exitCode, stderr, bundle } = await dryRunDeploy('cloudflare', configFile);
  return { code: exitCode, stderr, bundle };
}

/** A client of `mode` that accepts every elicitation form with `name`, counting them. */
function interactive(mode: 'legacy' | { pin: '2026-07-28' }, name: string) {
  const client = new Client(
    { name: 'shards', version: '1.0.0' },
    { capabilities: { elicitation: { form: {} } }, versionNegotiation: { mode } },
  );
  const received = { elicitation: 0 };
  client.setRequestHandler('elicitation/create', () => {
    received.elicitation += 1;
    return { action: 'accept' as const, content: elicitedContent(name) };
  });
  return { client, received };
}

/** Calls server-everything's elicitation tool and checks the answer reached it. */
async function elicit(client: Client, received: { elicitation: number }, name: string) {
  const before = received.elicitation;
  const result = await client.callTool({
    name: 'everything__trigger-elicitation-request',
    arguments: {},
  });
  expect(received.elicitation).toBe(before + 1);
  expect(JSON.stringify(result)).toContain(name);
}

describe('hub.shards in the deployed hub', () => {
  it('in Miniflare: sessions spread over the objects and stay there, elicitations resume in both eras', async () => {
    const { code, stderr, bundle } = await dryRun({ shards: 4 });
    expect(code, stderr).toBe(0);
    expect(/\bshards:4[,}]/.test(bundle), 'the definition baked in names 4 shards').toBe(true);
    await using worker = await startWorker(bundle, { EVERYTHING_URL: bed.everything.url });
    const url = new URL('/mcp', worker.origin);
    const sessions: Array<{ client: Client; transport: StreamableHTTPClientTransport }> = [];
    try {
      const shards = new Set<string>();
      for (let index = 0; index < 12; index += 1) {
        const client = new Client(
          { name: 'shards', version: '1.0.0' },
          { versionNegotiation: { mode: 'legacy' } },
        );
        const transport = new StreamableHTTPClientTransport(url);
        await client.connect(transport);
        sessions.push({ client, transport });
        expect(transport.sessionId).toMatch(/^[0-3]\./);
        shards.add(transport.sessionId!.split('.')[0]!);
      }
      expect(shards.size).toBeGreaterThan(1);
      for (const { client } of sessions) {
        const echoed = await client.callTool({
          name: 'everything__echo',
          arguments: { message: 'sharded' },
        });
        expect(JSON.stringify(echoed.content)).toContain('Echo: sharded');
      }

      for (const mode of ['legacy', { pin: '2026-07-28' }] as const) {
        const name = `Ada ${typeof mode === 'string' ? mode : mode.pin}`;
        const { client, received } = interactive(mode, name);
        await client.connect(new StreamableHTTPClientTransport(url));
        try {
          for (let round = 0; round < 3; round += 1) await elicit(client, received, name);
        } finally {
          await client.close();
        }
      }

      const forged = await fetch(url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          accept: 'application/json, text/event-stream',
          'mcp-session-id': `9.${sessions[0]!.transport.sessionId!.split('.').slice(1).join('.')}`,
        },
        body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'ping' }),
      });
      expect(forged.status).toBe(404);
      expect(await forged.text()).toContain('Session not found');
    } finally {
      await Promise.allSettled(sessions.map(({ client }) => client.close()));
    }
  }, 180_000);

  it('refuses a shard count out of range with the config error', async () => {
    const { code, stderr } = await dryRun({ shards: 0 });
    expect(code).not.toBe(0);
    expect(stderr).toMatch(/hub\.shards/);
    expect(stderr).toContain('expected a number between 1 and 1024');
  }, 60_000);
});
