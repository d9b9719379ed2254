/**
 * A principal described the way policy rules describe subjects, for `fedmcp policy check
 * --subject user:alice --subject group:dev` and for tests: `user:` sets the subject, `group:`,
 * `scope:` and `via:` add to their lists, `method:` and `issuer:` set theirs.
 */
import { InvalidConfigError } from '@fedmcp/protocol';
import { ANONYMOUS_SUBJECT, type AuthMethod, type Principal } from './principal.js';

const METHODS: readonly AuthMethod[] = ['oauth', 'api-key', 'mtls', 'anonymous', 'peer'];

/**
 * Builds a principal from subject patterns (no wildcards). A bare value is taken as `user:<value>`;
 * the auth method defaults to `oauth`. Without a `user:` entry the caller is `anonymous` when
 * `method:anonymous` is given (as the hub's anonymous principal), and an error otherwise.
 *
 * @throws {InvalidConfigError} for an unknown prefix or auth method, an empty value, two different
 * `user:` entries, or no `user:` entry without `method:anonymous`.
 * @example
 * ```ts
 * principalFromPatterns(['user:alice', 'group:dev', 'scope:tools.read']);
 * // { subject: 'alice', groups: ['dev'], scopes: ['tools.read'], authMethod: 'oauth' }
 * ```
 */
export function principalFromPatterns(patterns: readonly string[]): Principal {
  let subject: string | undefined;
  let issuer: string | undefined;
  let authMethod: AuthMethod = 'oauth';
  const groups: string[] = [];
  const scopes: string[] = [];
  const via: string[] = [];
  for (const pattern of patterns) {
    const separator = pattern.indexOf(':');
    const kind = separator === -1 ? 'user' : pattern.slice(0, separator);
    const value = separator === -1 ? pattern : pattern.slice(separator + 1);
    if (value === '')
      throw new InvalidConfigError({ path: 'subject', reason: `"${pattern}" has no value` });
    if (kind === 'user') {
      if (subject !== undefined && subject !== value) {
        throw new InvalidConfigError({
          path: 'subject',
          reason: `a caller has one subject, not "user:${subject}" and "user:${value}"`,
        });
      }
      subject = value;
    } else if (kind === 'group') groups.push(value);
    else if (kind === 'scope') scopes.push(value);
    else if (kind === 'via') via.push(value);
    else if (kind === 'issuer') issuer = value;
    else if (kind === 'method' && METHODS.includes(value as AuthMethod))
      authMethod = value as AuthMethod;
    else {
      throw new InvalidConfigError({
        path: 'subject',
        reason: `"${pattern}" is not one of user:, group:, scope:, via:, issuer: or method:(${METHODS.join('|')})`,
      });
    }
  }
  if (subject === undefined) {
    // A caller without credentials is the anonymous principal; anyone else must be named, since
    // a made-up default subject could match (or dodge) a user: rule and explain the wrong decision.
    if (authMethod === 'anonymous') subject = ANONYMOUS_SUBJECT;
    else {
      throw new InvalidConfigError({
        path: 'subject',
        reason: `name the caller with "user:<subject>" (or "method:anonymous" for a caller without credentials); got ${patterns.length === 0 ? 'no subject patterns' : patterns.map((pattern) => `"${pattern}"`).join(', ')}`,
      });
    }
  }
  return {
    subject,
    ...(issuer === undefined ? {} : { issuer }),
    groups,
    scopes,
    authMethod,
    ...(via.length > 0 ? { via } : {}),
  };
}
