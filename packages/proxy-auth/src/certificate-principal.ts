/**
 * mTLS client certificates as principals: the certificate's subject common name or one of its
 * subject alternative names (DNS, URI — e.g. SPIFFE ids —, email) is matched against ordered
 * rules, and the first matching rule names the principal. The TLS layer verifies the chain; this
 * module only maps an already verified certificate.
 */
import { invalidCredentialsError } from './auth-errors.js';
import type { Authenticator } from './authenticate-request.js';
import { compileGlob } from './glob.js';
import type { Principal } from './principal.js';

/** The parts of Node's `tls.PeerCertificate` we read (structural, so no Node import is needed). */
export interface PeerCertificateLike {
  subject?: Readonly<Record<string, string | readonly string[] | undefined>>;
  issuer?: Readonly<Record<string, string | readonly string[] | undefined>>;
  /** Node's flattened SAN list: `'DNS:a.example.com, URI:spiffe://example.com/ns/a, email:a@example.com'`. */
  subjectaltname?: string;
  fingerprint256?: string;
}

/** Identities a rule can match on; each value is a glob (see `glob.ts`). All given ones must match. */
export interface CertificateMatch {
  commonName?: string;
  dns?: string;
  uri?: string;
  email?: string;
  /** The SHA-256 fingerprint as Node prints it (`AB:CD:…`), exact. */
  fingerprint256?: string;
}

/** One mapping from certificates to a principal. */
export interface CertificateRule {
  match: CertificateMatch;
  /**
   * The principal's subject; `{cn}`, `{dns}`, `{uri}` and `{email}` are replaced by the identity
   * that matched. @default the matched URI, DNS name, email or common name, in that order
   */
  subject?: string;
  /** @default [] */
  groups?: readonly string[];
  /** @default [] */
  scopes?: readonly string[];
}

/** The identities of a certificate, parsed from its subject and SAN list. */
export interface CertificateIdentities {
  commonName?: string;
  dns: string[];
  uri: string[];
  email: string[];
  fingerprint256?: string;
}

function first(value: string | readonly string[] | undefined): string | undefined {
  return typeof value === 'string' ? value : value?.[0];
}

// Node escapes SAN values that contain separators as JSON strings (`DNS:"a, b"`).
function parseSubjectAltNames(text: string): Array<[string, string]> {
  const entries: Array<[string, string]> = [];
  const pattern = /\s*([A-Za-z ]+):("(?:[^"\\]|\\.)*"|[^,]*)\s*(?:,|$)/g;
  for (let match = pattern.exec(text); match !== null; match = pattern.exec(text)) {
    if (match[0] === '') break;
    const type = (match[1] ?? '').trim();
    let value = (match[2] ?? '').trim();
    if (value.startsWith('"')) {
      try {
        value = JSON.parse(value) as string;
      } catch {
        continue;
      }
    }
    entries.push([type, value]);
  }
  return entries;
}

/** Reads the common name and SANs of a certificate. */
export function certificateIdentities(certificate: PeerCertificateLike): CertificateIdentities {
  const identities: CertificateIdentities = {
    commonName: first(certificate.subject?.CN),
    dns: [],
    uri: [],
    email: [],
    fingerprint256: certificate.fingerprint256,
  };
  for (const [type, value] of parseSubjectAltNames(certificate.subjectaltname ?? '')) {
    if (type === 'DNS') identities.dns.push(value);
    else if (type === 'URI') identities.uri.push(value);
    else if (type === 'email') identities.email.push(value);
  }
  return identities;
}

function matchOne(
  pattern: string | undefined,
  values: readonly string[],
): string | undefined | null {
  if (pattern === undefined) return undefined;
  const matcher = compileGlob(pattern);
  return values.find((value) => matcher(value)) ?? null;
}

/**
 * Maps a verified client certificate to a principal with the first matching rule; `undefined`
 * when no rule matches.
 *
 * @example
 * ```ts
 * principalFromCertificate(socket.getPeerCertificate(), [
 *   { match: { uri: 'spiffe://example.com/ns/prod/*' }, groups: ['services'] },
 * ]);
 * ```
 */
export function principalFromCertificate(
  certificate: PeerCertificateLike,
  rules: readonly CertificateRule[],
): Principal | undefined {
  const identities = certificateIdentities(certificate);
  for (const rule of rules) {
    const { match } = rule;
    const matched = {
      cn: matchOne(
        match.commonName,
        identities.commonName === undefined ? [] : [identities.commonName],
      ),
      dns: matchOne(match.dns, identities.dns),
      uri: matchOne(match.uri, identities.uri),
      email: matchOne(match.email, identities.email),
      fingerprint:
        match.fingerprint256 === undefined
          ? undefined
          : identities.fingerprint256?.toUpperCase() === match.fingerprint256.toUpperCase()
            ? identities.fingerprint256
            : null,
    };
    const values = Object.values(matched);
    if (values.includes(null) || values.every((value) => value === undefined)) continue;
    const fallback =
      matched.uri ?? matched.dns ?? matched.email ?? matched.cn ?? identities.commonName;
    const subject = (rule.subject ?? fallback ?? '').replace(
      /\{(cn|dns|uri|email)\}/g,
      (_, key: 'cn' | 'dns' | 'uri' | 'email') =>
        matched[key] ?? (key === 'cn' ? identities.commonName : identities[key][0]) ?? '',
    );
    if (subject === '') continue;
    return {
      subject,
      issuer: first(certificate.issuer?.CN),
      groups: [...(rule.groups ?? [])],
      scopes: [...(rule.scopes ?? [])],
      authMethod: 'mtls',
      claims: { ...identities },
    };
  }
  return undefined;
}

/**
 * An {@link Authenticator} for verified TLS client certificates. A certificate no rule maps is
 * refused (401) rather than treated as anonymous.
 */
export function createCertificateAuthenticator(rules: readonly CertificateRule[]): Authenticator {
  return {
    method: 'mtls',
    async authenticate(credentials) {
      if (!credentials.peerCertificate) return undefined;
      const principal = principalFromCertificate(credentials.peerCertificate, rules);
      if (!principal)
        throw invalidCredentialsError('the client certificate is not mapped to a principal');
      return principal;
    },
  };
}
