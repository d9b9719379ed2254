/**
 * Runs the host example of the README: the code block there must be host-example.ts verbatim,
 * and that file, run as a process, must serve all transports to real clients.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { Client as V1Client } from '@modelcontextprotocol/sdk/client/index.js';
import { SSEClientTransport } from '@modelcontextprotocol/sdk/client/sse.js';
import { WebSocketClientTransport } from '@modelcontextprotocol/sdk/client/websocket.js';
import { afterAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';

const packageDirectory = fileURLToPath(new URL('../../', import.meta.url));
const examplePath = fileURLToPath(new URL('./host-example.ts', import.meta.url));

let child: ChildProcess | undefined;
afterAll(() => {
  child?.kill('SIGKILL');
});

function firstText(content: unknown): string | undefined {
  return (content as { text?: string }[])[0]?.text;
}

describe('README host example', () => {
  it('is the README code block verbatim', () => {
    const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
    const example = readFileSync(examplePath, 'utf8');
    expect(example.trim().split('\n').length).toBeLessThanOrEqual(15);
    expect(readme).toContain(`\`\`\`ts\n${example.trim()}\n\`\`\``);
  });

  it('serves a tool over /mcp (both eras), /sse and /ws', { timeout: 30_000 }, async () => {
    child = spawn(
      process.execPath,
      ['--conditions=@fedmcp/source', '--import', 'tsx', examplePath],
      {
        cwd: packageDirectory,
        stdio: ['ignore', 'pipe', 'inherit'],
      },
    );
    const line = await new Promise<string>((resolve, reject) => {
      let output = '';
      child?.stdout?.on('data', (chunk: Buffer) => {
        output += chunk.toString('utf8');
        if (output.includes('\n')) resolve(output);
      });
      child?.once('exit', (code) => reject(new Error(`the example exited with ${code}`)));
    });
    const url = /MCP on (http:\/\/[^/]+)\/mcp/.exec(line)?.[1] as string;
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);

    const modern = new Client(
      { name: 'readme', version: '1' },
      { versionNegotiation: { mode: { pin: '2026-07-28' } } },
    );
    await modern.connect(new StreamableHTTPClientTransport(new URL(`${url}/mcp`)));
    expect(firstText((await modern.callTool({ name: 'hello' })).content)).toBe(
      'hello over streamable-http, modern era',
    );
    await modern.close();

    globalThis.WebSocket ??= WebSocket as unknown as typeof globalThis.WebSocket;
    for (const [transport, expected] of [
      [new SSEClientTransport(new URL(`${url}/sse`)), 'hello over sse, legacy era'],
      [
        new WebSocketClientTransport(new URL(`ws${url.slice(4)}/ws`)),
        'hello over websocket, legacy era',
      ],
    ] as const) {
      const legacy = new V1Client({ name: 'readme', version: '1' });
      await legacy.connect(transport);
      expect(firstText((await legacy.callTool({ name: 'hello' })).content)).toBe(expected);
      await legacy.close();
    }
  });
});
