/**
 * The in-memory linked transport pair, for tests and in-process servers. SDK v2 ships one
 * (`InMemoryTransport`); this re-exports it behind a factory so callers need not reach into the SDK.
 */
import { InMemoryTransport } from '@modelcontextprotocol/client';

export { InMemoryTransport };

/**
 * Creates two linked transports: what one sends, the other receives. Give the first to a
 * `Client` and the second to a `Server`. Closing either closes both.
 *
 * @example
 * ```ts
 * const [clientTransport, serverTransport] = createInMemoryTransportPair();
 * await server.connect(serverTransport);
 * await client.connect(clientTransport);
 * ```
 */
export function createInMemoryTransportPair(): [
  clientTransport: InMemoryTransport,
  serverTransport: InMemoryTransport,
] {
  return InMemoryTransport.createLinkedPair();
}
