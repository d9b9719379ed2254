/**
 * The session owner of a peer principal: the calling hub (`peer|<issuer>`), not the end user. A
 * hub carries many users' requests over one upstream session, each with a token naming its user;
 * binding the session to the user of its first request would refuse every other user's. Use it
 * first in the host's `sessionOwner`; `undefined` for other principals.
 *
 * @example
 * ```ts
 * createMcpHttpHost({ sessionOwner: (principal) => peerSessionOwner(principal) ?? ownerOf(principal), … });
 * ```
 */
export function peerSessionOwner(principal: unknown): string | undefined {
  const { authMethod, issuer } = (principal ?? {}) as { authMethod?: unknown; issuer?: unknown };
  return authMethod === 'peer' && typeof issuer === 'string' ? `peer|${issuer}` : undefined;
}
