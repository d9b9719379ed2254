/**
 * `hub.cors`: which browser pages on other origins may call the hub's MCP endpoints. The public
 * well-known documents (Protected Resource Metadata, discovery, JWKS) are readable from any origin
 * without it; the Host check (DNS-rebinding protection) stays as it is.
 */
import type { Logger } from '@fedmcp/protocol';
import { type CorsPolicyOptions, normalizeOrigin } from '@fedmcp/transports';
import { z } from 'zod';

const fullOrigin = z
  .string({ error: 'expected an origin such as "https://client.example.com"' })
  .transform((value, context) => {
    try {
      return normalizeOrigin(value);
    } catch (error) {
      context.addIssue({ code: 'custom', message: (error as Error).message });
      return z.NEVER;
    }
  });

/** `hub.cors`: browser clients on other origins. */
export const hubCorsSection = z
  .object({
    /**
     * Full origins (scheme, host, port) whose pages may call `/mcp`, its views, `/sse` and
     * `/messages`, e.g. `["https://client.example.com"]`. Other origins get 403.
     */
    allowedOrigins: z.array(fullOrigin, { error: 'expected a list of origins' }),
    /** Send `Access-Control-Allow-Credentials: true` (cookies, client certificates). @default false */
    allowCredentials: z.boolean({ error: 'expected true or false' }).default(false),
    /** How long browsers may cache a preflight answer. @default 600 */
    maxAgeSeconds: z
      .number({ error: 'expected a number of seconds' })
      .int()
      .min(0, { error: 'expected a number of seconds between 0 and 86400' })
      .max(86_400, { error: 'expected a number of seconds between 0 and 86400' })
      .optional(),
  })
  .strict();

/** `hub.cors` after validation. */
export type HubCorsConfig = z.output<typeof hubCorsSection>;

/** What the HTTP host gets from `hub.cors` and the deprecated `hub.allowedOrigins`. */
export interface HostOriginOptions {
  cors?: CorsPolicyOptions;
  allowedOrigins?: string[];
}

/**
 * The host's CORS and Origin options. `hub.allowedOrigins` is deprecated: its full origins are
 * folded into `hub.cors.allowedOrigins` (they get CORS headers); its bare hostnames keep their old
 * meaning (they only pass the Origin check), with a warning saying what to write instead.
 */
export function hostOriginOptions(
  hub: { cors?: HubCorsConfig | undefined; allowedOrigins?: string[] | undefined },
  logger?: Logger,
): HostOriginOptions {
  const folded: string[] = [];
  const hostnames: string[] = [];
  for (const entry of hub.allowedOrigins ?? []) {
    try {
      folded.push(normalizeOrigin(entry));
    } catch {
      hostnames.push(entry);
    }
  }
  if (hub.allowedOrigins !== undefined) {
    logger?.warn(
      { allowedOrigins: hub.allowedOrigins },
      'hub.allowedOrigins is deprecated: list full origins in hub.cors.allowedOrigins ' +
        '(e.g. "https://client.example.com"); bare hostnames only pass the Origin check and give ' +
        'pages no CORS headers',
    );
  }
  const origins = [...new Set([...(hub.cors?.allowedOrigins ?? []), ...folded])];
  return {
    ...(origins.length > 0
      ? {
          cors: {
            origins,
            allowCredentials: hub.cors?.allowCredentials ?? false,
            ...(hub.cors?.maxAgeSeconds === undefined
              ? {}
              : { maxAgeSeconds: hub.cors.maxAgeSeconds }),
          },
        }
      : {}),
    ...(hostnames.length > 0 ? { allowedOrigins: hostnames } : {}),
  };
}
