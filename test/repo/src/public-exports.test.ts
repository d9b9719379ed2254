import { describe, expect, it } from 'vitest';

/**
 * Pins the public API of every package: a change to an export list shows up here, in review.
 * Update deliberately with `pnpm --filter @fedmcp/repo-tests test -u`.
 */
async function exportsOf(specifier: string): Promise<string[]> {
  const module: Record<string, unknown> = await import(/* @vite-ignore */ specifier);
  return Object.keys(module)
    .sort()
    .map((name) => `${name}: ${typeof module[name]}`);
}

describe('public exports', () => {
  it('@fedmcp/protocol', async () => {
    expect(await exportsOf('@fedmcp/protocol')).toMatchInlineSnapshot(`
      [
        "ActorClaimSchema: object",
        "CanceledError: function",
        "ConsentRequiredError: function",
        "DEFAULT_EXPOSED_NAME_MAX_LENGTH: number",
        "DEFAULT_HUB_URI_SCHEME: string",
        "DEFAULT_MAX_HOPS: number",
        "DISCOVERY_DOCUMENT_PATH: string",
        "DiscoveryDocumentSchema: object",
        "DiscoveryTransportSchema: object",
        "FEDMCP_ERROR_BRAND: symbol",
        "FEDMCP_ERROR_CODES: object",
        "FEDMCP_META_PREFIX: string",
        "FEDMCP_PROTOCOL_VERSIONS: object",
        "FEDMCP_VERSION: string",
        "FedmcpError: function",
        "HOP_TRAIL_META_KEY: string",
        "HopTrailSchema: object",
        "HubIdSchema: object",
        "InvalidConfigError: function",
        "InvalidRequestError: function",
        "LoopDetectedError: function",
        "MCP_TOOL_NAME_MAX_LENGTH: number",
        "MCP_TOOL_NAME_PATTERN: object",
        "NAMESPACE_PREFIX_PATTERN: object",
        "NAMESPACE_SEPARATOR: string",
        "NotFoundError: function",
        "ON_BEHALF_OF_META_KEY: string",
        "ORIGIN_META_KEY: string",
        "OnBehalfOfSchema: object",
        "OriginSchema: object",
        "PEER_TOKEN_MAX_LIFETIME_SECONDS: number",
        "PeerTokenClaimsSchema: object",
        "PolicyDeniedError: function",
        "RateLimitedError: function",
        "RequestTimeoutError: function",
        "TRACEPARENT_META_KEY: string",
        "TRACESTATE_META_KEY: string",
        "TraceparentSchema: object",
        "TracestateSchema: object",
        "TransportClosedError: function",
        "UnauthenticatedError: function",
        "UpstreamUnavailableError: function",
        "actorChain: function",
        "appendHop: function",
        "assertNamespacePrefix: function",
        "canonicalJson: function",
        "checkHopTrail: function",
        "childLogger: function",
        "createChildTraceparent: function",
        "createNameTable: function",
        "createNamespaceCodec: function",
        "createResourceUriTable: function",
        "createSpanId: function",
        "createTraceparent: function",
        "extendOrigin: function",
        "fedmcpCodeForJsonRpcCode: function",
        "fromHubResourceUri: function",
        "httpStatusFor: function",
        "isFedmcpErrorCode: function",
        "isHubResourceUri: function",
        "isValidMcpToolName: function",
        "isValidNamespacePrefix: function",
        "isValidTraceparent: function",
        "isValidTracestate: function",
        "jsonRpcCodeFor: function",
        "parseDiscoveryDocument: function",
        "parseTraceparent: function",
        "readHopTrail: function",
        "readMetaValue: function",
        "readOnBehalfOf: function",
        "readOrigin: function",
        "readTraceContext: function",
        "recordHop: function",
        "sanitizeMcpToolName: function",
        "silentLogger: object",
        "toHubResourceUri: function",
        "toHubResourceUriTemplate: function",
        "toNamespaceId: function",
        "validateMcpToolName: function",
        "withChildSpan: function",
        "withOnBehalfOf: function",
        "withOrigin: function",
        "withTraceContext: function",
        "writeMetaValue: function",
      ]
    `);
  });
  it('@fedmcp/transports', async () => {
    expect(await exportsOf('@fedmcp/transports')).toMatchInlineSnapshot(`
      [
        "CORS_EXPOSED_HEADERS: string",
        "DEFAULT_PROBE_TIMEOUT_MS: number",
        "DEFAULT_RESTART_BACKOFF: object",
        "DEFAULT_UPSTREAM_CLIENT_INFO: object",
        "DEFAULT_UPSTREAM_TIMEOUT_MS: number",
        "InMemoryTransport: function",
        "JsonRpcErrorCode: object",
        "MAX_SESSION_ID_LENGTH: number",
        "MCP_WEBSOCKET_SUBPROTOCOL: string",
        "MIN_CLUSTER_SECRET_LENGTH: number",
        "UpstreamClient: function",
        "WebSocketClientTransport: function",
        "authenticationErrorResponse: function",
        "childTransportLogger: function",
        "computeRestartDelay: function",
        "connectUpstream: function",
        "createClusterSessions: function",
        "createCorsPolicy: function",
        "createHostValidator: function",
        "createInMemoryEventStore: function",
        "createInMemoryTransportPair: function",
        "createJsonRpcError: function",
        "createSessionRevocations: function",
        "createSessionTokens: function",
        "createStoreEventStore: function",
        "createUpstreamClient: function",
        "createUpstreamTransport: function",
        "createWebSocketClientTransport: function",
        "expireSessionEvents: function",
        "initializeParamsOf: function",
        "isAuthInfoShaped: function",
        "isJsonRpcMessageShape: function",
        "isSessionEventStores: function",
        "isStdioUpstreamSpec: function",
        "looksLikeSseOnlyServer: function",
        "normalizeOrigin: function",
        "parseUpstreamSpec: function",
        "remoteUpstreamSpecSchema: object",
        "remoteUpstreamTypes: object",
        "replayLogLevel: function",
        "requestedRemoteTransport: function",
        "restoreSession: function",
        "runAuthenticate: function",
        "scopeEventStore: function",
        "setLevelOf: function",
        "silentTransportLogger: object",
        "stdioUpstreamSpecSchema: object",
        "upstreamCacheKey: function",
        "upstreamSpecSchema: object",
      ]
    `);
  });
  it('@fedmcp/transports/node', async () => {
    expect(await exportsOf('@fedmcp/transports/node')).toMatchInlineSnapshot(`
      [
        "DEFAULT_KILL_GRACE_MS: number",
        "RequestBodyTooLargeError: function",
        "SupervisedStdioTransport: function",
        "connectUpstream: function",
        "createMcpHttpHost: function",
        "createSseServerTransport: function",
        "createStdioHost: function",
        "createSupervisedStdioTransport: function",
        "createWebSocketServerTransport: function",
        "peerCertificateOf: function",
        "readBody: function",
        "requestUrlOf: function",
        "toAuthRequest: function",
        "toBodylessRequest: function",
      ]
    `);
  });
  it('@fedmcp/store', async () => {
    expect(await exportsOf('@fedmcp/store')).toMatchInlineSnapshot(`
      [
        "StoreError: function",
        "compareStreamIds: function",
        "createMemoryStore: function",
        "formatStreamId: function",
        "parseStreamId: function",
      ]
    `);
  });
  it('@fedmcp/store/node', async () => {
    expect(await exportsOf('@fedmcp/store/node')).toMatchInlineSnapshot(`
      [
        "createPostgresStore: function",
        "createRedisStore: function",
        "createSqliteStore: function",
        "createStore: function",
        "defaultSqlitePath: string",
        "defaultStoreUrl: string",
      ]
    `);
  });
  it('@fedmcp/store/postgres', async () => {
    expect(await exportsOf('@fedmcp/store/postgres')).toMatchInlineSnapshot(`
      [
        "createPostgresStore: function",
      ]
    `);
  });
  it('@fedmcp/store/durable-object', async () => {
    expect(await exportsOf('@fedmcp/store/durable-object')).toMatchInlineSnapshot(`
      [
        "FedmcpStoreObject: function",
        "createDurableObjectStore: function",
      ]
    `);
  });
  it('@fedmcp/proxy-auth', async () => {
    expect(await exportsOf('@fedmcp/proxy-auth')).toMatchInlineSnapshot(`
      [
        "ACCESS_TOKEN_TYPE: string",
        "ANONYMOUS_SUBJECT: string",
        "API_KEY_PREFIX: string",
        "CLIENT_CREDENTIAL_HEADERS: object",
        "CONSENT_CHOICES: object",
        "DEFAULT_AUDIT_STREAM: string",
        "DEFAULT_CONSENT_PERIODS: object",
        "DEFAULT_JWT_ALGORITHMS: object",
        "DEFAULT_KEY_ACTIVATION_DELAY_MS: number",
        "DEFAULT_KEY_GRACE_PERIOD_MS: number",
        "DEFAULT_MAX_STEP_UPS: number",
        "DEFAULT_PEER_TOKEN_TTL_SECONDS: number",
        "LIST_USE_ACTIONS: object",
        "PEER_TOKEN_ALGORITHMS: object",
        "PEER_TOKEN_TYPE: string",
        "POLICY_ACTIONS: object",
        "PROTECTED_RESOURCE_METADATA_PATH: string",
        "REDACTED: string",
        "SECRET_KEY_PATTERN: object",
        "SUBJECT_KINDS: object",
        "TOKEN_ENDPOINT_AUTH_METHODS: object",
        "TOKEN_EXCHANGE_GRANT_TYPE: string",
        "accessTokenOf: function",
        "anonymousPrincipal: function",
        "apiKeyConfigSchema: object",
        "argsDigest: function",
        "authConfigSchema: object",
        "authenticateRequest: function",
        "authenticationErrorResponse: function",
        "buildActorClaim: function",
        "buildBearerChallenge: function",
        "buildInsufficientScopeChallenge: function",
        "buildProtectedResourceMetadata: function",
        "buildUnauthorizedChallenge: function",
        "canonicalResourceUri: function",
        "certificateIdentities: function",
        "certificateRuleConfigSchema: object",
        "compileGlob: function",
        "consentElicitation: function",
        "consentRequiredError: function",
        "constantTimeEqual: function",
        "createApiKeyAuthenticator: function",
        "createAuditLog: function",
        "createAuthenticators: function",
        "createCertificateAuthenticator: function",
        "createConsentLedger: function",
        "createEncryptedOAuthCredentialStore: function",
        "createHubKeyring: function",
        "createJwksCache: function",
        "createJwtVerifier: function",
        "createLoggerAuditSink: function",
        "createMemoryOAuthCredentialStore: function",
        "createPeerTokenCache: function",
        "createPeerTokenFetch: function",
        "createPeerTokenVerifier: function",
        "createPolicy: function",
        "createRateLimiter: function",
        "createRedactingLogger: function",
        "createStreamAuditSink: function",
        "createTokenExchange: function",
        "createTokenIntrospector: function",
        "createUpstreamOAuthProvider: function",
        "decideAnonymousAccess: function",
        "defaultClaimsToPrincipal: function",
        "discoverJwksUri: function",
        "generateApiKey: function",
        "generateHubKey: function",
        "generateOAuthCredentialKey: function",
        "hashApiKey: function",
        "hubKeyFingerprint: function",
        "insufficientScopeError: function",
        "introspectionConfigSchema: object",
        "invalidCredentialsError: function",
        "isGlob: function",
        "isLoopbackHost: function",
        "issuerMetadataUrls: function",
        "matchGlob: function",
        "mintPeerToken: function",
        "normaliseFingerprint: function",
        "oauthCredentialKey: function",
        "oauthIssuerConfigSchema: object",
        "parseAuthConfig: function",
        "parseConsentAnswer: function",
        "parseConsentPeriod: function",
        "parsePolicyRules: function",
        "policyDeniedError: function",
        "policyRuleSchema: object",
        "principalFromCertificate: function",
        "principalFromPatterns: function",
        "protectedResourceMetadataPaths: function",
        "protectedResourceMetadataResponse: function",
        "protectedResourceMetadataUrl: function",
        "rateLimitedError: function",
        "readAuditEvents: function",
        "redactSecrets: function",
        "rememberAccessToken: function",
        "resolveSecretReferences: function",
        "revokeUpstreamTokens: function",
        "stripClientCredentials: function",
        "upstreamOAuthConfigSchema: object",
        "withTokenExchange: function",
        "withUpstreamOAuth: function",
      ]
    `);
  });
  it('@fedmcp/proxy-auth/node', async () => {
    expect(await exportsOf('@fedmcp/proxy-auth/node')).toMatchInlineSnapshot(`
      [
        "HUB_KEYS_FILE_NAME: string",
        "generateSecretKey: function",
        "hubKeysPath: function",
        "loadOrCreateHubKeys: function",
        "loadOrCreateKeyFile: function",
        "openSecretsFile: function",
        "parseSecretKey: function",
        "readHubKeys: function",
        "writeHubKeys: function",
      ]
    `);
  });
  it('@fedmcp/federation', async () => {
    expect(await exportsOf('@fedmcp/federation')).toMatchInlineSnapshot(`
      [
        "ACCESS_INPUT_KEY: string",
        "DEFAULT_MAX_INSTRUCTIONS_CHARS: number",
        "DiscoverCache: function",
        "HUB_STATUS_PATH: string",
        "JWKS_PATH: string",
        "MAX_DISCOVER_TTL_MS: number",
        "NAME_SEPARATOR: string",
        "NEW_ITEM_REASON: string",
        "PINNED_FIELDS: object",
        "REQUIRES_CLIENT_CAPABILITIES_META: string",
        "UPSTREAM_CLIENT_CAPABILITIES: object",
        "assertSecurePeerUrl: function",
        "authorizeUpstream: function",
        "canUseTool: function",
        "canonicalDefinition: function",
        "canonicalJson: function",
        "changedFields: function",
        "composeWebRoutes: function",
        "connectEdgeUpstream: function",
        "connectRemoteUpstream: function",
        "contextCacheKey: function",
        "createConsentStep: function",
        "createDiscoveryDocument: function",
        "createDiscoveryRoutes: function",
        "createEdgeConnector: function",
        "createFederatedStatus: function",
        "createHub: function",
        "createHubHandler: function",
        "createHubIdentity: function",
        "createOAuthUpstreamConnector: function",
        "createPeerAuthentication: function",
        "createPeerConnector: function",
        "createPeerFederatedStatus: function",
        "createPolicyAccess: function",
        "createStatusRoute: function",
        "createTaskAdmin: function",
        "createTokenExchangeConnector: function",
        "createToolPinning: function",
        "defineHubObject: function",
        "diffDefinitions: function",
        "digestDefinition: function",
        "discoverPeer: function",
        "exposeName: function",
        "exposeTaskId: function",
        "exposeUri: function",
        "forwardToHubObject: function",
        "hubIdFromUrl: function",
        "hubStatusUrl: function",
        "importedPeers: function",
        "isUiUri: function",
        "mapUiMeta: function",
        "mergeInstructions: function",
        "parseHubStatusQuery: function",
        "parsePinFile: function",
        "peerBaseUrl: function",
        "peerMcpEndpoint: function",
        "peerSessionOwner: function",
        "peerUpstreamSpec: function",
        "peerUpstreams: function",
        "requiredCapabilitiesOf: function",
        "signWebhook: function",
        "toTrustedPeers: function",
        "uiResourceUriOf: function",
      ]
    `);
  });
  it('@fedmcp/federation/node', async () => {
    expect(await exportsOf('@fedmcp/federation/node')).toMatchInlineSnapshot(`
      [
        "connectNodeUpstream: function",
        "createHub: function",
        "createHubServer: function",
        "openHubIdentityFile: function",
        "sendWebResponse: function",
        "toNodeRoute: function",
        "toWebRequest: function",
      ]
    `);
  });
  it('@fedmcp/runtime-features', async () => {
    expect(await exportsOf('@fedmcp/runtime-features')).toMatchInlineSnapshot(`
      [
        "DEAD_LETTER_STREAM: string",
        "DEAD_LETTER_URI: string",
        "DEFAULT_MAX_BODY_BYTES: number",
        "DEFAULT_TOLERANCE_SEC: number",
        "INTENT_TYPES: object",
        "MAX_INTENT_TEXT_LENGTH: number",
        "MAX_TRANSCRIPT_LENGTH: number",
        "MAX_UTTERANCES: number",
        "STATUS_URI: string",
        "TRANSCRIPT_FORMATS: object",
        "automationRunUri: function",
        "checkCron: function",
        "createAutomationRunner: function",
        "createBuiltinIntentEngine: function",
        "createOpenAiIntentEngine: function",
        "createRuntimeServer: function",
        "createSamplingIntentEngine: function",
        "createWebhookInbox: function",
        "createWebhookReceiver: function",
        "detectIntents: function",
        "detectIntentsInputSchema: object",
        "detectIntentsOutputSchema: object",
        "detectTranscriptFormat: function",
        "detectedIntentSchema: object",
        "evaluateIntentEngine: function",
        "findDueDate: function",
        "inboxStream: function",
        "intentDataSet: function",
        "parseInboxEntry: function",
        "parseTranscript: function",
        "processTranscript: function",
        "processTranscriptInputSchema: object",
        "processTranscriptOutputSchema: object",
        "renderTemplate: function",
        "splitTrigger: function",
        "splitUtterances: function",
        "transcriptAsText: function",
        "utteranceIntentsSchema: object",
        "utteranceSchema: object",
        "verifyWebhook: function",
        "webhookEventUri: function",
        "webhookEventsUri: function",
      ]
    `);
  });
  it('@fedmcp/edge-providers', async () => {
    expect(await exportsOf('@fedmcp/edge-providers')).toMatchInlineSnapshot(`
      [
        "EdgeProviderError: function",
        "FLY_CONFIG_PATH: string",
        "MIGRATION_TAG: string",
        "cloudflareModuleType: function",
        "createCloudflareProvider: function",
        "createFlyProvider: function",
        "createSupabaseProvider: function",
        "explainProviderError: function",
        "flyToml: function",
        "workerMetadata: function",
      ]
    `);
  });
  it('@fedmcp/edge-providers/node', async () => {
    expect(await exportsOf('@fedmcp/edge-providers/node')).toMatchInlineSnapshot(`
      [
        "startCloudflareFake: function",
        "startFlyFake: function",
        "startSupabaseFake: function",
      ]
    `);
  });
  it('@fedmcp/server', async () => {
    expect(await exportsOf('@fedmcp/server')).toMatchInlineSnapshot(`
      [
        "CLUSTER_CONFIG_CHANNEL: string",
        "ConfigError: function",
        "FEDMCP_SERVER_VERSION: string",
        "JWKS_PATH: string",
        "USER_LOGIN_TTL_MS: number",
        "buildDiscoveryDocument: function",
        "checkAnonymousAccess: function",
        "closestName: function",
        "configSchema: object",
        "createConfigSync: function",
        "createDiscoveryRoutes: function",
        "createFedmcpServer: function",
        "createLogger: function",
        "createPeerAuthentication: function",
        "createServerAuthentication: function",
        "createUserUpstreamOAuth: function",
        "editDistance: function",
        "hubIdOf: function",
        "hubKeysFile: function",
        "hubResourceUri: function",
        "interpolateEnv: function",
        "isLogLevel: function",
        "keyGracePeriodMs: function",
        "loadConfig: function",
        "loadTlsFiles: function",
        "logLevels: object",
        "loginUpstream: function",
        "logoutUpstream: function",
        "mcpServerEntryKeys: object",
        "openConfigSecrets: function",
        "openServerHubIdentity: function",
        "parseConfig: function",
        "peerBaseUrl: function",
        "peerConfigSchema: object",
        "peersConfigSchema: object",
        "principalKey: function",
        "readConfigFile: function",
        "redactedLogPaths: object",
        "resolveConfigPaths: function",
        "resolveConfigSecrets: function",
        "secretsLocation: function",
        "stripJsonComments: function",
        "tlsFilePaths: function",
        "toUpstreamConfig: function",
        "trustedPeersOf: function",
        "upstreamIdFromName: function",
        "upstreamsFromConfig: function",
        "userDataDirectory: function",
        "watchConfig: function",
        "watchTlsFiles: function",
      ]
    `);
  });
  it('fedmcp (the CLI as a library)', async () => {
    expect(await exportsOf('fedmcp')).toMatchInlineSnapshot(`
      [
        "runCli: function",
      ]
    `);
  });
});
