import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { captureIo } from '../../test/capture-io.js';
import { authCommand } from './auth.js';

// Deleting the right holder's tokens and the audit record are tested in
// apps/server/src/oauth/upstream-logout.test.ts; a logged-out user asked again, end to end, in
// test/conformance/src/oauth/user-upstream-oauth.test.ts.
describe('fedmcp auth logout', () => {
  it('refuses a missing upstream, forgets nothing it does not hold, and asks for --subject on a per-user upstream', async () => {
    const directory = await mkdtemp(join(tmpdir(), 'fedmcp-auth-logout-'));
    try {
      const config = join(directory, 'fedmcp.config.json');
      await writeFile(
        config,
        JSON.stringify({
          mcpServers: {
            docs: {
              url: 'https://docs.example.com/mcp',
              isolation: 'per-principal',
              oauth: { mode: 'user' },
            },
          },
        }),
      );

      const memory = join(directory, 'memory.json');
      await writeFile(memory, JSON.stringify({ store: 'memory:' }));
      const inMemory = captureIo();
      expect(await authCommand(['logout', 'docs', '--config', memory], inMemory.io)).toBe(1);
      expect(inMemory.out.stderr).toContain(
        'fedmcp auth logout: the config uses the in-memory store',
      );

      const missing = captureIo();
      expect(await authCommand(['logout'], missing.io)).toBe(2);
      expect(missing.out.stderr).toContain('name one upstream');

      const nothing = captureIo();
      expect(
        await authCommand(['logout', 'docs', '--subject', 'alice', '--config', config], nothing.io),
      ).toBe(0);
      expect(nothing.out.stdout).toContain('Nothing to do: "alice" had no token for "docs"');

      await expect(
        authCommand(['logout', 'docs', '--config', config], captureIo().io),
      ).rejects.toThrow('--subject');

      // An OAuth user is named by issuer and subject.
      const ofIssuer = captureIo();
      const args = ['logout', 'docs', '--subject', 'alice', '--issuer', 'https://a.example'];
      expect(await authCommand([...args, '--config', config], ofIssuer.io)).toBe(0);
      expect(ofIssuer.out.stdout).toContain('Nothing to do: "alice" had no token for "docs"');
      const emptyIssuer = captureIo();
      expect(
        await authCommand(['logout', 'docs', '--subject', 'a', '--issuer', ''], emptyIssuer.io),
      ).toBe(2);
      await expect(
        authCommand(
          ['logout', 'docs', '--issuer', 'https://a.example', '--config', config],
          captureIo().io,
        ),
      ).rejects.toThrow('--issuer names the issuer of a --subject');
    } finally {
      await rm(directory, { recursive: true, force: true });
    }
  });
});
