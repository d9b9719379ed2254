/**
 * The `oauth` block of an upstream: how the hub, as an OAuth 2.1 client, gets tokens for an
 * upstream MCP server protected per the MCP authorization spec (2025-11-25).
 */
import * as z from 'zod';

/** Token endpoint client authentication methods the hub supports (RFC 7591 §2 names). */
export const TOKEN_ENDPOINT_AUTH_METHODS = [
  'none',
  'client_secret_basic',
  'client_secret_post',
  'private_key_jwt',
] as const;

/** One upstream's `oauth` block, validated. */
export const upstreamOAuthConfigSchema = z
  .strictObject({
    /**
     * `hub`: one token for the whole hub, obtained by an operator with `fedmcp auth login`.
     * `user`: one token per caller (principal), obtained through a URL elicitation.
     */
    mode: z.enum(['hub', 'user']).default('hub'),
    /** `authorization_code` (with PKCE S256) or `client_credentials` (machine to machine). */
    grant: z.enum(['authorization_code', 'client_credentials']).default('authorization_code'),
    /** A pre-registered client id. Without it: the client metadata document, else DCR. */
    clientId: z.string().min(1).optional(),
    /** The pre-registered client's secret (use `${secret:NAME}`). */
    clientSecret: z.string().min(1).optional(),
    /** How the hub authenticates at the token endpoint. @default chosen from the server's metadata */
    tokenEndpointAuthMethod: z.enum(TOKEN_ENDPOINT_AUTH_METHODS).optional(),
    /** For `private_key_jwt`: the PEM private key (use `${secret:NAME}`). */
    privateKey: z.string().min(1).optional(),
    /** For `private_key_jwt`: the JWS algorithm. @default 'ES256' */
    signingAlgorithm: z.string().min(1).optional(),
    /** Scopes to ask for. @default the `WWW-Authenticate` challenge's, else `scopes_supported` */
    scopes: z.array(z.string().min(1)).optional(),
    /** An https URL serving this client's metadata document (CIMD), used as its client id. */
    clientMetadataUrl: z.url({ protocol: /^https$/ }).optional(),
    /** How many 403 `insufficient_scope` step-ups one request may make. @default 2 */
    maxStepUps: z.number().int().min(0).max(5).optional(),
  })
  .superRefine((config, context) => {
    if (config.clientSecret !== undefined && config.clientId === undefined) {
      context.addIssue({
        code: 'custom',
        path: ['clientId'],
        message: 'clientSecret needs clientId (the pre-registered client it belongs to)',
      });
    }
    if (config.tokenEndpointAuthMethod === 'private_key_jwt' && config.privateKey === undefined) {
      context.addIssue({
        code: 'custom',
        path: ['privateKey'],
        message:
          'tokenEndpointAuthMethod "private_key_jwt" needs privateKey (a PEM private key; keep it in a secret)',
      });
    }
    if (config.grant === 'client_credentials' && config.clientId === undefined) {
      context.addIssue({
        code: 'custom',
        path: ['clientId'],
        message: 'grant "client_credentials" needs a pre-registered clientId',
      });
    }
  });

/** One upstream's `oauth` block as written in the config file. */
export type UpstreamOAuthConfigInput = z.input<typeof upstreamOAuthConfigSchema>;
/** One upstream's `oauth` block, with defaults applied. */
export type UpstreamOAuthConfig = z.output<typeof upstreamOAuthConfigSchema>;
