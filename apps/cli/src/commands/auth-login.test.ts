import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { captureIo } from '../../test/capture-io.js';
import { authCommand } from './auth.js';

// The whole login (authorization server, browser, stored tokens) is tested with a real
// authorization server in test/conformance/src/oauth/upstream-login.test.ts.
describe('fedmcp auth login', () => {
  it('refuses a missing upstream, a bad port, the memory store and an upstream without oauth', async () => {
    const directory = await mkdtemp(join(tmpdir(), 'fedmcp-auth-login-'));
    try {
      const memory = join(directory, 'memory.json');
      await writeFile(memory, JSON.stringify({ store: 'memory:' }));
      const plain = join(directory, 'plain.json');
      await writeFile(
        plain,
        JSON.stringify({ mcpServers: { docs: { url: 'https://docs.example.com/mcp' } } }),
      );

      const missing = captureIo();
      expect(await authCommand(['login'], missing.io)).toBe(2);
      expect(missing.out.stderr).toContain('name one upstream');

      const badPort = captureIo();
      expect(await authCommand(['login', 'docs', '--port', 'x'], badPort.io)).toBe(2);
      expect(badPort.out.stderr).toContain('--port must be a port number');

      const inMemory = captureIo();
      expect(await authCommand(['login', 'docs', '--config', memory], inMemory.io)).toBe(1);
      expect(inMemory.out.stderr).toContain('in-memory store');

      await expect(
        authCommand(['login', 'docs', '--config', plain], captureIo().io),
      ).rejects.toThrow('mcpServers.docs has no "oauth" block with the "authorization_code" grant');
    } finally {
      await rm(directory, { recursive: true, force: true });
    }
  });
});
