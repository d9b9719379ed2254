/**
 * Consent end to end through a running hub on a sqlite store: an "always allow" answer survives a
 * hub restart, and `fedmcp consent revoke` takes it back — the next call asks again. The same
 * with a 2025-era and a 2026-07-28 client over real Streamable HTTP.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readAuditEvents } from '@fedmcp/proxy-auth';
import { createFedmcpServer, type FedmcpServer, loadConfig } from '@fedmcp/server';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { afterEach, describe, expect, it } from 'vitest';
import { captureIo } from '../../test/capture-io.js';
import { runCli } from '../run-cli.js';

const repositoryRoot = fileURLToPath(new URL('../../../../', import.meta.url));
const everything = join(
  repositoryRoot,
  'node_modules/@modelcontextprotocol/server-everything/dist/index.js',
);

describe.each(['2025-11-25', '2026-07-28'] as const)('consent with a %s client', (era) => {
  let directory: string;
  const servers: FedmcpServer[] = [];
  const clients: Client[] = [];

  afterEach(async () => {
    await Promise.allSettled(clients.splice(0).map((client) => client.close()));
    for (const server of servers.splice(0)) await server.close();
    await rm(directory, { recursive: true, force: true });
  });

  async function start(configFile: string) {
    const server = await createFedmcpServer({
      config: await loadConfig(configFile),
      baseDirectory: directory,
    });
    servers.push(server);
    const { url } = await server.listen();
    return { server, url };
  }

  async function connect(url: string, answers: string[], asked: string[]) {
    const client = new Client(
      { name: 'consent-e2e', version: '1.0.0' },
      {
        capabilities: { elicitation: { form: {} } },
        ...(era === '2026-07-28' ? { versionNegotiation: { mode: { pin: era } } } : {}),
      },
    );
    client.setRequestHandler('elicitation/create', async (request) => {
      asked.push(String(request.params.message));
      const decision = answers.shift();
      if (!decision) return { action: 'decline' };
      return { action: 'accept', content: { decision } };
    });
    await client.connect(new StreamableHTTPClientTransport(new URL(`${url}/mcp`)));
    clients.push(client);
    return client;
  }

  it('remembers "always allow" across a restart, until the CLI revokes it', async () => {
    directory = await mkdtemp(join(tmpdir(), 'fedmcp-consent-e2e-'));
    const configFile = join(directory, 'fedmcp.config.json');
    await writeFile(
      configFile,
      JSON.stringify({
        hub: { host: '127.0.0.1', port: 0, dataDir: './data' },
        store: `sqlite:${join(directory, 'data', 'state.db')}`,
        mcpServers: { everything: { command: process.execPath, args: [everything, 'stdio'] } },
        policy: {
          rules: [
            { id: 'everyone', effect: 'allow', subjects: ['*'], actions: ['*'] },
            {
              id: 'ask-before-echo',
              subjects: ['*'],
              actions: ['tools/call'],
              targets: ['everything__echo'],
              consent: 'required',
            },
          ],
        },
      }),
    );
    const asked: string[] = [];
    const echo = (client: Client, message: string) =>
      client.callTool({ name: 'everything__echo', arguments: { message } });

    let hub = await start(configFile);
    let client = await connect(hub.url, ['always_allow'], asked);
    expect(JSON.stringify((await echo(client, 'first')).content)).toContain('first');
    expect(asked).toHaveLength(1);
    expect(asked[0]).toContain('everything__echo');
    // An unrelated tool needs no consent.
    await client.callTool({ name: 'everything__get-sum', arguments: { a: 1, b: 2 } });
    expect(asked).toHaveLength(1);

    // Restart: the grant is in the sqlite store.
    await client.close();
    await hub.server.close();
    servers.splice(0);
    hub = await start(configFile);
    client = await connect(hub.url, [], asked);
    expect(JSON.stringify((await echo(client, 'after restart')).content)).toContain(
      'after restart',
    );
    expect(asked).toHaveLength(1);

    // The operator lists and revokes it with the CLI; the running hub asks again.
    const list = captureIo();
    expect(await runCli(['consent', 'list', '--config', configFile], list.io)).toBe(0);
    expect(list.out.stdout).toContain('everything__echo');
    const revoke = captureIo();
    expect(
      await runCli(
        ['consent', 'revoke', '--target', 'everything__echo', '--config', configFile],
        revoke.io,
      ),
    ).toBe(0);
    await expect(echo(client, 'revoked')).rejects.toMatchObject({ code: -32063 });
    expect(asked).toHaveLength(2);

    const outcomes = (await readAuditEvents(hub.server.store.streams, { limit: 10_000 }))
      .map(({ event }) => event)
      .filter((event) => event.type === 'consent')
      .map((event) => event.outcome);
    expect(outcomes).toEqual(expect.arrayContaining(['granted', 'used', 'revoked', 'denied']));
  }, 60_000);
});
