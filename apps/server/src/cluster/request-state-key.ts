/**
 * The key that signs the `requestState` of 2026-07-28 interactive rounds (consent questions,
 * sign-ins, forwarded questions), the same on every replica: derived from the cluster secret, so
 * a client's retry carrying its answer may reach any replica (issue 14). The previous secrets of
 * a rotation give the keys that still verify, so rounds survive a rolling rotation.
 */
import { createHmac } from 'node:crypto';

/** Derives the replicas' shared `requestStateKey` (32 bytes) from the cluster secret. */
export function requestStateKeyOf(clusterSecret: string): Uint8Array {
  return new Uint8Array(
    createHmac('sha256', clusterSecret).update('fedmcp requestState key v1').digest(),
  );
}

/**
 * The replicas' `requestStateKey` list: the current secret's key first (it signs), then one per
 * previous secret (they still verify).
 */
export function requestStateKeysOf(secrets: {
  secret: string;
  previousSecrets: readonly string[];
}): Uint8Array[] {
  return [secrets.secret, ...secrets.previousSecrets].map(requestStateKeyOf);
}
