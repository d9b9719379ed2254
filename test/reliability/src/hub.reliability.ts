/**
 * The reliability suite (issue 20): one real `fedmcp serve` with a stdio upstream
 * (server-everything), driven by phases that each print their figures — sessions held and calls
 * answered, a per-principal quota holding while another user works, upstream kills with no hung
 * call, ≥ 20,000 fuzzed frames all refused cleanly, slowloris and descriptor exhaustion while
 * legitimate requests are served, Host-rebinding requests refused on every route, and kill -9 of
 * the hub during audited calls with every answered call's audit row kept. Loops are bounded in
 * count and time; every process started here is stopped here, on failure too.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateApiKey, hashApiKey } from '@fedmcp/proxy-auth';
import {
  Client,
  SSEClientTransport,
  StreamableHTTPClientTransport,
} from '@modelcontextprotocol/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { createRandom, fuzzFrame } from './fuzz-frames.js';
import {
  commandOf,
  descendantsOf,
  everythingServer,
  killTree,
  type RunningCli,
  startCli,
  startHub,
  until,
} from './run-hub.js';

const figures: Array<[string, string]> = [];
const report = (name: string, value: string) => {
  figures.push([name, value]);
  process.stdout.write(`[reliability] ${name}: ${value}\n`);
};

const keys = { load: generateApiKey(), alice: generateApiKey(), bob: generateApiKey() };
const bearer = (key: string) => ({ authorization: `Bearer ${key}` });
const QUOTA = 150;

let directory: string;
let configFile: string;
let hub: { cli: RunningCli; url: string } | undefined;
const running: RunningCli[] = [];
const openClients: Client[] = [];
const openSockets: Array<Socket | WebSocket> = [];

async function writeConfig(): Promise<void> {
  await writeFile(
    configFile,
    JSON.stringify({
      hub: {
        port: 0,
        limits: {
          maxSessionsPerPrincipal: QUOTA,
          maxConnections: 1_500,
          maxConnectionsPerAddress: 1_200,
          headersTimeoutMs: 3_000,
          bodyIdleTimeoutMs: 3_000,
        },
      },
      auth: {
        apiKeys: await Promise.all(
          Object.entries(keys).map(async ([subject, key]) => ({
            hash: await hashApiKey(key),
            subject,
          })),
        ),
      },
      audit: { recordArguments: true },
      mcpServers: {
        everything: { command: process.execPath, args: [everythingServer, 'stdio'] },
      },
    }),
  );
}

async function connectClient(key: string, kind: 'http' | 'sse' = 'http'): Promise<Client> {
  const url = (hub as { url: string }).url;
  const client = new Client({ name: 'reliability', version: '1.0.0' });
  const transport =
    kind === 'http'
      ? new StreamableHTTPClientTransport(new URL(`${url}/mcp`), {
          requestInit: { headers: bearer(key) },
        })
      : new SSEClientTransport(new URL(`${url}/sse`), { requestInit: { headers: bearer(key) } });
  await client.connect(transport);
  openClients.push(client);
  return client;
}

async function echo(client: Client, message: string, timeoutMs = 30_000): Promise<string> {
  const result = await client.callTool(
    { name: 'everything__echo', arguments: { message } },
    { timeout: timeoutMs },
  );
  return (result.content as Array<{ text?: string }>)[0]?.text ?? '';
}

/** Runs `task` over `count` items with `concurrency` workers. */
async function pool<T>(
  count: number,
  concurrency: number,
  task: (index: number) => Promise<T>,
): Promise<T[]> {
  const results: T[] = new Array(count);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(concurrency, count) }, async () => {
      while (next < count) {
        const index = next++;
        results[index] = await task(index);
      }
    }),
  );
  return results;
}

async function closeClients(): Promise<void> {
  await Promise.allSettled(openClients.splice(0).map((client) => client.close()));
}

function rawSocket(port: number, data: string): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => {
      socket.write(data);
      resolve(socket);
    });
    openSockets.push(socket);
    socket.on('error', () => {});
    socket.once('error', reject);
  });
}

/** One raw HTTP/1.1 exchange: the status line's code (0 when the connection closed without one). */
function rawExchange(port: number, request: string, timeoutMs = 10_000): Promise<number> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1', () => socket.write(request));
    let text = '';
    const done = () => {
      clearTimeout(timer);
      socket.destroy();
      resolve(Number(/^HTTP\/1\.1 (\d{3})/.exec(text)?.[1] ?? 0));
    };
    const timer = setTimeout(done, timeoutMs);
    socket.on('data', (chunk: Buffer) => {
      text += chunk.toString('latin1');
      if (/\r\n\r\n/.test(text)) done();
    });
    socket.on('error', done);
    socket.on('close', done);
  });
}

const portOf = () => Number(new URL((hub as { url: string }).url).port);

beforeAll(async () => {
  directory = await mkdtemp(join(tmpdir(), 'fedmcp-reliability-'));
  configFile = join(directory, 'fedmcp.config.json');
  await writeConfig();
  hub = await startHub(configFile, directory);
  running.push(hub.cli);
});

afterAll(async () => {
  for (const socket of openSockets.splice(0)) {
    if (socket instanceof WebSocket) socket.terminate();
    else socket.destroy();
  }
  await closeClients();
  await Promise.allSettled(running.splice(0).map((cli) => killTree(cli)));
  if (directory) await rm(directory, { recursive: true, force: true });
  process.stdout.write(
    `\nfedmcp reliability figures\n${figures.map(([name, value]) => `  ${name.padEnd(34)} ${value}`).join('\n')}\n`,
  );
});

describe('fedmcp serve under attack', () => {
  it('holds sessions on Streamable HTTP and SSE and answers their calls; a per-principal quota holds while another user works', async () => {
    const perTransport = QUOTA / 2;
    const sessions = [
      ...(await pool(perTransport, 16, () => connectClient(keys.load, 'http'))),
      ...(await pool(perTransport, 16, () => connectClient(keys.load, 'sse'))),
    ];
    const answers = await pool(sessions.length, 16, (index) =>
      echo(sessions[index] as Client, `s${index}`),
    );
    const answered = answers.filter((text, index) => text === `Echo: s${index}`).length;
    // The same principal, over its quota, on every transport: 429 with Retry-After.
    const url = (hub as { url: string }).url;
    const overHttp = await fetch(`${url}/mcp`, {
      method: 'POST',
      headers: {
        ...bearer(keys.load),
        'content-type': 'application/json',
        accept: 'application/json, text/event-stream',
      },
      body: JSON.stringify({
        jsonrpc: '2.0',
        id: 1,
        method: 'initialize',
        params: {
          protocolVersion: '2025-06-18',
          capabilities: {},
          clientInfo: { name: 'x', version: '1' },
        },
      }),
    });
    const overSse = await fetch(`${url}/sse`, { headers: bearer(keys.load) });
    await overSse.body?.cancel();
    const overWebSocket = await new Promise<number>((resolve) => {
      const socket = new WebSocket(`${url.replace('http', 'ws')}/ws`, 'mcp', {
        headers: bearer(keys.load),
      });
      openSockets.push(socket);
      socket.once('unexpected-response', (_request, response) => resolve(response.statusCode ?? 0));
      socket.once('open', () => resolve(101));
      socket.on('error', () => {});
    });
    // Meanwhile another user opens sessions and works.
    const bob = await connectClient(keys.bob);
    const bobAnswers = await pool(50, 8, (index) => echo(bob, `bob${index}`));
    const bobAnswered = bobAnswers.filter((text, index) => text === `Echo: bob${index}`).length;
    report(
      'sessions held (one principal)',
      `${sessions.length} (${perTransport} Streamable HTTP + ${perTransport} SSE)`,
    );
    report('calls answered on them', `${answered}/${sessions.length}`);
    report(
      'quota (maxSessionsPerPrincipal)',
      `${QUOTA}: over it HTTP ${overHttp.status} (Retry-After ${overHttp.headers.get('retry-after')}), SSE ${overSse.status}, WS ${overWebSocket}; other user ${bobAnswered}/50 calls`,
    );
    expect(answered).toBe(sessions.length);
    expect([overHttp.status, overSse.status, overWebSocket]).toEqual([429, 429, 429]);
    expect(overHttp.headers.get('retry-after')).not.toBeNull();
    expect(bobAnswered).toBe(50);
    await closeClients();
  });

  it('survives kill -9 of its stdio upstream under load with no hung call', async () => {
    const client = await connectClient(keys.alice);
    const kills = 8;
    const outcomes = { ok: 0, error: 0, hung: 0 };
    const recoveries: number[] = [];
    let stop = false;
    const callLoop = async (worker: number) => {
      for (let index = 0; !stop && index < 10_000; index += 1) {
        const call = echo(client, `k${worker}-${index}`, 60_000).then(
          () => 'ok' as const,
          () => 'error' as const,
        );
        // A call that neither answers nor fails in 20 s is hung.
        const outcome = await Promise.race([
          call,
          new Promise<'hung'>((resolve) => setTimeout(() => resolve('hung'), 20_000).unref()),
        ]);
        outcomes[outcome] += 1;
      }
    };
    const loops = Array.from({ length: 4 }, (_, worker) => callLoop(worker));
    try {
      for (let kill = 0; kill < kills; kill += 1) {
        const upstream = await until(async () => {
          for (const pid of await descendantsOf((hub as { cli: RunningCli }).cli.pid)) {
            if ((await commandOf(pid)).includes('server-everything')) return pid;
          }
          return undefined;
        }, 'the upstream process');
        const killedAt = Date.now();
        process.kill(upstream, 'SIGKILL');
        // Recovered when a new call is answered again.
        await until(
          () =>
            echo(client, 'probe', 5_000).then(
              () => true,
              () => undefined,
            ),
          'the upstream to come back',
          60_000,
        );
        recoveries.push(Date.now() - killedAt);
      }
    } finally {
      stop = true;
      await Promise.all(loops);
    }
    recoveries.sort((a, b) => a - b);
    report(
      'upstream kill -9 under load',
      `${kills} kills survived; calls ${outcomes.ok} answered, ${outcomes.error} clean errors, ${outcomes.hung} hung; recovery p50 ${recoveries[Math.floor(kills / 2)]} ms`,
    );
    expect(outcomes.hung).toBe(0);
    expect(outcomes.ok).toBeGreaterThan(0);
    await closeClients();
  });

  it('answers ≥ 20,000 fuzzed frames over /mcp, /messages and /ws with a 4xx or a JSON-RPC error, never a 5xx, and works afterwards', {
    timeout: 240_000,
  }, async () => {
    const url = (hub as { url: string }).url;
    const random = createRandom(20_20);
    const fuzzStarted = Date.now();
    const tally = { http4xx: 0, jsonRpcError: 0, http5xx: 0, other: 0 };
    const others: string[] = [];
    const classify = (status: number, body: string, frame: string) => {
      if (status >= 500) tally.http5xx += 1;
      else if (status >= 400) tally.http4xx += 1;
      else if (/"error"\s*:\s*\{/.test(body)) tally.jsonRpcError += 1;
      else {
        tally.other += 1;
        if (others.length < 5)
          others.push(`${status} ${frame.slice(0, 80)} → ${body.slice(0, 120)}`);
      }
    };

    // /mcp on an initialized 2025 session (and frames without one).
    const session = await fetch(`${url}/mcp`, {
      method: 'POST',
      headers: {
        ...bearer(keys.alice),
        'content-type': 'application/json',
        accept: 'application/json, text/event-stream',
      },
      body: JSON.stringify({
        jsonrpc: '2.0',
        id: 0,
        method: 'initialize',
        params: {
          protocolVersion: '2025-06-18',
          capabilities: {},
          clientInfo: { name: 'fuzz', version: '1' },
        },
      }),
    });
    await session.text();
    const sessionId = session.headers.get('mcp-session-id') as string;
    const httpFrames = 11_000;
    await pool(httpFrames, 24, async (index) => {
      const frame = fuzzFrame(random, index);
      const response = await fetch(`${url}/mcp`, {
        method: 'POST',
        headers: {
          ...bearer(keys.alice),
          'content-type': 'application/json',
          accept: 'application/json, text/event-stream',
          ...(index % 10 === 0
            ? {}
            : { 'mcp-session-id': sessionId, 'mcp-protocol-version': '2025-06-18' }),
        },
        body: frame,
      });
      classify(response.status, await response.text(), frame);
    });

    // /messages of a legacy SSE session: 4xx at once, or 202 and the error on the stream.
    const sse = await fetch(`${url}/sse`, { headers: bearer(keys.alice) });
    const reader = (sse.body as ReadableStream<Uint8Array>).getReader();
    const decoder = new TextDecoder();
    let streamText = '';
    let streamErrors = 0;
    let endpoint: string | undefined;
    const pump = (async () => {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) return;
        streamText += decoder.decode(value, { stream: true });
        let boundary = streamText.indexOf('\n\n');
        while (boundary >= 0) {
          const event = streamText.slice(0, boundary);
          streamText = streamText.slice(boundary + 2);
          if (/"error"\s*:\s*\{/.test(event)) streamErrors += 1;
          endpoint ??= /data: (\/messages\?sessionId=[\w-]+)/.exec(event)?.[1];
          boundary = streamText.indexOf('\n\n');
        }
      }
    })().catch(() => {});
    const messages = await until(() => endpoint, 'the SSE endpoint');
    const sseFrames = 4_000;
    let accepted = 0;
    await pool(sseFrames, 16, async (index) => {
      const frame = fuzzFrame(random, index);
      const response = await fetch(`${url}${messages}`, {
        method: 'POST',
        headers: { ...bearer(keys.alice), 'content-type': 'application/json' },
        body: frame,
      });
      const body = await response.text();
      if (response.status === 202) accepted += 1;
      else classify(response.status, body, frame);
    });
    // Each accepted frame is answered on the stream (a JSON-RPC error); a batch may get several.
    await until(
      () => (streamErrors >= accepted ? true : undefined),
      'the SSE stream answers',
      60_000,
    ).catch(() => {});
    tally.jsonRpcError += Math.min(accepted, streamErrors);
    tally.other += Math.max(0, accepted - streamErrors);
    await reader.cancel();
    await pump;

    // /ws: one frame at a time per connection, each answered by one error message.
    const wsFrames = 6_000;
    let wsAnswered = 0;
    const perConnection = 1_000;
    await Promise.all(
      Array.from({ length: wsFrames / perConnection }, async (_, connection) => {
        const socket = new WebSocket(`${url.replace('http', 'ws')}/ws`, 'mcp', {
          headers: bearer(keys.alice),
        });
        openSockets.push(socket);
        await new Promise((resolve, reject) => {
          socket.once('open', resolve);
          socket.once('error', reject);
        });
        for (let index = 0; index < perConnection; index += 1) {
          let frame = fuzzFrame(random, connection * perConnection + index);
          // One frame, one answer: batches (several answers) are fuzzed over HTTP above.
          if (frame.trimStart().startsWith('['))
            frame = `{"jsonrpc":"2.0","id":${index},"method":"no/such"}`;
          const reply = await new Promise<string>((resolve) => {
            const timer = setTimeout(() => resolve(''), 10_000);
            socket.once('message', (data) => {
              clearTimeout(timer);
              resolve(String(data));
            });
            socket.send(frame);
          });
          if (/"error"\s*:\s*\{/.test(reply)) {
            tally.jsonRpcError += 1;
            wsAnswered += 1;
          } else {
            tally.other += 1;
            if (others.length < 5) others.push(`ws ${frame.slice(0, 80)} → ${reply.slice(0, 120)}`);
          }
        }
        socket.close();
      }),
    );

    const total = httpFrames + sseFrames + wsFrames;
    const seconds = ((Date.now() - fuzzStarted) / 1000).toFixed(1);
    const client = await connectClient(keys.alice);
    const after = await echo(client, 'after the fuzz');
    report(
      'fuzzed frames',
      `${total} in ${seconds} s (/mcp ${httpFrames}, /messages ${sseFrames}, /ws ${wsFrames}): ${tally.http4xx} 4xx, ${tally.jsonRpcError} JSON-RPC errors, ${tally.http5xx} 5xx, ${tally.other} other; client afterwards: ${after === 'Echo: after the fuzz' ? 'works' : 'BROKEN'}`,
    );
    expect(others).toEqual([]);
    expect(tally.http5xx).toBe(0);
    expect(tally.http4xx + tally.jsonRpcError).toBe(total);
    expect(wsAnswered).toBe(wsFrames);
    expect(after).toBe('Echo: after the fuzz');
    await closeClients();
  });

  it('serves legitimate requests through slowloris, stalled bodies and descriptor exhaustion', async () => {
    const port = portOf();
    const client = await connectClient(keys.bob);
    const attackers: Socket[] = [];
    const closedByHub = { count: 0 };
    const attack = async (count: number, request: string) => {
      for (let index = 0; index < count; index += 1) {
        const socket = await rawSocket(port, request).catch(() => undefined);
        if (!socket) continue;
        attackers.push(socket);
        socket.resume(); // read, so the hub's 408 and close are seen
        socket.once('close', () => {
          closedByHub.count += 1;
        });
      }
    };
    const slowloris = 3_000;
    const stalled = 300;
    const attacking = Promise.all([
      attack(slowloris, 'GET /mcp HTTP/1.1\r\nHost: 127.0.0.1\r\n'),
      attack(
        stalled,
        `POST /mcp HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n${'Authorization: Bearer '}${keys.bob}\r\n\r\n{"jsonrpc":`,
      ),
    ]);
    // Legitimate traffic while the attack runs and after it has filled every budget.
    let served = 0;
    let failed = 0;
    const legit = async (rounds: number) => {
      for (let index = 0; index < rounds; index += 1) {
        try {
          if ((await echo(client, `legit${index}`, 15_000)) === `Echo: legit${index}`) served += 1;
          else failed += 1;
        } catch {
          failed += 1;
        }
      }
    };
    await Promise.all([attacking, legit(20)]);
    const fresh = await connectClient(keys.bob).then(
      () => true,
      () => false,
    );
    await legit(20);
    // The hub closes what it cannot keep: evicted to make room, or timed out (408).
    await until(
      () => (closedByHub.count >= attackers.length - 50 ? true : undefined),
      'the hub to close the attacking sockets',
      30_000,
    ).catch(() => {});
    report(
      'slowloris + stalled bodies',
      `${slowloris} header-less + ${stalled} stalled-body sockets (caps 1500 total, 1200 per address); ${closedByHub.count} closed by the hub (evicted or 408); legitimate calls ${served}/${served + failed}, new session ${fresh ? 'opened' : 'REFUSED'}`,
    );
    for (const socket of attackers) socket.destroy();
    expect(failed).toBe(0);
    expect(fresh).toBe(true);
    expect(closedByHub.count).toBeGreaterThan(attackers.length - 100);
    await closeClients();
  });

  it('refuses Host-rebinding requests on every route (raw sockets)', async () => {
    const port = portOf();
    const evil = 'Host: evil.example\r\n';
    const auth = `Authorization: Bearer ${keys.alice}\r\n`;
    const json =
      'Content-Type: application/json\r\nAccept: application/json, text/event-stream\r\n';
    const body = '{"jsonrpc":"2.0","id":1,"method":"ping"}';
    const post = (path: string) =>
      `POST ${path} HTTP/1.1\r\n${evil}${auth}${json}Content-Length: ${body.length}\r\n\r\n${body}`;
    const get = (path: string, extra = '') => `GET ${path} HTTP/1.1\r\n${evil}${auth}${extra}\r\n`;
    const routes: Array<[string, string]> = [
      ['POST /mcp', post('/mcp')],
      ['GET /mcp', get('/mcp', 'Accept: text/event-stream\r\n')],
      ['DELETE /mcp', `DELETE /mcp HTTP/1.1\r\n${evil}${auth}Mcp-Session-Id: x\r\n\r\n`],
      ['GET /sse', get('/sse')],
      ['POST /messages', post('/messages?sessionId=x')],
      [
        'GET /ws (upgrade)',
        get(
          '/ws',
          'Connection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Protocol: mcp\r\n',
        ),
      ],
      ['GET /healthz', get('/healthz')],
      ['GET /readyz', get('/readyz')],
      ['GET /status', get('/status')],
      ['GET /.well-known/mcp-federation', get('/.well-known/mcp-federation')],
      ['GET /.well-known/jwks.json', get('/.well-known/jwks.json')],
      [
        'GET /.well-known/oauth-protected-resource',
        get('/.well-known/oauth-protected-resource/mcp'),
      ],
      ['GET /', get('/')],
    ];
    const answers = await Promise.all(
      routes.map(async ([name, request]) => [name, await rawExchange(port, request)] as const),
    );
    const refused = answers.filter(([, status]) => status === 403).length;
    report(
      'Host rebinding (Host: evil.example)',
      `${refused}/${routes.length} routes refused with 403`,
    );
    expect(Object.fromEntries(answers)).toEqual(
      Object.fromEntries(routes.map(([name]) => [name, 403])),
    );
    // The same requests with the right Host are not refused for their Host.
    expect(await rawExchange(port, get('/healthz').replace(evil, 'Host: 127.0.0.1\r\n'))).toBe(200);
  });

  it('keeps the audit row of every answered call through a kill -9 of the hub', async () => {
    const current = hub as { cli: RunningCli; url: string };
    const client = await connectClient(keys.alice);
    const answered: string[] = [];
    let stop = false;
    const workers = Array.from({ length: 8 }, async (_, worker) => {
      for (let index = 0; !stop && index < 100_000; index += 1) {
        const token = `audit-${worker}-${index}-${Math.random().toString(36).slice(2, 8)}`;
        try {
          if ((await echo(client, token, 10_000)) === `Echo: ${token}`) answered.push(token);
        } catch {
          return; // the hub is gone
        }
      }
    });
    // Kill at a random moment once calls flow.
    await until(() => (answered.length >= 50 ? true : undefined), 'calls to flow');
    await new Promise((resolve) => setTimeout(resolve, 300 + Math.random() * 1_200));
    const upstreams = await descendantsOf(current.cli.pid);
    current.cli.child.kill('SIGKILL');
    await current.cli.exited;
    stop = true;
    await Promise.all(workers);
    for (const pid of upstreams) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // gone with the hub
      }
    }
    openClients.splice(0);
    // Read the audit stream back with the CLI, as an operator would.
    const tail = startCli(
      ['audit', 'tail', '--lines', '1000000', '--json', '--config', configFile],
      directory,
    );
    running.push(tail);
    expect(await tail.exited).toBe(0);
    const rows = tail.stdout();
    const missing = answered.filter((token) => !rows.includes(token));
    report(
      'kill -9 during audited calls',
      `${answered.length} calls answered before the kill; audit rows present ${answered.length - missing.length}, missing ${missing.length} (replayed from the hub's journal: ${tail.stderr().match(/replayed (\d+) audit/)?.[1] ?? 0})`,
    );
    expect(missing).toEqual([]);
  });
});
