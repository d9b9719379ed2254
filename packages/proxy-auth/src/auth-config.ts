/**
 * The `auth` section of the hub config, validated with zod, and the authenticators it describes.
 * The server embeds {@link authConfigSchema} in its config schema (or calls
 * {@link parseAuthConfig}) and builds the authenticators with {@link createAuthenticators}, so a
 * library user configures authentication exactly as the config file does.
 */
import type { JSONWebKeySet } from 'jose';
import * as z from 'zod';
import { createApiKeyAuthenticator } from './api-keys.js';
import type { Authenticator } from './authenticate-request.js';
import { createCertificateAuthenticator } from './certificate-principal.js';
import { createJwtVerifier } from './create-jwt-verifier.js';
import { formatConfigIssues, invalidConfigError } from './format-config-issues.js';
import { createTokenIntrospector } from './introspection.js';
import { introspectionConfigSchema } from './introspection-config.js';

const url = z.string().refine((value) => URL.canParse(value), 'expected an absolute URL');

/** One trusted OAuth issuer. */
export const oauthIssuerConfigSchema = z.strictObject({
  /** The `iss` of its tokens, e.g. `https://YOUR_TENANT.auth0.com/` or `https://kc.example.com/realms/REALM`. */
  issuer: url,
  /** Accepted `aud` values. @default the hub's resource URI */
  audience: z.union([z.string().min(1), z.array(z.string().min(1)).min(1)]).optional(),
  /** The key set URL. @default discovered from the issuer's metadata */
  jwksUri: url.optional(),
  /** Static public keys (a JWKS document) instead of fetching them. */
  keys: z.strictObject({ keys: z.array(z.record(z.string(), z.unknown())).min(1) }).optional(),
  /** Shared secret for HS256/384/512 tokens (≥ 32 bytes); use a `${secret:NAME}` reference. */
  sharedSecret: z.string().min(32, 'expected at least 32 characters').optional(),
  /** The `alg` allow-list. @default asymmetric algorithms only */
  algorithms: z.array(z.string().min(1)).min(1).optional(),
  /** Allowed clock skew in seconds. @default 30 */
  clockToleranceSeconds: z.number().int().min(0).max(600).optional(),
  /** Scopes every token must carry (403 `insufficient_scope` otherwise). @default [] */
  requiredScopes: z.array(z.string().min(1)).optional(),
  /** Scopes advertised in the Protected Resource Metadata. @default requiredScopes */
  scopesSupported: z.array(z.string().min(1)).optional(),
  /** The claim listing the caller's groups. @default 'groups' */
  groupsClaim: z.string().min(1).optional(),
  /**
   * The expected `typ` header of JWT access tokens: `at+jwt` (RFC 9068 §2.1; `application/at+jwt`
   * matches too), so ID tokens and other JWTs of the issuer are refused. @default not checked
   */
  typ: z.string().min(1).optional(),
  /** Check opaque (non-JWT) access tokens by token introspection (RFC 7662). @default JWTs only */
  introspection: introspectionConfigSchema.optional(),
});

/** One API key: its digest (never the key) and its principal. */
export const apiKeyConfigSchema = z.strictObject({
  hash: z
    .string()
    .regex(
      /^sha256:[A-Za-z0-9_-]{43}$/,
      'expected a "sha256:…" digest of the key (hashApiKey / `fedmcp keys`), never the key itself',
    ),
  subject: z.string().min(1),
  groups: z.array(z.string().min(1)).optional(),
  scopes: z.array(z.string().min(1)).optional(),
  /** What the key is for, for humans. */
  description: z.string().optional(),
});

/** One mTLS mapping rule. */
export const certificateRuleConfigSchema = z.strictObject({
  match: z
    .strictObject({
      commonName: z.string().min(1).optional(),
      dns: z.string().min(1).optional(),
      uri: z.string().min(1).optional(),
      email: z.string().min(1).optional(),
      fingerprint256: z.string().min(1).optional(),
    })
    .refine(
      (match) => Object.keys(match).length > 0,
      'expected at least one of commonName, dns, uri, email, fingerprint256',
    ),
  subject: z.string().min(1).optional(),
  groups: z.array(z.string().min(1)).optional(),
  scopes: z.array(z.string().min(1)).optional(),
});

/** The `auth` section. */
export const authConfigSchema = z.strictObject({
  /**
   * Accept requests without credentials. @default decided by the bind address (see
   * `decideAnonymousAccess`)
   */
  anonymous: z.boolean().optional(),
  /** Trusted OAuth issuer(s). */
  oauth: z.union([oauthIssuerConfigSchema, z.array(oauthIssuerConfigSchema).min(1)]).optional(),
  /** API keys. */
  apiKeys: z.array(apiKeyConfigSchema).optional(),
  /** mTLS client certificate rules (used when the hub asks for client certificates). */
  mtls: z.array(certificateRuleConfigSchema).optional(),
});

/** The `auth` section as written. */
export type AuthConfigInput = z.input<typeof authConfigSchema>;
/** The `auth` section after validation. */
export type AuthConfig = z.output<typeof authConfigSchema>;

/**
 * Validates the `auth` section.
 *
 * @throws {FedmcpError} `INVALID_CONFIG` naming each bad key path (`auth.apiKeys[0].hash: …`).
 */
export function parseAuthConfig(value: unknown, basePath = 'auth'): AuthConfig {
  const result = authConfigSchema.safeParse(value ?? {});
  if (result.success) return result.data;
  throw invalidConfigError('auth configuration', formatConfigIssues(result.error, basePath));
}

/** Options of {@link createAuthenticators}. */
export interface CreateAuthenticatorsOptions {
  /** The hub's canonical resource URI: the default token audience. */
  resource: string;
  /** The fetch for key sets and discovery. @default globalThis.fetch */
  fetch?: typeof fetch;
  /** The clock. @default Date.now */
  now?: () => number;
}

/** What {@link createAuthenticators} builds. */
export interface ConfiguredAuthentication {
  /** In order: OAuth verifiers, API keys, mTLS. Pass them to `authenticateRequest`. */
  authenticators: Authenticator[];
  /** Issuers to list in the Protected Resource Metadata. */
  authorizationServers: string[];
  /** Scopes to list in the metadata and to name in 401 challenges. */
  scopesSupported: string[];
}

/**
 * Builds the authenticators an `auth` section describes.
 *
 * @throws {FedmcpError} `INVALID_CONFIG` for an invalid verifier setting (e.g. HS* without a secret).
 * @example
 * ```ts
 * const auth = createAuthenticators(parseAuthConfig(config.auth), { resource: 'https://hub.example.com/mcp' });
 * const principal = await authenticateRequest(request, auth.authenticators, { resourceMetadataUrl });
 * ```
 */
export function createAuthenticators(
  config: AuthConfig,
  options: CreateAuthenticatorsOptions,
): ConfiguredAuthentication {
  const issuers = config.oauth === undefined ? [] : [config.oauth].flat();
  // Introspectors first: they only take opaque tokens, and their refusal ("not active") is the
  // one to report for such a token rather than a JWT verifier's "malformed".
  const authenticators: Authenticator[] = issuers.flatMap((issuer) =>
    issuer.introspection
      ? [
          createTokenIntrospector({
            ...issuer.introspection,
            issuer: issuer.issuer,
            audience: issuer.audience ?? options.resource,
            requiredScopes: issuer.requiredScopes,
            groupsClaim: issuer.groupsClaim,
            clockToleranceSeconds: issuer.clockToleranceSeconds,
            fetch: options.fetch,
            now: options.now,
          }),
        ]
      : [],
  );
  authenticators.push(
    ...issuers.map((issuer) =>
      createJwtVerifier({
        issuer: issuer.issuer,
        audience: issuer.audience ?? options.resource,
        jwksUri: issuer.jwksUri,
        keys: issuer.keys as JSONWebKeySet | undefined,
        sharedSecret: issuer.sharedSecret,
        algorithms: issuer.algorithms,
        clockToleranceSeconds: issuer.clockToleranceSeconds,
        requiredScopes: issuer.requiredScopes,
        groupsClaim: issuer.groupsClaim,
        typ: issuer.typ,
        fetch: options.fetch,
        now: options.now,
      }),
    ),
  );
  if (config.apiKeys?.length)
    authenticators.push(createApiKeyAuthenticator({ keys: config.apiKeys }));
  if (config.mtls?.length) authenticators.push(createCertificateAuthenticator(config.mtls));
  const scopes = issuers.flatMap((issuer) => issuer.scopesSupported ?? issuer.requiredScopes ?? []);
  return {
    authenticators,
    authorizationServers: issuers.map((issuer) => issuer.issuer),
    scopesSupported: [...new Set(scopes)],
  };
}
