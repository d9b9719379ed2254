/**
 * A hub identity kept in a keys file (created with one key on first use, mode 0600). The file is
 * re-read when it changes (checked at most once a second), so a key rotation (`fedmcp keys rotate`) while the hub runs is served
 * at `/.well-known/jwks.json` and signs peer tokens without a restart.
 */
import { stat } from 'node:fs/promises';
import { createHubKeyring, type HubKeyAlgorithm, type HubKeyring } from '@fedmcp/proxy-auth';
import { loadOrCreateHubKeys } from '@fedmcp/proxy-auth/node';
import type { HubIdentity } from '../peers/create-hub-identity.js';

/** A hub identity backed by a keys file. */
export interface HubIdentityFile extends HubIdentity {
  /** The keys file. */
  readonly path: string;
}

/** Options of {@link openHubIdentityFile}. */
export interface HubIdentityFileOptions {
  /** The keys file (`hubKeysPath(dataDirectory)` from `@fedmcp/proxy-auth/node` by convention). */
  path: string;
  /** The algorithm of a key created on first use. @default 'EdDSA' */
  algorithm?: HubKeyAlgorithm;
  /** How long a rotated-out key stays published, in ms. @default 24 h */
  gracePeriodMs?: number;
  /** The clock. @default Date.now */
  now?: () => number;
  /**
   * How often, at most, `keyring()` checks the keys file for a change, in ms: a peer request asks
   * for the keyring every time, and a `stat` per request cost ~0.2 ms of each peer hop (issue #18
   * profile). A rotation is picked up within this time; the old key stays published meanwhile.
   * 0 checks on every call. @default 1000
   */
  recheckIntervalMs?: number;
  /**
   * Create or read the keys file on the first {@link HubIdentity.keyring} call instead of now
   * (an ephemeral hub writes nothing to disk until federation is used). @default false
   */
  lazy?: boolean;
}

/**
 * Opens (or creates) a hub's keys file.
 *
 * @throws {FedmcpError} `INVALID_CONFIG` when the keys file is readable by others or invalid
 * (with `lazy`, from the first `keyring()` call).
 * @example
 * ```ts
 * const identity = await openHubIdentityFile({ path: hubKeysPath('.fedmcp') });
 * ```
 */
export async function openHubIdentityFile(
  options: HubIdentityFileOptions,
): Promise<HubIdentityFile> {
  const { path, algorithm } = options;
  const keyringOptions = {
    ...(options.gracePeriodMs === undefined ? {} : { gracePeriodMs: options.gracePeriodMs }),
    ...(options.now ? { now: options.now } : {}),
  };
  const open = async () => {
    const { keys } = await loadOrCreateHubKeys(path, algorithm ? { algorithm } : {});
    const keyring = await createHubKeyring({ keys, ...keyringOptions });
    return { keyring, loadedAt: (await stat(path)).mtimeMs };
  };
  let opened = options.lazy ? undefined : await open();
  let reloading: Promise<HubKeyring> | undefined;
  const recheckIntervalMs = options.recheckIntervalMs ?? 1_000;
  // A monotonic clock: the check interval is not the keyring's (possibly shifted) `now`.
  let checkedAt = opened ? performance.now() : Number.NEGATIVE_INFINITY;

  async function reload(): Promise<HubKeyring> {
    if (!opened) {
      opened = await open();
      return opened.keyring;
    }
    const changedAt = (await stat(path)).mtimeMs;
    if (changedAt === opened.loadedAt) return opened.keyring;
    const next = await loadOrCreateHubKeys(path, algorithm ? { algorithm } : {});
    opened = {
      keyring: await createHubKeyring({ keys: next.keys, ...keyringOptions }),
      loadedAt: changedAt,
    };
    return opened.keyring;
  }

  return {
    path,
    async keyring() {
      if (opened && !reloading && performance.now() - checkedAt < recheckIntervalMs) {
        return opened.keyring;
      }
      reloading ??= reload().finally(() => {
        checkedAt = performance.now();
        reloading = undefined;
      });
      // A broken rewrite of the file keeps the last good keys in service.
      return reloading.catch((error: unknown) => {
        if (opened) return opened.keyring;
        throw error;
      });
    },
  };
}
