/**
 * How a hub knows its peers: by hub id, each with its URL and how its keys are trusted. A peer is
 * both an upstream of the hub (unless `import: false`) and a hub whose peer tokens it accepts.
 * These are typed options: an app maps its own config file onto them.
 */
import { InvalidConfigError } from '@fedmcp/protocol';
import { isLoopbackHost, type TrustedPeer } from '@fedmcp/proxy-auth';
import type { UpstreamConfig } from '../hub-options.js';
import type { UpstreamSpec } from '../upstream-options.js';

/** One peer hub. */
export interface PeerOptions {
  /** The peer's base URL (where its `/.well-known/mcp-federation` is) or its MCP endpoint. */
  url: string;
  /** The peer's key set URL. @default the `jwksUri` of its discovery document */
  jwksUri?: string;
  /** Pinned public keys (a JWK Set): no key fetch at all. @default none */
  keys?: { keys: ReadonlyArray<Record<string, unknown>> };
  /** Accept only keys with these fingerprints (`SHA256:…`). @default any key of the peer */
  fingerprint?: string | readonly string[];
  /** Take users' groups from this peer's tokens (it vouches for them). @default false */
  acceptGroups?: boolean;
  /** Allow plain http:// to a non-loopback peer (tokens and calls travel unencrypted). @default false */
  allowInsecure?: boolean;
  /**
   * Import the peer's tools, prompts and resources (the peer becomes an upstream, prefixed with
   * its id). `false` for a peer that only calls this hub. @default true
   */
  import?: boolean;
  /** Per-call timeout of calls through this peer, in ms. @default the hub's */
  timeoutMs?: number;
}

/** The peers of a hub: hub id (`[a-z0-9][a-z0-9-]{0,31}`) → peer. */
export type PeersOptions = Readonly<Record<string, PeerOptions>>;

/** The base URL of a peer (its URL without a trailing `/mcp`), where its well-known documents live. */
export function peerBaseUrl(url: string): string {
  const parsed = new URL(url);
  parsed.pathname = parsed.pathname.replace(/\/mcp\/?$/, '/');
  parsed.search = '';
  parsed.hash = '';
  return parsed.href;
}

/** The MCP endpoint of a peer: its URL when it ends with `/mcp`, else `<url>/mcp`. */
export function peerMcpEndpoint(url: string): string {
  const parsed = new URL(url);
  parsed.hash = '';
  if (!/\/mcp\/?$/.test(parsed.pathname)) {
    parsed.pathname = `${parsed.pathname.replace(/\/$/, '')}/mcp`;
  }
  return parsed.href;
}

/** The peers a hub imports (every peer without `import: false`), as `[id, peer]` pairs. */
export function importedPeers<Peer extends PeerOptions>(
  peers: Readonly<Record<string, Peer>> | undefined,
): Array<[string, Peer]> {
  return Object.entries(peers ?? {}).filter(([, peer]) => peer.import !== false);
}

/** The upstream spec of a peer: Streamable HTTP to its MCP endpoint (no SSE fallback). */
export function peerUpstreamSpec(peer: PeerOptions): UpstreamSpec {
  return { url: peerMcpEndpoint(peer.url), type: 'streamable-http' };
}

/**
 * The imported peers as upstreams, for `createHub({ upstreams })` or `hub.upstreams.sync()`:
 * upstream id and prefix are the peer id (`eu__github__create_issue`).
 */
export function peerUpstreams(peers: PeersOptions | undefined): Record<string, UpstreamConfig> {
  return Object.fromEntries(
    importedPeers(peers).map(([id, peer]) => [
      id,
      {
        ...peerUpstreamSpec(peer),
        prefix: id,
        ...(peer.timeoutMs === undefined ? {} : { timeoutMs: peer.timeoutMs }),
      },
    ]),
  );
}

/**
 * Refuses plain http:// to a peer on another machine unless it has `allowInsecure`: peer tokens
 * and calls would travel unencrypted.
 * @throws {InvalidConfigError} `INVALID_CONFIG`.
 */
export function assertSecurePeerUrl(id: string, peer: PeerOptions): void {
  const url = new URL(peerMcpEndpoint(peer.url));
  if (url.protocol === 'http:' && !isLoopbackHost(url.hostname) && peer.allowInsecure !== true) {
    throw new InvalidConfigError({
      path: `peers.${id}.url`,
      reason: 'plain http:// to another machine',
      message: `Peer "${id}" is at plain http:// on another machine (${url.origin}): peer tokens and calls would travel unencrypted. Use https://, or set peers.${id}.allowInsecure: true.`,
    });
  }
}

/** The peers as the peer token verifier of `@fedmcp/proxy-auth` trusts them. */
export function toTrustedPeers(peers: PeersOptions | undefined): Record<string, TrustedPeer> {
  return Object.fromEntries(
    Object.entries(peers ?? {}).map(([id, peer]) => [
      id,
      {
        url: peerBaseUrl(peer.url),
        ...(peer.jwksUri ? { jwksUri: peer.jwksUri } : {}),
        // A JWK Set as given; the verifier imports and checks each key.
        ...(peer.keys ? { keys: peer.keys as TrustedPeer['keys'] & object } : {}),
        ...(peer.fingerprint ? { fingerprint: peer.fingerprint } : {}),
        ...(peer.acceptGroups ? { acceptGroups: true } : {}),
      },
    ]),
  );
}
