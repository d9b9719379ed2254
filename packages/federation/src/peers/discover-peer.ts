/**
 * What a hub says about itself before it is trusted: its discovery document and the fingerprints
 * of its published keys (what `fedmcp peers add` shows an operator to compare with the peer's
 * `fedmcp keys show`).
 */
import {
  DISCOVERY_DOCUMENT_PATH,
  type DiscoveryDocument,
  FedmcpError,
  parseDiscoveryDocument,
  UpstreamUnavailableError,
} from '@fedmcp/protocol';
import { hubKeyFingerprint } from '@fedmcp/proxy-auth';
import { peerBaseUrl } from './peer-options.js';

/** Options of {@link discoverPeer}. */
export interface DiscoverPeerOptions {
  /** The fetch for the discovery document and key set. @default globalThis.fetch */
  fetch?: typeof fetch;
  /** Abort each fetch after this long, in ms. @default 5000 */
  timeoutMs?: number;
  /** Read the keys here instead of at the document's `jwksUri` (a peer's configured `jwksUri`). */
  jwksUri?: string;
}

/** A peer as seen live. */
export interface DiscoveredPeer {
  /** Its discovery document. */
  document: DiscoveryDocument;
  /** The `SHA256:…` fingerprints of its published keys, in key set order. */
  fingerprints: string[];
}

async function fetchJson(url: string, fetchImplementation: typeof fetch, timeoutMs: number) {
  let response: Response;
  try {
    response = await fetchImplementation(url, {
      headers: { accept: 'application/json' },
      redirect: 'manual',
      signal: AbortSignal.timeout(timeoutMs),
    });
  } catch (error) {
    throw FedmcpError.isInstance(error)
      ? error
      : new UpstreamUnavailableError({
          upstreamId: url,
          message: error instanceof Error ? error.message : String(error),
          cause: error,
        });
  }
  if (response.status !== 200) {
    await response.body?.cancel();
    throw new UpstreamUnavailableError({
      upstreamId: url,
      message: `${url} answered HTTP ${response.status}`,
    });
  }
  return (await response.json()) as unknown;
}

/**
 * Fetches a hub's discovery document (`<base>/.well-known/mcp-federation`, from its base URL or
 * MCP endpoint) and its key set, and fingerprints the keys. Redirects are not followed.
 *
 * @throws {UpstreamUnavailableError} when a fetch fails, answers other than 200, or the key set
 * is not one; the discovery document's parse error when it is invalid.
 * @example
 * ```ts
 * const { document, fingerprints } = await discoverPeer('https://eu.example.com');
 * // document.hubId 'eu', fingerprints ['SHA256:3Hn…']
 * ```
 */
export async function discoverPeer(
  url: string,
  options: DiscoverPeerOptions = {},
): Promise<DiscoveredPeer> {
  const fetchImplementation = options.fetch ?? globalThis.fetch;
  const timeoutMs = options.timeoutMs ?? 5000;
  const discoveryUrl = new URL(DISCOVERY_DOCUMENT_PATH, peerBaseUrl(url)).href;
  const document = parseDiscoveryDocument(
    await fetchJson(discoveryUrl, fetchImplementation, timeoutMs),
    { source: discoveryUrl },
  );
  const jwksUri = options.jwksUri ?? document.jwksUri;
  const jwks = (await fetchJson(jwksUri, fetchImplementation, timeoutMs)) as { keys?: unknown };
  if (!Array.isArray(jwks.keys)) {
    throw new UpstreamUnavailableError({
      upstreamId: url,
      message: `${document.jwksUri} is not a JSON Web Key Set`,
    });
  }
  const fingerprints = await Promise.all(
    jwks.keys.map((key) => hubKeyFingerprint(key as Parameters<typeof hubKeyFingerprint>[0])),
  );
  return { document, fingerprints };
}
