/**
 * The `peers` section of the config: the hubs this hub trusts, by hub id, with their URL and how
 * their keys are trusted (the `jwksUri` of their discovery document by default, or a given
 * `jwksUri`, pinned `keys`, pinned key `fingerprint`s). Plain `http://` to a host other than this
 * machine is refused unless the peer has `allowInsecure: true`. The validated section is the
 * `PeersOptions` of `@fedmcp/federation`.
 */
import { isLoopbackHost } from '@fedmcp/proxy-auth';
import { z } from 'zod';

const hubIdPattern = /^[a-z0-9][a-z0-9-]{0,31}$/;

function isInsecure(url: string): boolean {
  const parsed = new URL(url);
  return parsed.protocol === 'http:' && !isLoopbackHost(parsed.hostname);
}

/** One peer. */
export const peerConfigSchema = z
  .object({
    /** The peer's base URL (where its `/.well-known/mcp-federation` is) or its MCP endpoint. */
    url: z.url({
      protocol: /^https?$/,
      error: 'expected an http:// or https:// URL of the peer hub',
    }),
    /** The peer's key set URL. @default the `jwksUri` of its discovery document */
    jwksUri: z
      .url({ protocol: /^https?$/, error: 'expected an http:// or https:// URL' })
      .optional(),
    /** Pinned public keys (a JWK Set): no key fetch at all. */
    keys: z
      .object({ keys: z.array(z.record(z.string(), z.unknown())).min(1) })
      .strict()
      .optional(),
    /** Accept only keys with these fingerprints (`SHA256:…`, as `fedmcp keys show` prints them). */
    fingerprint: z
      .union([z.string().min(1), z.array(z.string().min(1)).min(1)], {
        error: 'expected a "SHA256:…" fingerprint or a list of them',
      })
      .optional(),
    /** Take users' groups from this peer's tokens (it vouches for them), for `group:` policy rules. @default false */
    acceptGroups: z.boolean({ error: 'expected true or false' }).optional(),
    /** Allow plain http:// to a non-loopback peer (tokens and calls travel unencrypted). @default false */
    allowInsecure: z.boolean({ error: 'expected true or false' }).optional(),
    /**
     * Import the peer's tools, prompts and resources (the peer becomes an upstream, prefixed with
     * its id). `false` for a peer that only calls this hub: its tokens are trusted, nothing of it
     * is imported. @default true
     */
    import: z.boolean({ error: 'expected true or false' }).optional(),
    /** Per-call timeout of calls through this peer, in ms. @default the hub's (60 000) */
    timeoutMs: z.number().int().positive().optional(),
  })
  .strict()
  .superRefine((peer, context) => {
    if (peer.allowInsecure === true) return;
    for (const key of ['url', 'jwksUri'] as const) {
      const value = peer[key];
      if (value !== undefined && isInsecure(value)) {
        context.addIssue({
          code: 'custom',
          path: [key],
          message: `plain http:// to a host other than this machine is refused (tokens and calls would travel unencrypted); use https://, or set "allowInsecure": true on this peer`,
        });
      }
    }
  });

/** The `peers` section: hub id → peer. */
export const peersConfigSchema = z.record(
  z.string().regex(hubIdPattern, {
    error:
      'expected a hub id: 1–32 characters of a-z, 0-9 and "-", starting with a letter or digit',
  }),
  peerConfigSchema,
);

/** One validated peer. */
export type PeerConfig = z.output<typeof peerConfigSchema>;
/** The validated `peers` section. */
export type PeersConfig = z.output<typeof peersConfigSchema>;
