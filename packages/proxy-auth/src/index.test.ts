import { describe, expect, it } from 'vitest';
import * as root from './index.js';
import * as node from './node/index.js';

describe('@fedmcp/proxy-auth exports', () => {
  it('exposes exactly the reviewed runtime API', () => {
    expect(Object.keys(root).sort()).toMatchInlineSnapshot(`
      [
        "ANONYMOUS_SUBJECT",
        "API_KEY_PREFIX",
        "DEFAULT_AUDIT_STREAM",
        "DEFAULT_JWT_ALGORITHMS",
        "POLICY_ACTIONS",
        "PROTECTED_RESOURCE_METADATA_PATH",
        "REDACTED",
        "SECRET_KEY_PATTERN",
        "SUBJECT_KINDS",
        "anonymousPrincipal",
        "authenticateRequest",
        "buildBearerChallenge",
        "buildInsufficientScopeChallenge",
        "buildProtectedResourceMetadata",
        "buildUnauthorizedChallenge",
        "canonicalResourceUri",
        "certificateIdentities",
        "compileGlob",
        "constantTimeEqual",
        "createApiKeyAuthenticator",
        "createAuditLog",
        "createCertificateAuthenticator",
        "createJwksCache",
        "createJwtVerifier",
        "createLoggerAuditSink",
        "createPolicy",
        "createRateLimiter",
        "createStreamAuditSink",
        "defaultClaimsToPrincipal",
        "generateApiKey",
        "hashApiKey",
        "insufficientScopeError",
        "invalidCredentialsError",
        "isGlob",
        "matchGlob",
        "parsePolicyRules",
        "policyRuleSchema",
        "principalFromCertificate",
        "protectedResourceMetadataPaths",
        "protectedResourceMetadataUrl",
        "rateLimitedError",
        "readAuditEvents",
        "redactSecrets",
        "resolveSecretReferences",
      ]
    `);
    expect(Object.keys(node).sort()).toMatchInlineSnapshot(`
      [
        "generateSecretKey",
        "loadOrCreateKeyFile",
        "openSecretsFile",
        "parseSecretKey",
      ]
    `);
  });
});
