/**
 * The owners of `isolation: 'per-principal'` connections: one stable owner per authenticated
 * caller (by principal key), so every session and request of that caller, in either era, lands on
 * the same upstream connection, and no other caller's ever does.
 */
import { principalKey } from '../pipeline/meta.js';

/** The owner of one caller's upstream connections. */
export class PrincipalOwner {
  constructor(
    /** The caller's principal key (`principalKey`). */
    readonly key: string,
    /**
     * The caller, as last seen (for its credentials): the newest authentication carries the
     * caller's current token, which a token exchange (RFC 8693) presents when a connection opens.
     */
    public principal: unknown,
  ) {}
}

/** One {@link PrincipalOwner} per caller. */
export class PrincipalOwners {
  readonly #owners = new Map<string, PrincipalOwner>();

  /** The owner of `principal`'s connections. */
  ownerOf(principal: unknown): PrincipalOwner {
    const key = principalKey(principal);
    let owner = this.#owners.get(key);
    if (!owner) {
      owner = new PrincipalOwner(key, principal);
      this.#owners.set(key, owner);
    } else if (principal !== undefined) {
      owner.principal = principal;
    }
    return owner;
  }
}
