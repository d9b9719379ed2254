import { describe, expect, it } from 'vitest';
import {
  API_KEY_PREFIX,
  createApiKeyAuthenticator,
  generateApiKey,
  hashApiKey,
} from './api-keys.js';
import { authenticateRequest } from './authenticate-request.js';
import { constantTimeEqual } from './constant-time-equal.js';

describe('API keys', () => {
  it('generates recognisable keys with 256 bits of randomness', () => {
    const keys = new Set(Array.from({ length: 100 }, () => generateApiKey()));
    expect(keys.size).toBe(100);
    for (const key of keys) expect(key).toMatch(/^fmk_[A-Za-z0-9_-]{43}$/);
  });

  it('hashes keys to sha256:<base64url>', async () => {
    // SHA-256("fmk_test") computed independently with node:crypto.
    const { createHash } = await import('node:crypto');
    expect(await hashApiKey('fmk_test')).toBe(
      `sha256:${createHash('sha256').update('fmk_test').digest('base64url')}`,
    );
  });

  it('authenticates by Authorization: Bearer or X-API-Key and refuses unknown keys', async () => {
    const ciKey = generateApiKey();
    const botKey = generateApiKey();
    const authenticator = createApiKeyAuthenticator({
      keys: [
        {
          hash: await hashApiKey(ciKey),
          subject: 'ci',
          groups: ['automation'],
          scopes: ['tools.call'],
        },
        { hash: await hashApiKey(botKey), subject: 'bot' },
      ],
    });
    await expect(
      authenticateRequest({ headers: { authorization: `Bearer ${ciKey}` } }, [authenticator]),
    ).resolves.toEqual({
      subject: 'ci',
      groups: ['automation'],
      scopes: ['tools.call'],
      authMethod: 'api-key',
    });
    await expect(
      authenticateRequest(
        new Request('http://127.0.0.1/mcp', { headers: { 'X-API-Key': botKey } }),
        [authenticator],
      ),
    ).resolves.toMatchObject({ subject: 'bot', authMethod: 'api-key' });
    await expect(
      authenticateRequest({ headers: { 'x-api-key': generateApiKey() } }, [authenticator]),
    ).rejects.toMatchObject({
      code: 'UNAUTHENTICATED',
      data: { httpStatus: 401, reason: 'the API key is not known', error: 'invalid_token' },
    });
    expect(await authenticator.lookup(`${ciKey}x`)).toBeUndefined();
    // A hand-built header record need not be lowercase.
    await expect(
      authenticateRequest({ headers: { 'X-Api-Key': ciKey } }, [authenticator]),
    ).resolves.toMatchObject({ subject: 'ci' });
  });

  it('refuses a configuration that holds a key in clear', () => {
    expect(() =>
      createApiKeyAuthenticator({ keys: [{ hash: generateApiKey(), subject: 'x' }] }),
    ).toThrow(/auth\.apiKeys\[0\]\.hash must be a "sha256:…" digest; it looks like a key in clear/);
    expect(API_KEY_PREFIX).toBe('fmk_');
  });
});

describe('constantTimeEqual', () => {
  it('compares bytes, lengths included', () => {
    expect(constantTimeEqual(new Uint8Array([1, 2, 3]), new Uint8Array([1, 2, 3]))).toBe(true);
    expect(constantTimeEqual(new Uint8Array([1, 2, 3]), new Uint8Array([1, 2, 4]))).toBe(false);
    expect(constantTimeEqual(new Uint8Array([1, 2, 3]), new Uint8Array([1, 2]))).toBe(false);
    expect(constantTimeEqual(new Uint8Array([0]), new Uint8Array([]))).toBe(false);
    expect(constantTimeEqual(new Uint8Array([]), new Uint8Array([]))).toBe(true);
  });
});
