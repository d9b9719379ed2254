// @fedmcp/proxy-auth: who is calling (OAuth resource server, API keys, mTLS), what they may do
// (policy engine, rate limits) and a record of it (audit). Web-standard; Node-only parts (the
// encrypted secrets file) live in `@fedmcp/proxy-auth/node`.

export type { Logger } from '@fedmcp/protocol';
export type { ApiKeyAuthenticator, ApiKeyAuthenticatorOptions, ApiKeyEntry } from './api-keys.js';
export {
  API_KEY_PREFIX,
  createApiKeyAuthenticator,
  generateApiKey,
  hashApiKey,
} from './api-keys.js';
export type {
  AuditEvent,
  AuditEventInput,
  AuditEventType,
  AuditLog,
  AuditLogOptions,
  AuditOutcome,
  AuditPrincipal,
  AuditSink,
  AuditStreamReader,
  AuditStreamWriter,
  LoggerAuditSinkOptions,
} from './audit-log.js';
export {
  createAuditLog,
  createLoggerAuditSink,
  createStreamAuditSink,
  DEFAULT_AUDIT_STREAM,
  readAuditEvents,
} from './audit-log.js';
export type {
  AuthConfig,
  AuthConfigInput,
  ConfiguredAuthentication,
  CreateAuthenticatorsOptions,
} from './auth-config.js';
export {
  apiKeyConfigSchema,
  authConfigSchema,
  certificateRuleConfigSchema,
  createAuthenticators,
  oauthIssuerConfigSchema,
  parseAuthConfig,
} from './auth-config.js';
export type { AuthenticationErrorData } from './auth-errors.js';
export { insufficientScopeError, invalidCredentialsError } from './auth-errors.js';
export {
  authenticationErrorResponse,
  protectedResourceMetadataResponse,
} from './auth-responses.js';
export type {
  AuthenticateRequestOptions,
  AuthenticationRequest,
  Authenticator,
  HeadersLike,
  PresentedCredentials,
} from './authenticate-request.js';
export { authenticateRequest } from './authenticate-request.js';
export type {
  CertificateIdentities,
  CertificateMatch,
  CertificateRule,
  PeerCertificateLike,
} from './certificate-principal.js';
export {
  certificateIdentities,
  createCertificateAuthenticator,
  principalFromCertificate,
} from './certificate-principal.js';
export type {
  ConsentAnswer,
  ConsentChoice,
  ConsentChoiceField,
  ConsentElicitationOptions,
  ConsentElicitationParams,
  ConsentRequiredErrorInput,
  LegacyConsentChoiceField,
  ParseConsentAnswerOptions,
} from './consent-elicitation.js';
export {
  CONSENT_CHOICES,
  consentElicitation,
  consentRequiredError,
  DEFAULT_CONSENT_PERIODS,
  parseConsentAnswer,
  parseConsentPeriod,
} from './consent-elicitation.js';
export type {
  ConsentAnswerInput,
  ConsentCheckInput,
  ConsentDecision,
  ConsentFilter,
  ConsentLedger,
  ConsentLedgerOptions,
  ConsentRecord,
  ConsentRecordInput,
  ConsentRevokeInput,
  ConsentScope,
  ConsentSource,
  ConsentStore,
} from './consent-ledger.js';
export { argsDigest, createConsentLedger } from './consent-ledger.js';
export { constantTimeEqual } from './constant-time-equal.js';
export type { JwtVerifier, JwtVerifierOptions } from './create-jwt-verifier.js';
export {
  createJwtVerifier,
  DEFAULT_JWT_ALGORITHMS,
  defaultClaimsToPrincipal,
} from './create-jwt-verifier.js';
export type {
  AppliedRateLimit,
  Policy,
  PolicyDecision,
  PolicyInput,
  PolicyOptions,
} from './create-policy.js';
export { createPolicy, LIST_USE_ACTIONS, policyDeniedError } from './create-policy.js';
export type { ChildLogger, RedactingLoggerOptions } from './create-redacting-logger.js';
export { createRedactingLogger } from './create-redacting-logger.js';
export type {
  AnonymousAccessDecision,
  AnonymousAccessOptions,
} from './decide-anonymous-access.js';
export { decideAnonymousAccess, isLoopbackHost } from './decide-anonymous-access.js';
export type { DiscoverJwksUriOptions } from './discover-jwks-uri.js';
export { discoverJwksUri, issuerMetadataUrls } from './discover-jwks-uri.js';
export type { GlobMatcher } from './glob.js';
export { compileGlob, isGlob, matchGlob } from './glob.js';
export type {
  HubKeyAlgorithm,
  HubKeyring,
  HubKeyringOptions,
  HubSigningKey,
  PublishedHubKey,
  StoredHubKey,
} from './hub-identity.js';
export {
  createHubKeyring,
  DEFAULT_KEY_ACTIVATION_DELAY_MS,
  DEFAULT_KEY_GRACE_PERIOD_MS,
  generateHubKey,
  hubKeyFingerprint,
  normaliseFingerprint,
} from './hub-identity.js';
export type { TokenIntrospector, TokenIntrospectorOptions } from './introspection.js';
export { createTokenIntrospector } from './introspection.js';
export { introspectionConfigSchema } from './introspection-config.js';
export type { JwksCache, JwksCacheOptions } from './jwks-cache.js';
export { createJwksCache } from './jwks-cache.js';
export type { EncryptedOAuthCredentialStoreOptions } from './oauth-client/encrypted-credential-store.js';
export {
  createEncryptedOAuthCredentialStore,
  generateOAuthCredentialKey,
} from './oauth-client/encrypted-credential-store.js';
export type {
  OAuthCredentialStore,
  OAuthCredentials,
  OAuthHolder,
} from './oauth-client/oauth-credential-store.js';
export {
  createMemoryOAuthCredentialStore,
  oauthCredentialKey,
} from './oauth-client/oauth-credential-store.js';
export type { RevokeUpstreamTokensOptions } from './oauth-client/revoke-upstream-tokens.js';
export { revokeUpstreamTokens } from './oauth-client/revoke-upstream-tokens.js';
export type {
  UpstreamOAuthConfig,
  UpstreamOAuthConfigInput,
} from './oauth-client/upstream-oauth-config.js';
export {
  TOKEN_ENDPOINT_AUTH_METHODS,
  upstreamOAuthConfigSchema,
} from './oauth-client/upstream-oauth-config.js';
export type {
  UpstreamOAuthEvent,
  UpstreamOAuthProvider,
  UpstreamOAuthProviderOptions,
} from './oauth-client/upstream-oauth-provider.js';
export { createUpstreamOAuthProvider } from './oauth-client/upstream-oauth-provider.js';
export type {
  AuthorizationResponse,
  AuthorizeUpstream,
  UpstreamOAuthFetchOptions,
} from './oauth-client/with-upstream-oauth.js';
export { DEFAULT_MAX_STEP_UPS, withUpstreamOAuth } from './oauth-client/with-upstream-oauth.js';
export type { MintedPeerToken, MintPeerTokenOptions } from './peer-token.js';
export {
  buildActorClaim,
  DEFAULT_PEER_TOKEN_TTL_SECONDS,
  mintPeerToken,
  PEER_TOKEN_TYPE,
} from './peer-token.js';
export type {
  PeerTokenCache,
  PeerTokenCacheOptions,
  PeerTokenRequest,
} from './peer-token-cache.js';
export { createPeerTokenCache } from './peer-token-cache.js';
export type { PeerTokenFetchOptions } from './peer-token-fetch.js';
export { createPeerTokenFetch } from './peer-token-fetch.js';
export type {
  PeerTokenVerifier,
  PeerTokenVerifierOptions,
  TrustedPeer,
} from './peer-token-verifier.js';
export { createPeerTokenVerifier, PEER_TOKEN_ALGORITHMS } from './peer-token-verifier.js';
export type {
  ParsedPolicyRule,
  PolicyCondition,
  PolicyRateLimit,
  PolicyRule,
} from './policy-schema.js';
export {
  POLICY_ACTIONS,
  parsePolicyRules,
  policyRuleSchema,
  SUBJECT_KINDS,
} from './policy-schema.js';
export type { AuthMethod, Principal } from './principal.js';
export { ANONYMOUS_SUBJECT, anonymousPrincipal } from './principal.js';
export { principalFromPatterns } from './principal-from-patterns.js';
export type {
  ProtectedResourceMetadata,
  ProtectedResourceMetadataOptions,
} from './protected-resource-metadata.js';
export {
  buildProtectedResourceMetadata,
  canonicalResourceUri,
  PROTECTED_RESOURCE_METADATA_PATH,
  protectedResourceMetadataPaths,
  protectedResourceMetadataUrl,
} from './protected-resource-metadata.js';
export type {
  CounterStore,
  KeyedRateLimit,
  RateLimiter,
  RateLimiterOptions,
  RateLimitResult,
  RateLimitSpec,
} from './rate-limiter.js';
export { createRateLimiter, rateLimitedError } from './rate-limiter.js';
export type { RedactOptions } from './redact-secrets.js';
export { REDACTED, redactSecrets, SECRET_KEY_PATTERN } from './redact-secrets.js';
export type {
  ResolveSecretReferencesOptions,
  SecretSource,
} from './resolve-secret-references.js';
export { resolveSecretReferences } from './resolve-secret-references.js';
export {
  CLIENT_CREDENTIAL_HEADERS,
  stripClientCredentials,
} from './strip-client-credentials.js';
// RFC 8693 token exchange: a caller's access token for an upstream's (per-user credentials).
export { accessTokenOf, rememberAccessToken } from './subject-token.js';
export {
  ACCESS_TOKEN_TYPE,
  createTokenExchange,
  type ExchangedToken,
  TOKEN_EXCHANGE_GRANT_TYPE,
  type TokenExchange,
  type TokenExchangeFetchOptions,
  type TokenExchangeOptions,
  withTokenExchange,
} from './token-exchange.js';
export type {
  BearerChallengeOptions,
  BearerErrorCode,
  InsufficientScopeChallengeOptions,
  UnauthorizedChallengeOptions,
} from './www-authenticate.js';
export {
  buildBearerChallenge,
  buildInsufficientScopeChallenge,
  buildUnauthorizedChallenge,
} from './www-authenticate.js';
