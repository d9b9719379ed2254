/**
 * `auth.oauth[].introspection`: how the hub checks opaque access tokens of an issuer (RFC 7662).
 */
import * as z from 'zod';

/** The `introspection` key of an OAuth issuer in the `auth` section. */
export const introspectionConfigSchema = z.strictObject({
  /** The introspection endpoint. @default the issuer metadata's `introspection_endpoint` */
  endpoint: z
    .string()
    .refine((value) => URL.canParse(value), 'expected an absolute URL')
    .optional(),
  /** The hub's client id at the authorization server. */
  clientId: z.string().min(1),
  /** The hub's client secret: use a `${secret:NAME}` reference. */
  clientSecret: z.string().min(1),
  /** How the hub authenticates to the endpoint. @default "client_secret_basic" */
  clientAuthMethod: z.enum(['client_secret_basic', 'client_secret_post']).optional(),
  /** Longest reuse of an answer, never past the token's `exp` (a revoked token lives this much longer). @default 60 */
  cacheMaxAgeSeconds: z.number().int().min(0).max(3600).optional(),
  /** Most answers kept. @default 10000 */
  cacheMaxEntries: z.number().int().min(1).max(1_000_000).optional(),
});
