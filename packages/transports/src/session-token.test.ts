import { FedmcpError } from '@fedmcp/protocol';
import { describe, expect, it } from 'vitest';
import { createSessionTokens } from './session-token.js';

const secret = 'a-cluster-secret-of-at-least-32-characters';
const initialize = {
  protocolVersion: '2025-11-25',
  capabilities: { sampling: {} },
  clientInfo: { name: 'client', version: '1.0.0', icons: [{ src: 'x' }] },
};

/** The id with the byte at `index` changed to another visible ASCII character. */
function alter(sessionId: string, index: number): string {
  const code = sessionId.charCodeAt(index);
  const replacement = code === 65 ? 'B' : 'A';
  return `${sessionId.slice(0, index)}${replacement}${sessionId.slice(index + 1)}`;
}

describe('createSessionTokens', () => {
  it('seals the session state into a visible-ASCII id that another instance with the secret opens', async () => {
    const { sessionId, state } = await createSessionTokens({ secret }).seal({
      owner: 'jwt:alice',
      view: 'readonly',
      initialize,
    });
    expect(sessionId).toMatch(/^[\x21-\x7e]+$/);
    expect(sessionId).not.toContain('alice');
    const opened = await createSessionTokens({ secret }).open(sessionId);
    expect(opened).toEqual(state);
    expect(opened?.owner).toBe('jwt:alice');
    expect(opened?.view).toBe('readonly');
    // Client info is cut to its identity: icons and the like do not ride in a header.
    expect(opened?.initialize.clientInfo).toEqual({ name: 'client', version: '1.0.0' });
    expect(opened?.expiresAt).toBe((opened?.issuedAt ?? 0) + 86_400_000);
  });

  it('refuses an id altered by one byte, wherever the byte is', async () => {
    const tokens = createSessionTokens({ secret });
    const { sessionId } = await tokens.seal({ initialize });
    // The last character of base64url may carry padding bits: try ids of every length mod 3.
    for (let index = 0; index < sessionId.length; index += 1) {
      if (sessionId[index] === '.') continue;
      expect(await tokens.open(alter(sessionId, index)), `byte ${index}`).toBeUndefined();
    }
    for (const name of ['a', 'ab', 'abc']) {
      const { sessionId: other } = await tokens.seal({
        initialize: { ...initialize, clientInfo: { name, version: '1' } },
      });
      expect(await tokens.open(other)).toBeDefined();
      expect(
        await tokens.open(alter(other, other.length - 1)),
        `length ${other.length}`,
      ).toBeUndefined();
    }
    expect(await tokens.open(`${sessionId}A`)).toBeUndefined();
    expect(await tokens.open(sessionId.slice(0, -1))).toBeUndefined();
    expect(await tokens.open('not-a-token')).toBeUndefined();
    expect(await tokens.open(crypto.randomUUID())).toBeUndefined();
  });

  it('refuses an id of another cluster and an expired id', async () => {
    const { sessionId } = await createSessionTokens({ secret, ttlMs: 60_000 }).seal({ initialize });
    const other = createSessionTokens({ secret: `${secret}-other-cluster` });
    expect(await other.open(sessionId)).toBeUndefined();
    const tokens = createSessionTokens({ secret });
    expect(await tokens.open(sessionId, Date.now() + 59_000)).toBeDefined();
    expect(await tokens.open(sessionId, Date.now() + 60_001)).toBeUndefined();
  });

  it('rotates keys: ids of a previous secret still open, new ids use the new one', async () => {
    const next = `${secret}-next`;
    const { sessionId: old } = await createSessionTokens({ secret }).seal({ initialize });
    const rotated = createSessionTokens({ secret: next, previousSecrets: [secret] });
    expect(await rotated.open(old)).toBeDefined();
    const { sessionId: fresh } = await rotated.seal({ initialize });
    expect(fresh.split('.')[0]).not.toBe(old.split('.')[0]);
    expect(await createSessionTokens({ secret }).open(fresh)).toBeUndefined();
    expect(await createSessionTokens({ secret: next }).open(fresh)).toBeDefined();
  });

  it('refuses a short secret, naming the config key', () => {
    expect(() => createSessionTokens({ secret: 'short' })).toThrow(/cluster\.secret/);
    expect(() => createSessionTokens({ secret, previousSecrets: ['short'] })).toThrow(
      /cluster\.previousSecrets\[0\]/,
    );
    try {
      createSessionTokens({ secret: 'short' });
    } catch (error) {
      expect(FedmcpError.isInstance(error) && error.code).toBe('INVALID_CONFIG');
    }
  });
});
