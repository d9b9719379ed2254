/**
 * Peer tokens: the short-lived JWTs a hub signs to call a peer hub on behalf of an end user
 * (claims: `@fedmcp/protocol`'s `PeerTokenClaimsSchema`). `iss` is the calling hub, `aud` the
 * peer, `sub` the end user, `act` the RFC 8693 §4.1 actor chain (the calling hub, then the hubs
 * before it, nested), `jti` a fresh random id, `exp` at most 300 s after `iat`, and — for a token
 * the calling hub reuses for many requests (`createPeerTokenCache`) — `reusable: true`.
 */
import {
  type ActorClaim,
  FedmcpError,
  HubIdSchema,
  PEER_TOKEN_MAX_LIFETIME_SECONDS,
} from '@fedmcp/protocol';
import { base64url, SignJWT } from 'jose';
import type { HubKeyring } from './hub-identity.js';

/** The JWT `typ` header of peer tokens. */
export const PEER_TOKEN_TYPE = 'fedmcp-peer+jwt';

/**
 * The claim of a token its issuer may present many times until it expires (`true`): the receiving
 * hub then remembers the verification instead of refusing the second use. A token without it is
 * accepted once (or only inside the MCP session it was first used in).
 */
export const PEER_TOKEN_REUSABLE_CLAIM = 'reusable';

/** The default lifetime of a peer token: 120 s. */
export const DEFAULT_PEER_TOKEN_TTL_SECONDS = 120;

/** Options of {@link mintPeerToken}. */
export interface MintPeerTokenOptions {
  /** The calling hub's keyring; its current key signs. */
  keyring: HubKeyring;
  /** The calling hub's id (`iss`, and the outermost `act.sub`). */
  issuer: string;
  /** The peer's id (`aud`). */
  audience: string;
  /** The end user the call is for, or the calling hub's id when there is none (`sub`). */
  subject: string;
  /**
   * The hubs the request crossed before the calling hub, nearest first (they become the nested
   * `act` claims). @default []
   */
  actorChain?: readonly string[];
  /**
   * The end user's groups, as a `groups` claim; the peer uses them only if it trusts this hub's
   * groups (`acceptGroups`). @default none
   */
  groups?: readonly string[];
  /** Lifetime in seconds, at most 300. @default 120 */
  ttlSeconds?: number;
  /**
   * Mark the token reusable until it expires (`reusable: true`): the peer accepts it for many
   * requests and verifies it once. Without it the peer accepts it once (or within one MCP
   * session). @default false
   */
  reusable?: boolean;
  /** The clock. @default Date.now */
  now?: () => number;
}

/** A minted peer token. */
export interface MintedPeerToken {
  token: string;
  jti: string;
  /** Expiry, ms since the epoch. */
  expiresAt: number;
}

function checkHubId(value: string, name: string): void {
  if (!HubIdSchema.safeParse(value).success) {
    throw new FedmcpError(
      'INVALID_REQUEST',
      `The ${name} "${value}" is not a hub id (1–32 characters of a-z, 0-9 and "-", starting with a letter or digit).`,
    );
  }
}

/** The nested RFC 8693 `act` claim for a calling hub and the hubs before it (nearest first). */
export function buildActorClaim(issuer: string, actorChain: readonly string[] = []): ActorClaim {
  let act: ActorClaim | undefined;
  for (const hub of [...actorChain].reverse()) act = act ? { sub: hub, act } : { sub: hub };
  return act ? { sub: issuer, act } : { sub: issuer };
}

/**
 * Signs a peer token with the keyring's current key.
 *
 * @throws {FedmcpError} `INVALID_REQUEST` when `ttlSeconds` is not in 1…300, or a hub id is malformed.
 * @example
 * ```ts
 * const { token } = await mintPeerToken({ keyring, issuer: 'home', audience: 'eu', subject: 'alice' });
 * await fetch('https://eu.example.com/mcp', { headers: { authorization: `Bearer ${token}` }, … });
 * ```
 */
export async function mintPeerToken(options: MintPeerTokenOptions): Promise<MintedPeerToken> {
  const ttlSeconds = options.ttlSeconds ?? DEFAULT_PEER_TOKEN_TTL_SECONDS;
  if (
    !Number.isInteger(ttlSeconds) ||
    ttlSeconds < 1 ||
    ttlSeconds > PEER_TOKEN_MAX_LIFETIME_SECONDS
  ) {
    throw new FedmcpError(
      'INVALID_REQUEST',
      `A peer token lives 1 to ${PEER_TOKEN_MAX_LIFETIME_SECONDS} seconds; ttlSeconds was ${ttlSeconds}.`,
    );
  }
  checkHubId(options.issuer, 'issuer');
  checkHubId(options.audience, 'audience');
  for (const hub of options.actorChain ?? []) checkHubId(hub, 'actor chain entry');
  if (options.subject.length === 0) {
    throw new FedmcpError(
      'INVALID_REQUEST',
      'A peer token needs a subject (the end user or the calling hub).',
    );
  }
  const issuedAt = Math.floor((options.now ?? Date.now)() / 1000);
  const random = new Uint8Array(16);
  crypto.getRandomValues(random);
  const jti = base64url.encode(random);
  const key = options.keyring.current;
  const token = await new SignJWT({
    act: buildActorClaim(options.issuer, options.actorChain),
    ...(options.groups?.length ? { groups: [...options.groups] } : {}),
    ...(options.reusable ? { [PEER_TOKEN_REUSABLE_CLAIM]: true } : {}),
  })
    .setProtectedHeader({ alg: key.alg, kid: key.kid, typ: PEER_TOKEN_TYPE })
    .setIssuer(options.issuer)
    .setAudience(options.audience)
    .setSubject(options.subject)
    .setJti(jti)
    .setIssuedAt(issuedAt)
    .setExpirationTime(issuedAt + ttlSeconds)
    .sign(key.privateKey);
  return { token, jti, expiresAt: (issuedAt + ttlSeconds) * 1000 };
}
