/**
 * A short digest of the config in force, published with each replica's heartbeat so that
 * `fedmcp status` shows replicas running different configs (a file not yet deployed everywhere).
 * Credential values are replaced before hashing: the digest says nothing about them (and a
 * rotated secret alone does not show as a difference).
 */
import { createHash } from 'node:crypto';

/** The first 12 hex digits of the SHA-256 of the config's JSON, credential values masked. */
export function configDigest(config: unknown, secretValues: ReadonlySet<string>): string {
  const json = JSON.stringify(config, (_key, value: unknown) =>
    typeof value === 'string' && secretValues.has(value) ? '***' : value,
  );
  return createHash('sha256').update(json).digest('hex').slice(0, 12);
}
