/**
 * Who is calling. Every authenticator turns a credential into a {@link Principal}; the policy
 * engine, the audit log and the rate limiter only ever see principals.
 */

/** How a principal proved who it is. */
export type AuthMethod = 'oauth' | 'api-key' | 'mtls' | 'anonymous' | 'peer';

/** The authenticated caller of a request. */
export interface Principal {
  /** A stable identifier of the caller: the token's `sub`, an API key's subject, a certificate's CN/SAN. */
  subject: string;
  /** Who vouched for the subject (the token issuer, or the peer hub); absent for API keys and anonymous callers. */
  issuer?: string;
  /** Groups the caller belongs to, matched by `group:<name>` policy subjects. */
  groups: string[];
  /** OAuth scopes (or scopes configured for an API key), matched by `scope:<name>` policy subjects. */
  scopes: string[];
  /** How the caller authenticated, matched by `method:<name>` policy subjects. */
  authMethod: AuthMethod;
  /**
   * The hub ids a request crossed before reaching this hub, nearest first, when it came through
   * peer hubs. Matched by `via:<hub id>` policy subjects.
   */
  via?: string[];
  /** The raw claims of the credential (token payload), for custom policy or audit enrichment. */
  claims?: Readonly<Record<string, unknown>>;
}

/** The subject of {@link anonymousPrincipal}. */
export const ANONYMOUS_SUBJECT = 'anonymous';

/**
 * The principal of a caller that presented no credentials, used only when anonymous access is
 * explicitly enabled (or the hub is bound to loopback).
 */
export function anonymousPrincipal(): Principal {
  return { subject: ANONYMOUS_SUBJECT, groups: [], scopes: [], authMethod: 'anonymous' };
}
