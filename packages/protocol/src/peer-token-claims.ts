/**
 * The claims of a peer token: the short-lived JWT a hub signs to call a peer hub for an end user.
 *
 * | claim | meaning |
 * |---|---|
 * | `iss` | the calling hub's id (its keys are at the `jwksUri` of its discovery document) |
 * | `aud` | the id of the peer being called |
 * | `sub` | the end user the call is made for |
 * | `act` | the actor chain, RFC 8693 §4.1: `{ sub: <calling hub> , act?: { sub: <hub before it>, … } }` |
 * | `jti` | a unique token id (replay detection) |
 * | `iat`, `exp` | issued-at and expiry, seconds since the epoch; at most 5 minutes apart |
 */
import * as z from 'zod';
import { HubIdSchema } from './federation-meta.js';

/** The longest a peer token may live, in seconds. */
export const PEER_TOKEN_MAX_LIFETIME_SECONDS = 300;

/** An RFC 8693 §4.1 actor: who acts, and (nested) who acted before it. */
export interface ActorClaim {
  /** The acting party; for fedmcp a hub id. */
  sub: string;
  /** Who issued the actor's identity, when it differs from the token's issuer. */
  iss?: string;
  /** The previous actor in the delegation chain. */
  act?: ActorClaim;
}

/** Schema of an RFC 8693 `act` claim (recursive). */
export const ActorClaimSchema: z.ZodType<ActorClaim> = z.object({
  sub: z.string().min(1),
  iss: z.string().min(1).optional(),
  get act() {
    return ActorClaimSchema.optional();
  },
});

const seconds = z.int().nonnegative();

/** Schema of the claims of a peer token. */
export const PeerTokenClaimsSchema = z
  .object({
    /** The calling hub's id. */
    iss: HubIdSchema,
    /** The called peer's id. */
    aud: HubIdSchema,
    /** The end user. */
    sub: z.string().min(1).max(1024),
    /** The actor chain: the calling hub first, then the hubs before it. */
    act: ActorClaimSchema,
    /** Unique token id. */
    jti: z.string().min(8).max(256),
    /** Issued at, seconds since the epoch. */
    iat: seconds,
    /** Expiry, seconds since the epoch; after `iat`, at most 300 s later. */
    exp: seconds,
  })
  .check((context) => {
    const claims = context.value;
    if (claims.exp <= claims.iat) {
      context.issues.push({
        code: 'custom',
        input: claims.exp,
        path: ['exp'],
        message: 'must be after iat',
      });
    } else if (claims.exp - claims.iat > PEER_TOKEN_MAX_LIFETIME_SECONDS) {
      context.issues.push({
        code: 'custom',
        input: claims.exp,
        path: ['exp'],
        message: `must be at most ${PEER_TOKEN_MAX_LIFETIME_SECONDS} s after iat (peer tokens are short-lived)`,
      });
    }
    if (claims.act.sub !== claims.iss) {
      context.issues.push({
        code: 'custom',
        input: claims.act,
        path: ['act', 'sub'],
        message: 'must be the calling hub (equal to iss)',
      });
    }
  });

/** The claims of a peer token. */
export type PeerTokenClaims = z.infer<typeof PeerTokenClaimsSchema>;

/**
 * The hubs of an actor chain, the current actor first: `{ sub: 'us', act: { sub: 'eu' } }` gives
 * `['us', 'eu']`.
 */
export function actorChain(act: ActorClaim | undefined): string[] {
  const chain: string[] = [];
  for (let actor = act; actor !== undefined; actor = actor.act) chain.push(actor.sub);
  return chain;
}
