import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FedmcpError } from '@fedmcp/protocol';
import { Client } from '@modelcontextprotocol/client';
import { afterEach, describe, expect, it } from 'vitest';
import {
  descendantsOf,
  processesInGroups,
  tinyServerPath,
  waitUntilEmpty,
} from '../../test/upstream/fixtures/process-tree.js';
import { createRecordingLogger } from '../../test/upstream/fixtures/recording-logger.js';
import { createSupervisedStdioTransport, type StdioExit } from './supervised-stdio-transport.js';

const cleanups: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  await Promise.allSettled(cleanups.splice(0).map((cleanup) => cleanup()));
});

async function connect(
  args: string[] = [],
  extra: Partial<Parameters<typeof createSupervisedStdioTransport>[0]> = {},
) {
  const exits: StdioExit[] = [];
  const logger = createRecordingLogger();
  const transport = createSupervisedStdioTransport({
    command: process.execPath,
    args: [tinyServerPath, ...args],
    logger,
    onExit: (exit) => exits.push(exit),
    ...extra,
  });
  const client = new Client({ name: 'test', version: '1.0.0' });
  await client.connect(transport);
  cleanups.push(() => client.close());
  return { client, transport, exits, logger };
}

// stderr and stdout are separate pipes: wait for the lines rather than assume their order.
function stderrLines(logger: ReturnType<typeof createRecordingLogger>, count: number) {
  return waitUntilEmpty(() =>
    logger.entries.filter((entry) => (entry.object as { stream?: string }).stream === 'stderr')
      .length >= count
      ? []
      : [count],
  );
}

const textOf = (result: unknown) =>
  ((result as { content: Array<{ text: string }> }).content[0] ?? { text: '' }).text;

describe('createSupervisedStdioTransport', () => {
  it('speaks MCP to a child process and reports its pid', async () => {
    const { client, transport } = await connect();
    const result = await client.callTool({ name: 'pid', arguments: {} });
    expect(Number(textOf(result))).toBe(transport.pid);
  });

  it('gives the child only the default environment plus env', async () => {
    process.env.FEDMCP_TEST_SECRET = 'do-not-leak';
    try {
      const { client } = await connect([], { env: { EXTRA_VARIABLE: 'yes' } });
      const keys = textOf(await client.callTool({ name: 'env', arguments: {} })).split(',');
      expect(keys).toContain('EXTRA_VARIABLE');
      expect(keys).toContain('PATH');
      expect(keys).not.toContain('FEDMCP_TEST_SECRET');
      const allowed = new Set([
        'HOME',
        'LOGNAME',
        'PATH',
        'SHELL',
        'TERM',
        'USER',
        'EXTRA_VARIABLE',
      ]);
      expect(keys.filter((key) => !allowed.has(key))).toEqual([]);
    } finally {
      delete process.env.FEDMCP_TEST_SECRET;
    }
  });

  it('logs stderr line by line', async () => {
    const { client, transport, logger } = await connect(['--stderr']);
    await client.ping();
    await stderrLines(logger, 2);
    const lines = logger.entries.filter(
      (entry) => (entry.object as { stream?: string }).stream === 'stderr',
    );
    expect(lines.map((entry) => entry.message)).toEqual(['tiny server starting', 'second line']);
    expect(lines[0]?.object).toMatchObject({ stream: 'stderr', pid: transport.pid });
    expect(lines.every((entry) => entry.level === 'info')).toBe(true);
  });

  it('logs stderr at the level asked for', async () => {
    const { client, logger } = await connect(['--stderr'], { stderrLogLevel: 'debug' });
    await client.ping();
    await stderrLines(logger, 2);
    const levels = logger.entries
      .filter((entry) => (entry.object as { stream?: string }).stream === 'stderr')
      .map((entry) => entry.level);
    expect(levels).toEqual(['debug', 'debug']);
  });

  it('names the command and the PATH when the command does not exist', async () => {
    const transport = createSupervisedStdioTransport({ command: 'fedmcp-no-such-command' });
    const error = await transport.start().then(
      () => undefined,
      (failure: unknown) => failure,
    );
    expect(FedmcpError.isInstance(error)).toBe(true);
    expect(error).toMatchObject({ code: 'UPSTREAM_UNAVAILABLE' });
    expect((error as Error).message).toContain('"fedmcp-no-such-command"');
    expect((error as Error).message).toContain('PATH');
    await transport.close();
  });

  it('kills the whole process tree on close and leaves no zombie', async () => {
    const { client, transport, exits, logger } = await connect(['--grandchild']);
    await client.ping();
    const pid = transport.pid as number;
    // The grandchild announces itself on stderr; wait for it to be in the group.
    await waitUntilEmpty(() => (processesInGroups([pid]).length >= 2 ? [] : [0]));
    expect(processesInGroups([pid]).length).toBe(2);
    await client.close();
    expect(await waitUntilEmpty(() => processesInGroups([pid]))).toEqual([]);
    expect(descendantsOf(process.pid).filter((entry) => entry.pgid === pid)).toEqual([]);
    expect(exits).toEqual([expect.objectContaining({ expected: true, pid })]);
    expect(logger.entries.some((entry) => entry.message?.startsWith('grandchild '))).toBe(true);
  });

  it('sends SIGKILL after the grace period to a child that ignores SIGTERM', async () => {
    const { client, transport, exits } = await connect(['--ignore-sigterm'], { killGraceMs: 200 });
    await client.ping();
    await client.close();
    expect(exits).toEqual([
      expect.objectContaining({ expected: true, signal: 'SIGKILL', pid: transport.pid }),
    ]);
  });

  it('fails in-flight requests when the child dies, instead of hanging', async () => {
    const { client, transport, exits } = await connect(['--grandchild']);
    const pending = client.callTool({ name: 'hang', arguments: {} });
    await client.ping();
    process.kill(transport.pid as number, 'SIGKILL');
    await expect(pending).rejects.toThrow(/closed/i);
    expect(exits).toEqual([expect.objectContaining({ expected: false, signal: 'SIGKILL' })]);
    // The orphaned grandchild is reaped with its group.
    expect(await waitUntilEmpty(() => processesInGroups([transport.pid as number]))).toEqual([]);
  });

  it('reads messages split across chunks or sharing one, skips non-JSON lines, reports non-JSON-RPC', async () => {
    // The child writes crafted stdout and echoes its stdin back.
    const script = [
      'const out = process.stdout;',
      'out.write(\'{"jsonrpc":"2.0","method":"first"\');',
      'setTimeout(() => out.write(\',"params":{"text":"é"}}\\r\\nnot json\\n{"hello":1}\\n{"jsonrpc":"2.0","id":1,"result":{}}\\n\'), 50);',
      "process.stdin.on('data', (data) => out.write(data));",
    ].join('\n');
    const transport = createSupervisedStdioTransport({
      command: process.execPath,
      args: ['-e', script],
    });
    cleanups.push(() => transport.close());
    const messages: unknown[] = [];
    const errors: Error[] = [];
    transport.onmessage = (message) => messages.push(message);
    transport.onerror = (error) => errors.push(error);
    await transport.start();
    await waitUntilEmpty(() => (messages.length >= 2 ? [] : [messages.length]));
    expect(messages).toEqual([
      { jsonrpc: '2.0', method: 'first', params: { text: 'é' } },
      { jsonrpc: '2.0', id: 1, result: {} },
    ]);
    expect(errors.map((error) => error.message)).toEqual([
      'Not a JSON-RPC message on stdout: {"hello":1}',
    ]);
    // Several messages sent in one tick arrive whole and in order.
    await Promise.all(['a', 'b', 'c'].map((method) => transport.send({ jsonrpc: '2.0', method })));
    await waitUntilEmpty(() => (messages.length >= 5 ? [] : [messages.length]));
    expect(messages.slice(2)).toEqual([
      { jsonrpc: '2.0', method: 'a' },
      { jsonrpc: '2.0', method: 'b' },
      { jsonrpc: '2.0', method: 'c' },
    ]);
  });

  it('writes the messages sent in one turn of the event loop to the child in one write, in order', async () => {
    // The child tells, for each chunk it reads, the lines in it.
    const script = [
      "process.stdin.on('data', (data) => {",
      "  const lines = data.toString('utf8').split('\\n').filter(Boolean).map((line) => JSON.parse(line).method);",
      "  process.stdout.write(JSON.stringify({ jsonrpc: '2.0', method: 'chunk', params: { lines } }) + '\\n');",
      '});',
    ].join('\n');
    const transport = createSupervisedStdioTransport({
      command: process.execPath,
      args: ['-e', script],
    });
    cleanups.push(() => transport.close());
    const chunks: unknown[] = [];
    transport.onmessage = (message) => chunks.push((message as { params?: unknown }).params);
    await transport.start();
    // Sent from the turn's code, a microtask and a nextTick (as requests arriving on several
    // sockets in one poll phase send theirs): one write, so the child reads them as one chunk. The
    // nextTick keeps the CPU busy a while first: time for the child to read anything written
    // before it (a flush per tick wrote 'a' and 'b' there, and the child read two chunks).
    const sent = [transport.send({ jsonrpc: '2.0', method: 'a' })];
    queueMicrotask(() => sent.push(transport.send({ jsonrpc: '2.0', method: 'b' })));
    process.nextTick(() => {
      const until = performance.now() + 150;
      while (performance.now() < until) {
        // busy: the turn is not over
      }
      sent.push(transport.send({ jsonrpc: '2.0', method: 'c' }));
    });
    await new Promise((resolve) => setImmediate(resolve));
    await Promise.all(sent);
    await waitUntilEmpty(() => (chunks.length >= 1 ? [] : [chunks.length]));
    await new Promise((resolve) => setTimeout(resolve, 100)); // a second chunk would show here
    expect(chunks).toEqual([{ lines: ['a', 'b', 'c'] }]); // the order they were sent in
  });

  it('writes a request to an idle child at once; requests sent while it works share the next write', async () => {
    // The child notes each chunk it reads in a file (read synchronously below, while a turn is
    // still running), tells us the ids in it, and answers the requests in it.
    const marks = join(mkdtempSync(join(tmpdir(), 'fedmcp-stdio-')), 'chunks');
    writeFileSync(marks, '');
    const script = [
      "const { appendFileSync } = require('node:fs');",
      "process.stdin.on('data', (data) => {",
      "  const messages = data.toString('utf8').split('\\n').filter(Boolean).map((line) => JSON.parse(line));",
      "  appendFileSync(process.env.MARKS, 'chunk\\n');",
      "  process.stdout.write(JSON.stringify({ jsonrpc: '2.0', method: 'chunk', params: { ids: messages.map((m) => m.id ?? m.method) } }) + '\\n');",
      "  for (const m of messages) if (m.id !== undefined) process.stdout.write(JSON.stringify({ jsonrpc: '2.0', id: m.id, result: {} }) + '\\n');",
      '});',
    ].join('\n');
    const transport = createSupervisedStdioTransport({
      command: process.execPath,
      args: ['-e', script],
      env: { MARKS: marks },
    });
    cleanups.push(() => transport.close());
    const chunks: unknown[] = [];
    const answered: unknown[] = [];
    transport.onmessage = (message) => {
      const { method, id, params } = message as { method?: string; id?: unknown; params?: unknown };
      if (method === 'chunk') chunks.push(params);
      else answered.push(id);
    };
    await transport.start();
    // Holds the turn until the child has read `count` chunks (a write made in this turn), or 10 s
    // (a write left for after the turn: never read while it runs).
    const holdTurnUntilRead = (count: number) => {
      const until = performance.now() + 10_000;
      while (performance.now() < until) {
        if (readFileSync(marks, 'utf8').split('\n').length > count) return;
      }
    };
    // 1 goes out in the turn that sent it (the child idle); 2 and the notification, sent after it
    // in the same turn, wait for the turn's one write.
    const sent = [transport.send({ jsonrpc: '2.0', id: 1, method: 'r' })];
    holdTurnUntilRead(1);
    sent.push(transport.send({ jsonrpc: '2.0', id: 2, method: 'r' }));
    sent.push(transport.send({ jsonrpc: '2.0', method: 'n' }));
    await Promise.all(sent);
    await waitUntilEmpty(() => (answered.length >= 2 ? [] : [answered.length]));
    // Both answered: the child is idle again, and 3 goes out alone at once.
    const third = transport.send({ jsonrpc: '2.0', id: 3, method: 'r' });
    holdTurnUntilRead(3);
    const fourth = transport.send({ jsonrpc: '2.0', id: 4, method: 'r' });
    await Promise.all([third, fourth]);
    await waitUntilEmpty(() => (answered.length >= 4 ? [] : [answered.length]));
    expect(chunks).toEqual([{ ids: [1] }, { ids: [2, 'n'] }, { ids: [3] }, { ids: [4] }]);
    expect(answered).toEqual([1, 2, 3, 4]);
  });

  it('reports and closes on a stdout message over maxMessageBytes', async () => {
    const script = "process.stdout.write('x'.repeat(300)); setInterval(() => {}, 1000);";
    const transport = createSupervisedStdioTransport({
      command: process.execPath,
      args: ['-e', script],
      maxMessageBytes: 100,
    });
    const errors: Error[] = [];
    let closed = false;
    transport.onerror = (error) => errors.push(error);
    transport.onclose = () => {
      closed = true;
    };
    await transport.start();
    await waitUntilEmpty(() => (closed ? [] : [1]));
    expect(errors[0]?.message).toBe('A message on stdout exceeds the limit of 100 bytes');
  });
});
