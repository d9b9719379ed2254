/**
 * The hub's front door: the `authenticate` hook, the Protected Resource Metadata routes and the
 * session-owner key of the HTTP host, built from the `auth` section of the config with
 * `@fedmcp/proxy-auth`. Every authentication result is an audit event. Reloadable: a new config
 * swaps the authenticators without dropping sessions.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { FedmcpError, type Logger } from '@fedmcp/protocol';
import {
  type AuditLog,
  anonymousPrincipal,
  authenticateRequest,
  authenticationErrorResponse,
  buildProtectedResourceMetadata,
  createAuthenticators,
  decideAnonymousAccess,
  isLoopbackHost,
  type Principal,
  type ProtectedResourceMetadata,
  protectedResourceMetadataResponse,
  protectedResourceMetadataUrl,
} from '@fedmcp/proxy-auth';
import type { McpAuthRequest } from '@fedmcp/transports';
import { peerCertificateOf } from '@fedmcp/transports/node';
import type { FedmcpConfig } from '../config/config-schema.js';

/** Options of {@link createServerAuthentication}. */
export interface ServerAuthenticationOptions {
  /** The config whose `auth` section (and `hub.host`) decides. */
  config: FedmcpConfig;
  /** The hub's canonical resource URI (see {@link hubResourceUri}). */
  resource: string;
  /** Where authentication results are recorded. */
  audit: AuditLog;
  /** Startup warnings (anonymous access) and failures. */
  logger: Logger;
  /** The fetch for issuers' key sets. @default globalThis.fetch */
  fetch?: typeof fetch;
  /**
   * A principal's successful authentications are recorded at most once per this interval
   * (every HTTP message is authenticated); failures are always recorded.
   * @default 60000
   */
  successAuditIntervalMs?: number;
}

/** The authentication of a running hub. */
export interface ServerAuthentication {
  /** The canonical resource URI tokens must be issued for. */
  readonly resource: string;
  /** Whether requests without credentials are served (as the `anonymous` principal). */
  readonly allowAnonymous: boolean;
  /** The metadata document served at the well-known paths, when OAuth is configured. */
  readonly metadata: ProtectedResourceMetadata | undefined;
  /**
   * The host's `authenticate` hook: a principal, or the 401/403 response to send. An anonymous
   * caller of a hub without client authentication is answered at once, without a promise (the
   * host takes either).
   */
  authenticate(request: McpAuthRequest): Principal | Promise<Principal | Response>;
  /** The host's `sessionOwner`: sessions belong to one principal. */
  sessionOwner(principal: unknown): string | undefined;
  /** Serves the Protected Resource Metadata (an `onRequest` route); `true` when it answered. */
  handleRequest(request: IncomingMessage, response: ServerResponse): Promise<boolean>;
  /**
   * Applies a new `auth` section.
   * @throws {FedmcpError} `INVALID_CONFIG` when it is invalid; the previous one stays in force.
   */
  reload(config: FedmcpConfig): void;
}

/**
 * The canonical resource URI of a hub (RFC 8707): `hub.url` when set, otherwise its MCP endpoint
 * on the address it listens on.
 */
export function hubResourceUri(
  config: FedmcpConfig,
  address?: { host: string; port: number },
): string {
  if (config.hub.url) return config.hub.url;
  const host = address?.host ?? config.hub.host;
  const port = address?.port ?? config.hub.port;
  const scheme = config.hub.tls ? 'https' : 'http';
  const name = host === '0.0.0.0' || host === '::' ? 'localhost' : host;
  return `${scheme}://${name.includes(':') ? `[${name}]` : name}:${port}/mcp`;
}

/**
 * Decides at startup whether the config may run: no authentication only when explicitly
 * configured (`auth.anonymous: true`) or on loopback (the returned warning should be logged).
 * @throws {InvalidConfigError} on a reachable address without authentication, saying how to fix it.
 */
export function checkAnonymousAccess(config: FedmcpConfig): {
  allowAnonymous: boolean;
  warning?: string;
} {
  const auth = config.auth ?? {};
  const clientAuthConfigured =
    auth.oauth !== undefined || (auth.apiKeys?.length ?? 0) > 0 || (auth.mtls?.length ?? 0) > 0;
  // Trusted peers authenticate with signed peer tokens: on a reachable address (or with anonymous
  // access turned off) a hub that only serves its peers may start. On loopback without client
  // auth, local anonymous clients keep working next to the peers.
  const peersConfigured = Object.keys(config.peers ?? {}).length > 0;
  const authConfigured =
    clientAuthConfigured ||
    (peersConfigured && (auth.anonymous === false || !isLoopbackHost(config.hub.host)));
  return decideAnonymousAccess({
    host: config.hub.host,
    authConfigured,
    ...(auth.anonymous === undefined ? {} : { allowAnonymous: auth.anonymous }),
  });
}

/** The session-owner key of a principal: its method, issuer and subject. */
export function principalKey(principal: unknown): string | undefined {
  if (typeof principal !== 'object' || principal === null) return undefined;
  const { subject, issuer, authMethod } = principal as Partial<Principal>;
  if (typeof subject !== 'string') return undefined;
  return `${authMethod ?? 'unknown'}|${issuer ?? ''}|${subject}`;
}

async function sendWebResponse(response: ServerResponse, answer: Response): Promise<void> {
  const headers: Record<string, string> = {};
  answer.headers.forEach((value, name) => {
    headers[name] = value;
  });
  response.writeHead(answer.status, headers);
  response.end(answer.body ? Buffer.from(await answer.arrayBuffer()) : undefined);
}

/**
 * Builds the hub's authentication from the config.
 *
 * @throws {FedmcpError} `INVALID_CONFIG` for an invalid `auth` section or a reachable address
 * without authentication.
 * @example
 * ```ts
 * const auth = createServerAuthentication({ config, resource: hubResourceUri(config), audit, logger });
 * createMcpHttpHost({ authenticate: auth.authenticate, sessionOwner: auth.sessionOwner, onRequest: auth.handleRequest, createServer });
 * ```
 */
export function createServerAuthentication(
  options: ServerAuthenticationOptions,
): ServerAuthentication {
  const { resource, audit, logger } = options;
  const build = (config: FedmcpConfig) => {
    const access = checkAnonymousAccess(config);
    const configured = createAuthenticators(config.auth ?? {}, {
      resource,
      ...(options.fetch ? { fetch: options.fetch } : {}),
    });
    const metadata =
      configured.authorizationServers.length > 0
        ? buildProtectedResourceMetadata({
            resource,
            authorizationServers: configured.authorizationServers,
            ...(configured.scopesSupported.length > 0
              ? { scopesSupported: configured.scopesSupported }
              : {}),
            ...(config.hub.name ? { resourceName: config.hub.name } : {}),
          })
        : undefined;
    return { access, configured, metadata };
  };
  let state = build(options.config);
  // Every HTTP message is authenticated; recording each success would put a durable write on
  // every forwarded call (it was half the hub's CPU in bench/gateway). A principal's successes are
  // recorded once per interval; failures are always recorded.
  const successIntervalMs = options.successAuditIntervalMs ?? 60_000;
  const lastSuccess = new Map<string, number>();
  const successKey = (principal: Principal): string =>
    `${principal.authMethod}\u0000${principal.issuer ?? ''}\u0000${principal.subject}`;
  const shouldRecordSuccess = (principal: Principal): boolean => {
    const key = successKey(principal);
    const now = Date.now();
    const last = lastSuccess.get(key);
    if (last !== undefined && now - last < successIntervalMs) return false;
    if (lastSuccess.size >= 10_000) lastSuccess.clear();
    lastSuccess.set(key, now);
    return true;
  };
  const anonymousKey = successKey(anonymousPrincipal());
  if (state.access.warning) logger.warn({ host: options.config.hub.host }, state.access.warning);

  function authenticate(request: McpAuthRequest): Principal | Promise<Principal | Response> {
    // The usual local caller: anonymous access allowed, no authenticator configured, and no
    // credential presented (one would be refused: no authenticator accepts it). authenticateRequest
    // decides the anonymous principal then; decided here without its chain of promises (a few µs
    // of every call), unless the success is due to be recorded (then as below).
    const { access, configured } = state;
    if (
      access.allowAnonymous &&
      configured.authenticators.length === 0 &&
      !request.headers.has('authorization') &&
      !request.headers.has('x-api-key')
    ) {
      const last = lastSuccess.get(anonymousKey);
      if (last !== undefined && Date.now() - last < successIntervalMs) return anonymousPrincipal();
    }
    return authenticateWithCredentials(request);
  }

  async function authenticateWithCredentials(
    request: McpAuthRequest,
  ): Promise<Principal | Response> {
    const { access, configured, metadata } = state;
    // Only an audit record needs it: parsed when one is written, not on every request.
    const action = () => `${request.method} ${new URL(request.url).pathname}`;
    try {
      const principal = await authenticateRequest(
        { headers: request.headers, ...peerCertificateOf(request) },
        configured.authenticators,
        {
          allowAnonymous: access.allowAnonymous,
          ...(metadata ? { resourceMetadataUrl: protectedResourceMetadataUrl(resource) } : {}),
          ...(configured.scopesSupported.length > 0 ? { scope: configured.scopesSupported } : {}),
        },
      );
      if (shouldRecordSuccess(principal)) {
        await audit.record({ type: 'auth', outcome: 'success', principal, action: action() });
      }
      return principal;
    } catch (error) {
      const refusal = authenticationErrorResponse(error);
      const reason = error instanceof Error ? error.message : String(error);
      await audit.record({
        type: 'auth',
        outcome: refusal ? 'failure' : 'error',
        action: action(),
        reason,
        ...(refusal ? { details: { status: refusal.status } } : {}),
      });
      if (refusal) return refusal;
      if (FedmcpError.isInstance(error) && error.code === 'UPSTREAM_UNAVAILABLE') {
        // The issuer's key set or introspection endpoint cannot be asked: the token is neither
        // good nor bad yet, so the client is told to retry (503), not to re-authenticate.
        logger.warn({ err: reason }, 'the authorization server cannot be reached');
        return authorizationServerUnavailable();
      }
      // Anything else: the host answers 500 without details.
      logger.error({ err: reason }, 'authentication failed with an unexpected error');
      throw error;
    }
  }

  return {
    resource,
    get allowAnonymous() {
      return state.access.allowAnonymous;
    },
    get metadata() {
      return state.metadata;
    },
    authenticate,
    sessionOwner: principalKey,
    async handleRequest(request, response) {
      const metadata = state.metadata;
      if (!metadata) return false;
      const answer = protectedResourceMetadataResponse(
        { method: request.method ?? 'GET', url: request.url ?? '/' },
        metadata,
      );
      if (!answer) return false;
      await sendWebResponse(response, answer);
      return true;
    },
    reload(config) {
      const next = build(config);
      if (next.access.warning && next.access.warning !== state.access.warning) {
        logger.warn({ host: config.hub.host }, next.access.warning);
      }
      state = next;
    },
  };
}

/** 503 for a token that cannot be checked now because its authorization server is unreachable. */
function authorizationServerUnavailable(): Response {
  const message =
    'The authorization server that checks this token cannot be reached; retry in a few seconds.';
  return new Response(
    JSON.stringify({ jsonrpc: '2.0', id: null, error: { code: -32000, message } }),
    {
      status: 503,
      headers: {
        'content-type': 'application/json',
        'retry-after': '5',
        'cache-control': 'no-store',
      },
    },
  );
}
