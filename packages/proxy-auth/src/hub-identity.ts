/**
 * Hub identity: the signing keys a hub uses for its peer tokens, and the public JWK Set it
 * publishes at `/.well-known/jwks.json`. Keys are Ed25519 (`EdDSA`, the default) or P-256
 * (`ES256`), made with WebCrypto through jose, so this runs on Node, Deno and Workers. Each key's
 * `kid` is its RFC 7638 thumbprint. Rotation adds a key and keeps the previous one published until
 * a grace period ends, so tokens signed just before a rotation still verify at every peer.
 */
import { FedmcpError } from '@fedmcp/protocol';
import {
  type CryptoKey,
  calculateJwkThumbprint,
  exportJWK,
  generateKeyPair,
  importJWK,
  type JSONWebKeySet,
  type JWK,
} from 'jose';

/** The signing algorithms of hub keys. */
export type HubKeyAlgorithm = 'EdDSA' | 'ES256';

/** The default grace period during which a rotated-out key stays published: 24 hours. */
export const DEFAULT_KEY_GRACE_PERIOD_MS = 24 * 60 * 60 * 1000;

/**
 * The default delay between publishing a rotated-in key and signing with it: 60 s, more than a
 * verifier's key set refetch cooldown (30 s), so that when the first token signed with the new key
 * arrives, every peer either already has the key or is allowed to refetch the key set.
 */
export const DEFAULT_KEY_ACTIVATION_DELAY_MS = 60_000;

/** One hub key as stored (private part included): what the keys file holds. */
export interface StoredHubKey {
  /** RFC 7638 SHA-256 thumbprint of the public key, base64url. */
  kid: string;
  alg: HubKeyAlgorithm;
  /** When the key was made, ms since the epoch. */
  createdAt: number;
  /** After this moment (ms since the epoch) the key is neither used nor published; absent while current. */
  retiresAt?: number;
  /** From this moment (ms since the epoch) the key signs; published before. @default createdAt */
  activatesAt?: number;
  /** The private key as a JWK (`d` included). Keep it secret. */
  privateJwk: JWK;
}

/** A published key: its public JWK and its lifetime. */
export interface PublishedHubKey {
  kid: string;
  alg: HubKeyAlgorithm;
  createdAt: number;
  retiresAt?: number;
  /** When it starts signing, if later than `createdAt`. */
  activatesAt?: number;
  /** The public JWK, with `kid`, `alg` and `use: 'sig'`. */
  publicJwk: JWK;
  /** `SHA256:<base64url thumbprint>`: what `fedmcp keys show` prints and peers may pin. */
  fingerprint: string;
}

/** The key that signs now. */
export interface HubSigningKey {
  kid: string;
  alg: HubKeyAlgorithm;
  privateKey: CryptoKey;
}

/** Options of {@link createHubKeyring}. */
export interface HubKeyringOptions {
  /** The stored keys (from the keys file, or config). At least one must not have retired. */
  keys: readonly StoredHubKey[];
  /** The clock. @default Date.now */
  now?: () => number;
  /** How long a rotated-out key stays published. @default 86400000 (24 h) */
  gracePeriodMs?: number;
  /**
   * How long a rotated-in key is published before it signs (publish first, then sign).
   * @default 60000
   */
  activationDelayMs?: number;
}

/** The hub's keys: the current signing key, the published ones, and rotation. */
export interface HubKeyring {
  /** The key that signs peer tokens: the newest active key that has not retired. */
  readonly current: HubSigningKey;
  /** The keys still published (current and those in their grace period), newest first. */
  published(): PublishedHubKey[];
  /** The public JWK Set to serve at `/.well-known/jwks.json`. */
  jwks(): JSONWebKeySet;
  /**
   * Adds a new key, published at once and signing after `activationDelayMs`; the previous key
   * keeps signing until then and stays published until `now + activationDelayMs + gracePeriodMs`.
   * Persist {@link HubKeyring.stored} afterwards.
   */
  rotate(options?: { algorithm?: HubKeyAlgorithm }): Promise<PublishedHubKey>;
  /** The keys to persist (private parts included), retired ones dropped. */
  stored(): StoredHubKey[];
}

/**
 * The fingerprint of a public key: `SHA256:` followed by its RFC 7638 SHA-256 thumbprint
 * (base64url). Equal to `SHA256:<kid>` for hub keys.
 *
 * @example
 * ```ts
 * await hubKeyFingerprint(keyring.jwks().keys[0]); // 'SHA256:3Hn…'
 * ```
 */
export async function hubKeyFingerprint(jwk: JWK): Promise<string> {
  return `SHA256:${await calculateJwkThumbprint(publicPart(jwk), 'sha256')}`;
}

/** Normalises a fingerprint as users write it (with or without `SHA256:`). */
export function normaliseFingerprint(fingerprint: string): string {
  const trimmed = fingerprint.trim();
  return /^sha256:/i.test(trimmed) ? `SHA256:${trimmed.slice(7)}` : `SHA256:${trimmed}`;
}

function publicPart(jwk: JWK): JWK {
  if (jwk.kty === 'OKP') return { kty: jwk.kty, crv: jwk.crv, x: jwk.x };
  if (jwk.kty === 'EC') return { kty: jwk.kty, crv: jwk.crv, x: jwk.x, y: jwk.y };
  throw new FedmcpError('INVALID_CONFIG', `Hub keys must be OKP (Ed25519) or EC (P-256) keys.`);
}

/**
 * Generates a new hub key.
 *
 * @example
 * ```ts
 * const key = await generateHubKey(); // Ed25519
 * const keyring = await createHubKeyring({ keys: [key] });
 * ```
 */
export async function generateHubKey(
  options: { algorithm?: HubKeyAlgorithm; now?: () => number } = {},
): Promise<StoredHubKey> {
  const alg = options.algorithm ?? 'EdDSA';
  const { privateKey } = await generateKeyPair(alg === 'EdDSA' ? 'Ed25519' : 'ES256', {
    extractable: true,
  });
  const privateJwk = await exportJWK(privateKey);
  const kid = await calculateJwkThumbprint(publicPart(privateJwk), 'sha256');
  return { kid, alg, createdAt: (options.now ?? Date.now)(), privateJwk };
}

interface LoadedKey {
  stored: StoredHubKey;
  privateKey: CryptoKey;
  published: PublishedHubKey;
}

async function loadKey(stored: StoredHubKey): Promise<LoadedKey> {
  if (stored.alg !== 'EdDSA' && stored.alg !== 'ES256') {
    throw new FedmcpError(
      'INVALID_CONFIG',
      `Hub key ${stored.kid} has algorithm "${String(stored.alg)}"; expected "EdDSA" or "ES256".`,
    );
  }
  if (typeof stored.privateJwk?.d !== 'string') {
    throw new FedmcpError('INVALID_CONFIG', `Hub key ${stored.kid} has no private part.`);
  }
  const publicJwk = publicPart(stored.privateJwk);
  const kid = await calculateJwkThumbprint(publicJwk, 'sha256');
  if (kid !== stored.kid) {
    throw new FedmcpError(
      'INVALID_CONFIG',
      `Hub key ${stored.kid} does not match its key material (thumbprint ${kid}); the keys file was altered.`,
    );
  }
  const privateKey = (await importJWK(stored.privateJwk, stored.alg)) as CryptoKey;
  return {
    stored,
    privateKey,
    published: {
      kid,
      alg: stored.alg,
      createdAt: stored.createdAt,
      ...(stored.retiresAt === undefined ? {} : { retiresAt: stored.retiresAt }),
      ...(stored.activatesAt === undefined ? {} : { activatesAt: stored.activatesAt }),
      publicJwk: { ...publicJwk, kid, alg: stored.alg, use: 'sig' },
      fingerprint: `SHA256:${kid}`,
    },
  };
}

/**
 * Creates the hub keyring from stored keys.
 *
 * @throws {FedmcpError} `INVALID_CONFIG` when no key is usable (all retired, or none given), or a
 * key is malformed or its `kid` does not match its material.
 * @example
 * ```ts
 * const keyring = await createHubKeyring({ keys: [await generateHubKey()] });
 * const jwks = keyring.jwks(); // serve at /.well-known/jwks.json
 * await keyring.rotate(); // old key stays published for 24 h
 * ```
 */
export async function createHubKeyring(options: HubKeyringOptions): Promise<HubKeyring> {
  const now = options.now ?? Date.now;
  const gracePeriodMs = options.gracePeriodMs ?? DEFAULT_KEY_GRACE_PERIOD_MS;
  const activationDelayMs = options.activationDelayMs ?? DEFAULT_KEY_ACTIVATION_DELAY_MS;
  let keys: LoadedKey[] = await Promise.all(options.keys.map(loadKey));

  const live = () => {
    const at = now();
    return keys
      .filter((key) => key.stored.retiresAt === undefined || key.stored.retiresAt > at)
      .sort((a, b) => b.stored.createdAt - a.stored.createdAt);
  };
  const currentKey = (): LoadedKey => {
    const at = now();
    const published = live();
    // Newest first: the newest key already active signs; if none is, the oldest published one.
    const current =
      published.find((key) => (key.stored.activatesAt ?? key.stored.createdAt) <= at) ??
      published.at(-1);
    if (!current) {
      throw new FedmcpError(
        'INVALID_CONFIG',
        'The hub has no usable signing key (none configured, or all retired); run "fedmcp keys rotate".',
      );
    }
    return current;
  };
  currentKey();

  return {
    get current() {
      const key = currentKey();
      return { kid: key.stored.kid, alg: key.stored.alg, privateKey: key.privateKey };
    },
    published: () => live().map((key) => structuredClone(key.published)),
    jwks: () => ({ keys: live().map((key) => structuredClone(key.published.publicJwk)) }),
    async rotate(rotateOptions = {}) {
      const generated = await generateHubKey({
        algorithm: rotateOptions.algorithm ?? currentKey().stored.alg,
        now: () => Math.max(now(), ...keys.map((key) => key.stored.createdAt + 1)),
      });
      const activatesAt = now() + activationDelayMs;
      const added = await loadKey({ ...generated, activatesAt });
      const retiresAt = activatesAt + gracePeriodMs;
      keys = keys.map((key) => {
        if (key.stored.retiresAt !== undefined) return key;
        const stored = { ...key.stored, retiresAt };
        return { ...key, stored, published: { ...key.published, retiresAt } };
      });
      keys.push(added);
      return structuredClone(added.published);
    },
    stored: () => live().map((key) => structuredClone(key.stored)),
  };
}
