/**
 * The hub end to end: server-everything over stdio (`ev`) and over Streamable HTTP (`evh`) behind
 * `createFedmcpServer`, and every scenario over every downstream transport and client — Streamable
 * HTTP in the 2025 era (SDK v1 and v2 clients) and 2026-07-28 (v2 client), legacy SSE (v1),
 * WebSocket (v1, and v2 over our WebSocket client transport, both eras), and stdio (the
 * `fedmcp serve --stdio` CLI, v1 and v2 clients). Scenarios that an era does not define say so in
 * their name.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { exposeUri } from '@fedmcp/federation';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import {
  type ClientAnswers,
  connectV1Client,
  connectV2Client,
  type E2eClient,
} from './fixtures/e2e-client.js';
import {
  fedmcpStdioCommand,
  type McpServers,
  type RunningHub,
  startHub,
  writeHubConfig,
} from './fixtures/hub.js';
import {
  type EverythingHttp,
  everythingStdioEntry,
  observedCancellations,
  startEverythingHttp,
} from './fixtures/upstreams.js';

const directory = mkdtempSync(join(tmpdir(), 'fedmcp-e2e-matrix-'));
const observeFile = join(directory, 'cancellations.log');
const SUBSCRIBED_URI = 'demo://resource/static/document/architecture.md';

let everythingHttp: EverythingHttp;
let hub: RunningHub;
let upstreams: McpServers;

beforeAll(async () => {
  everythingHttp = await startEverythingHttp({ observeFile });
  upstreams = { ev: everythingStdioEntry(observeFile), evh: { url: everythingHttp.url } };
  hub = await startHub(upstreams);
}, 90_000);

afterAll(async () => {
  await hub?.close();
  await everythingHttp?.close();
  rmSync(directory, { recursive: true, force: true });
});

interface Leg {
  name: string;
  era: 'legacy' | 'modern';
  connect(answers: ClientAnswers): Promise<E2eClient>;
  /** Adds (then removes) an upstream while the client is connected. */
  addUpstream(id: string): Promise<void>;
  removeUpstream(id: string): Promise<void>;
}

/** A leg against the in-process hub: upstreams change through `server.hub.upstreams`. */
function httpLeg(
  name: string,
  era: 'legacy' | 'modern',
  connect: (answers: ClientAnswers) => Promise<E2eClient>,
): Leg {
  return {
    name,
    era,
    connect,
    async addUpstream(id) {
      await hub.server.hub.upstreams.add(id, { url: everythingHttp.url }, { prefix: id });
    },
    async removeUpstream(id) {
      await hub.server.hub.upstreams.remove(id);
    },
  };
}

/** A leg against `fedmcp serve --stdio`: upstreams change by editing its config file (hot reload). */
function stdioLeg(
  name: string,
  era: 'legacy' | 'modern',
  connect: (configFile: string, answers: ClientAnswers) => Promise<E2eClient>,
): Leg {
  const configFile = join(directory, `${name.replace(/\W+/g, '-')}.config.json`);
  return {
    name,
    era,
    connect(answers) {
      writeHubConfig(configFile, upstreams);
      return connect(configFile, answers);
    },
    async addUpstream(id) {
      writeHubConfig(configFile, { ...upstreams, [id]: { url: everythingHttp.url } });
    },
    async removeUpstream() {
      writeHubConfig(configFile, upstreams);
    },
  };
}

const ws = () => `${hub.url.replace(/^http/, 'ws')}/ws`;

const legs: Leg[] = [
  httpLeg('Streamable HTTP 2025 · v1 client', 'legacy', (answers) =>
    connectV1Client({ kind: 'streamable-http', url: `${hub.url}/mcp` }, answers),
  ),
  httpLeg('Streamable HTTP 2025 · v2 client', 'legacy', (answers) =>
    connectV2Client({ kind: 'streamable-http', url: `${hub.url}/mcp` }, 'legacy', answers),
  ),
  httpLeg('Streamable HTTP 2026-07-28 · v2 client', 'modern', (answers) =>
    connectV2Client({ kind: 'streamable-http', url: `${hub.url}/mcp` }, 'modern', answers),
  ),
  httpLeg('legacy SSE · v1 client', 'legacy', (answers) =>
    connectV1Client({ kind: 'sse', url: `${hub.url}/sse` }, answers),
  ),
  httpLeg('WebSocket 2025 · v1 client', 'legacy', (answers) =>
    connectV1Client({ kind: 'websocket', url: ws() }, answers),
  ),
  httpLeg('WebSocket 2025 · v2 client', 'legacy', (answers) =>
    connectV2Client({ kind: 'websocket', url: ws() }, 'legacy', answers),
  ),
  httpLeg('WebSocket 2026-07-28 · v2 client', 'modern', (answers) =>
    connectV2Client({ kind: 'websocket', url: ws() }, 'modern', answers),
  ),
  stdioLeg('stdio fedmcp serve 2025 · v1 client', 'legacy', (configFile, answers) =>
    connectV1Client({ kind: 'stdio', command: fedmcpStdioCommand(configFile) }, answers),
  ),
  {
    ...stdioLeg('stdio fedmcp serve 2026-07-28 · v2 client', 'modern', (configFile, answers) =>
      connectV2Client(
        { kind: 'stdio', command: fedmcpStdioCommand(configFile) },
        'modern',
        answers,
      ),
    ),
  },
];

describe.each(legs)('$name', (leg) => {
  const slug = leg.name.replace(/\W+/g, '-');
  const answers: ClientAnswers = {
    samplingText: `sampled for ${slug}`,
    elicitedName: `Ada of ${slug}`,
  };
  let client: E2eClient;

  afterAll(async () => {
    await client?.close();
  });

  it('connects through the hub', { timeout: 60_000 }, async () => {
    client = await leg.connect(answers);
    expect(client.era).toBe(leg.era);
  });

  it('lists the namespaced tools of both upstreams and calls them', async () => {
    const names = await client.listToolNames();
    expect(names).toEqual(
      expect.arrayContaining([
        'ev__echo',
        'ev__get-sum',
        'ev__trigger-sampling-request',
        'ev__trigger-elicitation-request',
        'evh__echo',
        'evh__get-sum',
        'evh__trigger-sampling-request',
      ]),
    );
    expect(names.some((name) => !name.startsWith('ev__') && !name.startsWith('evh__'))).toBe(false);
    expect((await client.callTool('ev__echo', { message: `hi from ${slug}` })).text).toBe(
      `Echo: hi from ${slug}`,
    );
    expect((await client.callTool('evh__get-sum', { a: 2, b: 3 })).text).toContain('5');
  });

  it('delivers progress of a long-running call', async () => {
    const progress: Array<{ progress: number; total?: number }> = [];
    const result = await client.callTool(
      'ev__trigger-long-running-operation',
      { duration: 0.6, steps: 3 },
      { onProgress: (value) => progress.push(value) },
    );
    expect(result.text).toContain('Long running operation completed');
    // server-everything sends 3; the last one races the response on some transports.
    expect(progress.length).toBeGreaterThanOrEqual(1);
    expect(progress.map((value) => value.total)).toEqual(progress.map(() => 3));
    const values = progress.map((value) => value.progress);
    expect(values).toEqual([...values].sort((a, b) => a - b));
    expect(values[0]).toBeGreaterThanOrEqual(1);
  });

  it('relays a sampling request of each upstream to the client and its answer back', async () => {
    const before = client.received.sampling;
    for (const prefix of ['ev', 'evh']) {
      const result = await client.callTool(`${prefix}__trigger-sampling-request`, {
        prompt: `question from ${slug}`,
        maxTokens: 16,
      });
      expect(result.isError).toBe(false);
      expect(result.text).toContain(answers.samplingText);
    }
    expect(client.received.sampling).toBe(before + 2);
  });

  it('relays an elicitation request of each upstream to the client and its answer back', async () => {
    const before = client.received.elicitation;
    for (const prefix of ['ev', 'evh']) {
      const result = await client.callTool(`${prefix}__trigger-elicitation-request`, {});
      expect(result.isError).toBe(false);
      expect(result.text).toContain(`Name: ${answers.elicitedName}`);
      expect(result.text).toContain('Favorite Integer: 7');
    }
    expect(client.received.elicitation).toBe(before + 2);
  });

  it(leg.era === 'legacy'
    ? 'delivers an update of a subscribed resource (resources/subscribe)'
    : 'delivers an update of a subscribed resource (subscriptions/listen)', {
    timeout: 30_000,
  }, async () => {
    const uri = exposeUri('ev', SUBSCRIBED_URI);
    const updates: string[] = [];
    await client.watchResource(uri, (updated) => updates.push(updated));
    // Toggling the updates on sends one round at once, then every 5 s.
    await setSubscriberUpdates(client, 'Started');
    try {
      await vi.waitFor(() => expect(updates).toContain(uri), { timeout: 15_000, interval: 50 });
    } finally {
      await setSubscriberUpdates(client, 'Stopped');
    }
  });

  it('cancels long calls on both upstreams when the client aborts them', {
    timeout: 30_000,
  }, async () => {
    const controller = new AbortController();
    const progress: Record<string, number[]> = { ev: [], evh: [] };
    const calls = Object.keys(progress).map((prefix) => {
      const call = client.callTool(
        `${prefix}__trigger-long-running-operation`,
        { duration: 30, steps: 60 },
        {
          signal: controller.signal,
          onProgress: (value) => progress[prefix]?.push(value.progress),
        },
      );
      call.catch(() => {});
      return call;
    });
    // A first progress from each proves both operations run upstream.
    await vi.waitFor(
      () =>
        expect(Object.values(progress).map((values) => values.length > 0)).toEqual([true, true]),
      { timeout: 15_000 },
    );
    const before = cancellationsByUpstream();
    controller.abort();
    for (const call of calls) await expect(call).rejects.toThrow();
    // Each upstream process received a notifications/cancelled for its call.
    await vi.waitFor(
      () => {
        const after = cancellationsByUpstream();
        expect(after.stdio).toBeGreaterThan(before.stdio);
        expect(after.http).toBeGreaterThan(before.http);
      },
      { timeout: 10_000, interval: 50 },
    );
    // server-everything keeps stepping (it ignores the signal); nothing more reaches the client.
    const counts = Object.values(progress).map((values) => values.length);
    await new Promise((resolve) => setTimeout(resolve, 600));
    expect(Object.values(progress).map((values) => values.length)).toEqual(counts);
  });

  it('propagates tools/list_changed when an upstream is added and removed', {
    timeout: 40_000,
  }, async () => {
    let changes = 0;
    await client.watchToolsListChanged(() => {
      changes += 1;
    });
    await leg.addUpstream('extra');
    try {
      await vi.waitFor(() => expect(changes).toBeGreaterThan(0), {
        timeout: 20_000,
        interval: 50,
      });
      await vi.waitFor(async () => expect(await client.listToolNames()).toContain('extra__echo'), {
        timeout: 10_000,
        interval: 200,
      });
      expect((await client.callTool('extra__echo', { message: 'added' })).text).toBe('Echo: added');
    } finally {
      const before = changes;
      await leg.removeUpstream('extra');
      await vi.waitFor(() => expect(changes).toBeGreaterThan(before), {
        timeout: 20_000,
        interval: 50,
      });
    }
    expect(await client.listToolNames()).not.toContain('extra__echo');
  });

  if (leg.era === 'legacy') {
    it('answers ping (2025 era only)', async () => {
      await expect(client.ping()).resolves.toBeUndefined();
    });

    it('completes a task-augmented call (2025 era only)', { timeout: 30_000 }, async () => {
      const task = await client.callToolAsTask('ev__simulate-research-query', {
        topic: `federation via ${slug}`,
      });
      expect(task.taskId.startsWith('ev__')).toBe(true);
      expect(task.statuses.at(-1)).toBe('completed');
      expect(task.text).toContain(`federation via ${slug}`);
    });
  } else {
    it('refuses a task-only tool to a client without the tasks extension (-32021)', async () => {
      // 2026-07-28 has tasks only as the extension io.modelcontextprotocol/tasks: the hub forwards
      // the upstream's task to a client that declares it, and names it to one that does not.
      await expect(
        client.callTool('ev__simulate-research-query', { topic: 'no tasks' }),
      ).rejects.toMatchObject({
        code: -32021,
        data: { requiredCapabilities: { extensions: { 'io.modelcontextprotocol/tasks': {} } } },
      });
    });
  }
});

/** `notifications/cancelled` seen so far by the HTTP upstream and by the stdio upstreams. */
function cancellationsByUpstream(): { http: number; stdio: number } {
  const lines = observedCancellations(observeFile);
  const http = lines.filter((line) => line.startsWith(`${everythingHttp.process.pid} `)).length;
  return { http, stdio: lines.length - http };
}

/** Turns server-everything's simulated resource updates on or off (its tool toggles). */
async function setSubscriberUpdates(client: E2eClient, wanted: 'Started' | 'Stopped') {
  for (let attempt = 0; attempt < 2; attempt += 1) {
    const { text } = await client.callTool('ev__toggle-subscriber-updates', {});
    if (text.startsWith(wanted)) return;
  }
  throw new Error(`could not turn subscriber updates ${wanted === 'Started' ? 'on' : 'off'}`);
}
