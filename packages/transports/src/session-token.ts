/**
 * Client-carried 2025-era session state: the `Mcp-Session-Id` a hub hands out in cluster mode is
 * the session's state itself, sealed with AES-256-GCM under a key derived from the cluster secret
 * (HKDF-SHA-256 with a purpose label), so any replica holding the secret can rebuild the session
 * (principal binding, protocol version, client capabilities and info, view, lifetime) without a
 * shared session table. Web Crypto only: it runs at the edge too.
 *
 * Format: `<kid>.<base64url(iv ‖ ciphertext ‖ tag)>`, where `kid` names the key (so a rotated-out
 * key is still tried first-hand, not by trial) and is bound as additional authenticated data.
 * Every character is visible ASCII (MCP 2025-11-25 basic/transports: session ids).
 */
import {
  deriveClusterKey,
  FedmcpError,
  fromBase64Url,
  openClusterText,
  sealClusterText,
  toBase64Url,
} from '@fedmcp/protocol';

/** What a session id carries: what a replica needs to rebuild the session. */
export interface SessionTokenState {
  /** Random, unique per session: the key of its revocation and of its stored state. */
  nonce: string;
  /** The principal binding (the host's `sessionOwner` key: auth kind + subject); absent when unbound. */
  owner?: string;
  /** The view (`/mcp/<view>`) the session was opened on; absent for `/mcp` itself. */
  view?: string;
  /** The `initialize` params as the client sent them (protocol version, capabilities, client info). */
  initialize: {
    protocolVersion: string;
    capabilities: Record<string, unknown>;
    clientInfo: Record<string, unknown>;
  };
  /** Issued at (ms since epoch). */
  issuedAt: number;
  /** Expires at (ms since epoch): refused afterwards on every replica. */
  expiresAt: number;
}

/** Options for {@link createSessionTokens}. */
export interface SessionTokensOptions {
  /** The shared cluster secret (at least 32 characters): every replica must have the same. */
  secret: string;
  /**
   * Secrets used before (key rotation): ids sealed under them still open; new ids use `secret`.
   * @default []
   */
  previousSecrets?: readonly string[];
  /** Lifetime of a session from its `initialize`. @default 86400000 (24 h) */
  ttlMs?: number;
}

/** Seals and opens session ids; see the file comment. */
export interface SessionTokens {
  /** Lifetime given to new sessions (ms). */
  readonly ttlMs: number;
  /** Seals the state of a new session into its id. */
  seal(state: Omit<SessionTokenState, 'nonce' | 'issuedAt' | 'expiresAt'>): Promise<{
    sessionId: string;
    state: SessionTokenState;
  }>;
  /**
   * Opens a session id: its state, or `undefined` when it was not sealed by a key of this
   * cluster, was altered, is malformed, or has expired (`now` ≥ `expiresAt`).
   */
  open(sessionId: string, now?: number): Promise<SessionTokenState | undefined>;
}

/** Shortest cluster secret accepted (characters). */
export const MIN_CLUSTER_SECRET_LENGTH = 32;
/** Longest session id {@link SessionTokens.seal} produces; bigger `initialize` params are trimmed. */
export const MAX_SESSION_ID_LENGTH = 4096;

const KEY_LABEL = 'fedmcp/mcp-session-id/aes-256-gcm/v1';
const KID_LABEL = 'fedmcp/mcp-session-id/key-id/v1';

/** Only the canonical (unpadded) base64url spelling: a changed padding bit must not pass. */
function isCanonicalBase64Url(text: string): boolean {
  if (!/^[A-Za-z0-9_-]*$/.test(text)) return false;
  const bytes = fromBase64Url(text);
  return bytes !== undefined && toBase64Url(bytes) === text;
}

function checkSecret(secret: unknown, name: string): asserts secret is string {
  if (typeof secret !== 'string' || secret.length < MIN_CLUSTER_SECRET_LENGTH) {
    throw new FedmcpError(
      'INVALID_CONFIG',
      `${name} must be a string of at least ${MIN_CLUSTER_SECRET_LENGTH} characters (generate one with \`openssl rand -base64 48\`) and be the same on every replica`,
    );
  }
}

/** Keeps `initialize` params small enough for a header: client info is cut to its identity. */
function fitInitialize(
  initialize: SessionTokenState['initialize'],
): SessionTokenState['initialize'] {
  const { name, version, title } = initialize.clientInfo as Record<string, unknown>;
  return {
    protocolVersion: initialize.protocolVersion,
    capabilities: initialize.capabilities,
    clientInfo: {
      ...(typeof name === 'string' ? { name: name.slice(0, 200) } : {}),
      ...(typeof version === 'string' ? { version: version.slice(0, 100) } : {}),
      ...(typeof title === 'string' ? { title: title.slice(0, 200) } : {}),
    },
  };
}

/**
 * Creates the sealer of a cluster's session ids.
 *
 * @throws {FedmcpError} `INVALID_CONFIG` when a secret is shorter than 32 characters.
 * @example
 * ```ts
 * const tokens = createSessionTokens({ secret: process.env.FEDMCP_CLUSTER_SECRET! });
 * const { sessionId } = await tokens.seal({ owner: 'jwt:alice', initialize });
 * const state = await tokens.open(sessionId); // on any replica with the same secret
 * ```
 */
export function createSessionTokens(options: SessionTokensOptions): SessionTokens {
  checkSecret(options.secret, 'cluster.secret');
  (options.previousSecrets ?? []).forEach((secret, index) => {
    checkSecret(secret, `cluster.previousSecrets[${index}]`);
  });
  const ttlMs = options.ttlMs ?? 86_400_000;
  if (!Number.isSafeInteger(ttlMs) || ttlMs <= 0) {
    throw new FedmcpError('INVALID_CONFIG', 'cluster.sessionTtl must be a positive duration');
  }
  const keys = Promise.all(
    [options.secret, ...(options.previousSecrets ?? [])].map((secret) =>
      deriveClusterKey(secret, KEY_LABEL, KID_LABEL),
    ),
  );

  async function sealState(state: SessionTokenState): Promise<string> {
    const [current] = await keys;
    if (!current) throw new FedmcpError('INTERNAL', 'session tokens: no key');
    return `${current.id}.${await sealClusterText(current.key, JSON.stringify(state), current.id)}`;
  }

  return {
    ttlMs,
    async seal(input) {
      const issuedAt = Date.now();
      const state: SessionTokenState = {
        ...input,
        nonce: toBase64Url(crypto.getRandomValues(new Uint8Array(16))),
        initialize: fitInitialize(input.initialize),
        issuedAt,
        expiresAt: issuedAt + ttlMs,
      };
      let sessionId = await sealState(state);
      if (sessionId.length > MAX_SESSION_ID_LENGTH) {
        // Capabilities this large are unusual; a session id must fit a header, so the client's
        // experimental capabilities (never acted on by the hub) are dropped first.
        const { experimental: _dropped, ...capabilities } = state.initialize.capabilities;
        state.initialize = { ...state.initialize, capabilities };
        sessionId = await sealState(state);
      }
      if (sessionId.length > MAX_SESSION_ID_LENGTH) {
        throw new FedmcpError(
          'INVALID_PARAMS',
          'initialize: the client capabilities are too large to carry in a session id; send fewer',
        );
      }
      return { sessionId, state };
    },
    async open(sessionId, now = Date.now()) {
      if (sessionId.length > MAX_SESSION_ID_LENGTH) return undefined;
      const dot = sessionId.indexOf('.');
      if (dot <= 0) return undefined;
      const kid = sessionId.slice(0, dot);
      const sealed = sessionId.slice(dot + 1);
      if (!isCanonicalBase64Url(sealed)) return undefined;
      const key = (await keys).find((candidate) => candidate.id === kid);
      if (!key) return undefined;
      // undefined: altered, or sealed by another cluster
      const plain = await openClusterText(key.key, sealed, kid);
      if (plain === undefined) return undefined;
      let state: SessionTokenState;
      try {
        state = JSON.parse(plain) as SessionTokenState;
      } catch {
        return undefined;
      }
      if (typeof state.expiresAt !== 'number' || now >= state.expiresAt) return undefined;
      if (typeof state.nonce !== 'string' || typeof state.initialize !== 'object') return undefined;
      return state;
    },
  };
}
