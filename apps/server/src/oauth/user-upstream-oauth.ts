/**
 * Per-user upstream OAuth (issue 21, `"oauth": { "mode": "user" }`): web-standard, in
 * `@fedmcp/federation` (the edge hub runs the same code); re-exported here for the server.
 */
export {
  createUserUpstreamOAuth,
  USER_LOGIN_TTL_MS,
  type UserUpstreamOAuth,
  type UserUpstreamOAuthOptions,
} from '@fedmcp/federation';
