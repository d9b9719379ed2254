/**
 * A hub's identity: the keyring whose current key signs its peer tokens and whose public keys it
 * publishes at `/.well-known/jwks.json`. This one lives in memory (Web Crypto, any runtime); the
 * file-backed one, which survives restarts and follows `fedmcp keys rotate`, is
 * `openHubIdentityFile` from `@fedmcp/federation/node`.
 */
import {
  createHubKeyring,
  generateHubKey,
  type HubKeyAlgorithm,
  type HubKeyring,
  type StoredHubKey,
} from '@fedmcp/proxy-auth';

/** The keys of a hub, as the federation pieces read them. */
export interface HubIdentity {
  /** The keyring in force (a file-backed identity re-reads its file when it changed). */
  keyring(): Promise<HubKeyring>;
}

/** Options of {@link createHubIdentity}. */
export interface HubIdentityOptions {
  /** The keys (private parts included). @default one new key */
  keys?: StoredHubKey[];
  /** The algorithm of the generated key. @default 'EdDSA' */
  algorithm?: HubKeyAlgorithm;
  /** How long a rotated-out key stays published, in ms. @default 24 h */
  gracePeriodMs?: number;
  /** The clock. @default Date.now */
  now?: () => number;
}

/**
 * A hub identity held in memory: the given keys, or one key generated now (lost on exit; peers
 * then fetch the next process's keys from its JWKS).
 *
 * @example
 * ```ts
 * const identity = await createHubIdentity();
 * (await identity.keyring()).jwks(); // { keys: [{ kty: 'OKP', crv: 'Ed25519', … }] }
 * ```
 */
export async function createHubIdentity(options: HubIdentityOptions = {}): Promise<HubIdentity> {
  const keys = options.keys ?? [
    await generateHubKey({
      ...(options.algorithm ? { algorithm: options.algorithm } : {}),
      ...(options.now ? { now: options.now } : {}),
    }),
  ];
  const keyring = await createHubKeyring({
    keys,
    ...(options.gracePeriodMs === undefined ? {} : { gracePeriodMs: options.gracePeriodMs }),
    ...(options.now ? { now: options.now } : {}),
  });
  return { keyring: async () => keyring };
}
