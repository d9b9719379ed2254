/**
 * `/upstreams/{id}/oauth-tokens`: revokes the stored OAuth tokens of an upstream with an `oauth`
 * block — the hub's (`"mode": "hub"`), or one user's (`"mode": "user"`, `?subject=` and, for
 * OAuth principals, `?issuer=`) — at the authorization server when it advertises a revocation
 * endpoint (RFC 7009), then forgets them; the user is asked to sign in again on their next call.
 * Audited (principal and upstream, never a token). What `fedmcp auth logout` does from a shell.
 *
 * `POST /upstreams/{id}/oauth-login` (where the hub finishes logins at its own `/oauth/callback`:
 * the edge hub) answers the authorization URL of the hub's own login (PKCE, single-use state);
 * `fedmcp auth login <id> --hub <url>` opens it and waits until the upstream is connected.
 */
import { FedmcpError } from '@fedmcp/protocol';
import type { OAuthHolder } from '@fedmcp/proxy-auth';
import * as z from 'zod';
import type { AdminContext } from '../admin-context.js';
import { type AdminRoute, defineRoute } from '../admin-route.js';
import { ProblemError } from '../problem.js';

/** What the routes need: the server's upstream OAuth (`HubUpstreamOAuth.logout`). */
export interface OAuthTokenAdmin {
  logout(upstreamId: string, holder?: OAuthHolder): Promise<boolean>;
  /**
   * Starts the hub's own login at an `authorization_code` upstream, redirected to the hub's
   * `/oauth/callback` (the edge hub: `fedmcp auth login <id> --hub <url>`). Absent on Node, where
   * `fedmcp auth login` listens on a loopback redirect itself.
   */
  login?(upstreamId: string): Promise<{ authorizationUrl: string }>;
  /** Whether the hub holds tokens for an upstream (with {@link OAuthTokenAdmin.login}). */
  loggedIn?(upstreamId: string): Promise<boolean>;
}

/** The OAuth token routes; none without the server's upstream OAuth. */
export function oauthTokenRoutes(context: Pick<AdminContext, 'upstreamOAuth'>): AdminRoute[] {
  const oauth = context.upstreamOAuth;
  if (!oauth) return [];
  const login = oauth.login?.bind(oauth);
  const loggedIn = oauth.loggedIn?.bind(oauth);
  return [
    defineRoute({
      method: 'DELETE',
      path: '/upstreams/{id}/oauth-tokens',
      operationId: 'revokeUpstreamOAuthTokens',
      summary:
        'Revokes and forgets the hub\'s OAuth tokens at an upstream, or one user\'s (subject, issuer) with "mode": "user" (audited).',
      tag: 'upstreams',
      params: z.object({ id: z.string().min(1) }),
      query: z.object({
        subject: z
          .string()
          .min(1)
          .optional()
          .describe('The user whose tokens go ("mode": "user"); omit for the hub\'s own.'),
        issuer: z
          .string()
          .min(1)
          .optional()
          .describe("The user's issuer (an OAuth principal's iss); omit for API-key users."),
      }),
      status: 204,
      handle: async ({ params, query }) => {
        if (query.issuer !== undefined && query.subject === undefined) {
          throw new ProblemError(400, 'issuer names the issuer of a subject: add subject.');
        }
        const holder =
          query.subject === undefined
            ? undefined
            : {
                subject: query.subject,
                ...(query.issuer !== undefined && { issuer: query.issuer }),
              };
        let deleted: boolean;
        try {
          deleted = await oauth.logout(params.id, holder);
        } catch (error) {
          if (!FedmcpError.isInstance(error)) throw error;
          throw new ProblemError(error.code === 'NOT_FOUND' ? 404 : 400, error.message);
        }
        if (!deleted) {
          throw new ProblemError(
            404,
            `${holder ? `"${holder.subject}"` : 'The hub'} has no OAuth token for "${params.id}".`,
          );
        }
        return undefined;
      },
    }),
    ...(login ? [loginRoute(login)] : []),
    ...(loggedIn ? [loginStatusRoute(loggedIn)] : []),
  ];
}

/** `GET /upstreams/{id}/oauth-login`: whether the hub's login finished (it holds tokens). */
function loginStatusRoute(loggedIn: NonNullable<OAuthTokenAdmin['loggedIn']>): AdminRoute {
  return defineRoute({
    method: 'GET',
    path: '/upstreams/{id}/oauth-login',
    operationId: 'getUpstreamOAuthLogin',
    summary: 'Whether the hub holds its own OAuth tokens for an upstream (its login finished).',
    tag: 'upstreams',
    params: z.object({ id: z.string().min(1) }),
    response: z.object({ loggedIn: z.boolean() }),
    handle: async ({ params }) => {
      try {
        return { loggedIn: await loggedIn(params.id) };
      } catch (error) {
        if (!FedmcpError.isInstance(error)) throw error;
        throw new ProblemError(error.code === 'NOT_FOUND' ? 404 : 502, error.message);
      }
    },
  });
}

/** `POST /upstreams/{id}/oauth-login`. */
function loginRoute(login: NonNullable<OAuthTokenAdmin['login']>): AdminRoute {
  return defineRoute({
    method: 'POST',
    path: '/upstreams/{id}/oauth-login',
    operationId: 'startUpstreamOAuthLogin',
    summary:
      "Starts the hub's own OAuth login at an authorization_code upstream: answers the authorization URL, redirected to the hub's /oauth/callback.",
    tag: 'upstreams',
    params: z.object({ id: z.string().min(1) }),
    response: z.object({ authorizationUrl: z.string() }),
    handle: async ({ params }) => {
      try {
        return await login(params.id);
      } catch (error) {
        if (!FedmcpError.isInstance(error)) throw error;
        throw new ProblemError(error.code === 'NOT_FOUND' ? 404 : 502, error.message);
      }
    },
  });
}
