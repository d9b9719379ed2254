import { calculateJwkThumbprint, compactVerify, createLocalJWKSet, SignJWT } from 'jose';
import { describe, expect, it } from 'vitest';
import {
  createHubKeyring,
  generateHubKey,
  hubKeyFingerprint,
  normaliseFingerprint,
} from './hub-identity.js';

const HOUR = 3_600_000;

describe('createHubKeyring', () => {
  it('publishes the public key only, with kid = RFC 7638 thumbprint', async () => {
    const keyring = await createHubKeyring({ keys: [await generateHubKey()] });
    const [jwk] = keyring.jwks().keys;
    expect(jwk).toMatchObject({ kty: 'OKP', crv: 'Ed25519', alg: 'EdDSA', use: 'sig' });
    expect(jwk).not.toHaveProperty('d');
    expect(jwk?.kid).toBe(await calculateJwkThumbprint(jwk!, 'sha256'));
    expect(keyring.current.kid).toBe(jwk?.kid);
    expect(await hubKeyFingerprint(jwk!)).toBe(`SHA256:${jwk?.kid}`);
    expect(keyring.published()[0]?.fingerprint).toBe(`SHA256:${jwk?.kid}`);
  });

  it('supports ES256 keys', async () => {
    const keyring = await createHubKeyring({
      keys: [await generateHubKey({ algorithm: 'ES256' })],
    });
    expect(keyring.jwks().keys[0]).toMatchObject({ kty: 'EC', crv: 'P-256', alg: 'ES256' });
    const token = await new SignJWT({})
      .setProtectedHeader({ alg: 'ES256', kid: keyring.current.kid })
      .sign(keyring.current.privateKey);
    await expect(compactVerify(token, createLocalJWKSet(keyring.jwks()))).resolves.toBeDefined();
  });

  it('rotates: publishes the new key first, signs with it after the activation delay', async () => {
    let now = 1_000_000;
    const keyring = await createHubKeyring({
      keys: [await generateHubKey({ now: () => now })],
      now: () => now,
    });
    const old = keyring.current.kid;
    const added = await keyring.rotate();
    expect(keyring.jwks().keys.map((key) => key.kid)).toEqual([added.kid, old]);
    expect(keyring.current.kid).toBe(old);
    now += 59_999;
    expect(keyring.current.kid).toBe(old);
    now += 1;
    expect(keyring.current.kid).toBe(added.kid);
    expect(keyring.published()[1]?.retiresAt).toBe(1_000_000 + 60_000 + 24 * HOUR);
  });

  it('rotates: the old key stays published during the grace period, then disappears', async () => {
    let now = 1_000_000;
    const keyring = await createHubKeyring({
      keys: [await generateHubKey({ now: () => now })],
      now: () => now,
      gracePeriodMs: 24 * HOUR,
      activationDelayMs: 0,
    });
    const old = keyring.current.kid;
    const added = await keyring.rotate();
    expect(keyring.current.kid).toBe(added.kid);
    expect(added.kid).not.toBe(old);
    expect(keyring.jwks().keys.map((key) => key.kid)).toEqual([added.kid, old]);
    expect(keyring.published()[1]?.retiresAt).toBe(now + 24 * HOUR);
    now += 24 * HOUR - 1;
    expect(keyring.jwks().keys).toHaveLength(2);
    now += 1;
    expect(keyring.jwks().keys.map((key) => key.kid)).toEqual([added.kid]);
    expect(keyring.stored().map((key) => key.kid)).toEqual([added.kid]);
  });

  it('refuses stored keys whose kid does not match their material', async () => {
    const key = await generateHubKey();
    await expect(createHubKeyring({ keys: [{ ...key, kid: 'forged' }] })).rejects.toThrow(
      /does not match its key material/,
    );
    await expect(createHubKeyring({ keys: [] })).rejects.toThrow(/no usable signing key/);
  });

  it('normalises fingerprints as users write them', () => {
    expect(normaliseFingerprint('sha256:abc')).toBe('SHA256:abc');
    expect(normaliseFingerprint(' abc ')).toBe('SHA256:abc');
  });
});
