/**
 * The TLS client certificate of a request, handed to an `authenticate` hook. The hook receives a
 * body-less web `Request`, which has no room for the TLS session, so the host records the peer
 * certificate of each such `Request` here (a side channel keyed by the object) and the hook reads
 * it back with {@link peerCertificateOf} — for mTLS principals.
 */
import type { IncomingMessage } from 'node:http';
import type { PeerCertificate, TLSSocket } from 'node:tls';
import type { McpAuthRequest } from '../authenticate.js';

/** The client certificate of a request and whether the TLS layer verified it against the CA. */
export interface RequestPeerCertificate {
  /** `socket.getPeerCertificate()`: an empty object when the client sent none. */
  peerCertificate: PeerCertificate;
  /** `socket.authorized`: whether the certificate chains to the configured `tls.ca`. */
  peerCertificateAuthorized: boolean;
}

const certificates = new WeakMap<McpAuthRequest, RequestPeerCertificate>();

/** Records the peer certificate of a Node request's TLS socket on the `Request` (or view) made from it. */
export function attachPeerCertificate(source: IncomingMessage, request: McpAuthRequest): void {
  const socket = source.socket as Partial<TLSSocket> | undefined;
  if (typeof socket?.getPeerCertificate !== 'function') return;
  const peerCertificate = socket.getPeerCertificate();
  if (!peerCertificate || Object.keys(peerCertificate).length === 0) return;
  certificates.set(request, {
    peerCertificate,
    peerCertificateAuthorized: socket.authorized === true,
  });
}

/**
 * The TLS client certificate of a request an MCP host passed to its `authenticate` hook, or
 * `undefined` (plain HTTP, no certificate sent, or a request the host did not make).
 *
 * @example
 * ```ts
 * createMcpHttpHost({
 *   tls: { cert, key, ca, requestClientCert: true },
 *   authenticate: (request) =>
 *     authenticateRequest({ headers: request.headers, ...peerCertificateOf(request) }, authenticators),
 *   createServer,
 * });
 * ```
 */
export function peerCertificateOf(request: McpAuthRequest): RequestPeerCertificate | undefined {
  return certificates.get(request);
}
