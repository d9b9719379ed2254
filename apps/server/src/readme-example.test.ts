import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import * as server from './index.js';

const readme = readFileSync(fileURLToPath(new URL('../README.md', import.meta.url)), 'utf8');
const example = readme.match(/```ts\n([\s\S]*?)```/)?.[1] ?? '';
const everything = fileURLToPath(
  new URL(
    '../../../node_modules/@modelcontextprotocol/server-everything/dist/index.js',
    import.meta.url,
  ),
);

describe('the README example', () => {
  it('is at most 15 lines and serves server-everything', async () => {
    expect(example.trim().split('\n').length).toBeLessThanOrEqual(15);
    // Run it as written, with the local server-everything instead of a download through npx.
    const body = example
      .replace(/^import .*$/m, '')
      .replace(
        "command: 'npx', args: ['-y', '@modelcontextprotocol/server-everything']",
        `command: ${JSON.stringify(process.execPath)}, args: [${JSON.stringify(everything)}, 'stdio']`,
      )
      .replace('console.log(', 'report(');
    expect(body).toContain('stdio');
    const lines: unknown[][] = [];
    const AsyncFunction = Object.getPrototypeOf(async () => {}).constructor;
    await new AsyncFunction('createFedmcpServer', 'parseConfig', 'report', body)(
      server.createFedmcpServer,
      server.parseConfig,
      (...args: unknown[]) => lines.push(args),
    );
    expect(lines[0]?.[0]).toMatch(/^MCP at http:\/\/127\.0\.0\.1:\d+\/mcp$/);
    expect(lines[0]?.[1]).toEqual(['everything: ready']);
  }, 30_000);
});
