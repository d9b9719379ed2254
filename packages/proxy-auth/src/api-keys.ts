/**
 * API keys for simple setups. A key is `fmk_` followed by 43 base64url characters (256 random
 * bits); configuration holds only its SHA-256 digest (`sha256:<base64url>`), so a leaked config
 * or log reveals no usable key. A presented key is hashed and compared with every configured
 * digest in constant time.
 */
import { FedmcpError } from '@fedmcp/protocol';
import { base64url } from 'jose';
import { invalidCredentialsError } from './auth-errors.js';
import type { Authenticator } from './authenticate-request.js';
import { constantTimeEqual } from './constant-time-equal.js';
import type { Principal } from './principal.js';

/** The prefix that makes fedmcp API keys recognisable (to secret scanners too). */
export const API_KEY_PREFIX = 'fmk_';

const HASH_PREFIX = 'sha256:';
const HASH_PATTERN = /^sha256:[A-Za-z0-9_-]{43}$/;

/** Generates a new API key: `fmk_` + 256 random bits in base64url. Show it once; store {@link hashApiKey} of it. */
export function generateApiKey(): string {
  const bytes = new Uint8Array(32);
  crypto.getRandomValues(bytes);
  return `${API_KEY_PREFIX}${base64url.encode(bytes)}`;
}

async function digest(key: string): Promise<Uint8Array> {
  return new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(key)));
}

/**
 * The digest to put in configuration for a key: `sha256:<base64url of SHA-256(key)>`.
 *
 * @example
 * ```ts
 * const key = generateApiKey(); // give this to the client, once
 * const hash = await hashApiKey(key); // 'sha256:…', goes into auth.apiKeys[].hash
 * ```
 */
export async function hashApiKey(key: string): Promise<string> {
  return `${HASH_PREFIX}${base64url.encode(await digest(key))}`;
}

/** One configured API key: its digest and the principal it stands for. */
export interface ApiKeyEntry {
  /** `sha256:<base64url>` from {@link hashApiKey}. */
  hash: string;
  /** The principal's subject, e.g. `ci-bot`. */
  subject: string;
  /** @default [] */
  groups?: readonly string[];
  /** @default [] */
  scopes?: readonly string[];
}

/** Options of {@link createApiKeyAuthenticator}. */
export interface ApiKeyAuthenticatorOptions {
  keys: readonly ApiKeyEntry[];
}

/** An authenticator for API keys; `lookup` is also usable on its own. */
export interface ApiKeyAuthenticator extends Authenticator {
  /** The principal of a key, or `undefined` when it is not configured. */
  lookup(key: string): Promise<Principal | undefined>;
}

/**
 * Creates an authenticator that accepts `Authorization: Bearer fmk_…` or `X-API-Key: fmk_…`.
 *
 * @throws {FedmcpError} `INVALID_CONFIG` when an entry's hash is not a `sha256:` digest (a key in
 * clear in the config is refused, with a hint to hash it).
 */
export function createApiKeyAuthenticator(
  options: ApiKeyAuthenticatorOptions,
): ApiKeyAuthenticator {
  const entries = options.keys.map((entry, index) => {
    if (!HASH_PATTERN.test(entry.hash)) {
      const looksLikeKey = entry.hash.startsWith(API_KEY_PREFIX);
      throw new FedmcpError(
        'INVALID_CONFIG',
        `auth.apiKeys[${index}].hash must be a "sha256:…" digest${
          looksLikeKey
            ? '; it looks like a key in clear — store hashApiKey(key) (`fedmcp keys hash`) instead'
            : ''
        }.`,
      );
    }
    return {
      digest: base64url.decode(entry.hash.slice(HASH_PREFIX.length)),
      principal: {
        subject: entry.subject,
        groups: [...(entry.groups ?? [])],
        scopes: [...(entry.scopes ?? [])],
        authMethod: 'api-key' as const,
      },
    };
  });

  async function lookup(key: string): Promise<Principal | undefined> {
    const presented = await digest(key);
    let found: (typeof entries)[number] | undefined;
    // Visit every entry, no early exit: the time does not tell which entry (if any) matched.
    for (const entry of entries) {
      if (constantTimeEqual(presented, entry.digest) && found === undefined) found = entry;
    }
    return found
      ? {
          ...found.principal,
          groups: [...found.principal.groups],
          scopes: [...found.principal.scopes],
        }
      : undefined;
  }

  return {
    method: 'api-key',
    lookup,
    async authenticate(credentials) {
      const bearer = credentials.bearerToken;
      const key = credentials.apiKey ?? (bearer?.startsWith(API_KEY_PREFIX) ? bearer : undefined);
      if (key === undefined) return undefined;
      const principal = await lookup(key);
      if (!principal) throw invalidCredentialsError('the API key is not known');
      return principal;
    },
  };
}
