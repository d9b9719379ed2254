/**
 * The `subscriptions/listen` stream of a 2026-07-28 upstream: change notifications and resource
 * updates only flow on it. One stream per upstream, reopened when its filter (the resource URIs
 * the hub follows) changes.
 */
import type { Logger } from '@fedmcp/protocol';
import type { Client, McpSubscription } from '@modelcontextprotocol/client';

/** One upstream's listen stream; see the file comment. */
export class ListenStream {
  /** Upstream URIs the hub subscribed to. */
  readonly #uris = new Set<string>();
  #handle: McpSubscription | undefined;

  constructor(
    private readonly upstreamId: string,
    private readonly logger: Logger,
  ) {}

  /** Opens (or reopens, with the current filter) the stream on `client`. */
  async open(client: Client): Promise<void> {
    const previous = this.#handle;
    this.#handle = undefined;
    try {
      this.#handle = await client.listen({
        toolsListChanged: true,
        promptsListChanged: true,
        resourcesListChanged: true,
        ...(this.#uris.size > 0 ? { resourceSubscriptions: [...this.#uris] } : {}),
      });
    } catch (error) {
      this.logger.debug({ upstream: this.upstreamId, error }, 'subscriptions/listen refused');
    } finally {
      await previous?.close().catch(() => {});
    }
  }

  /** Adds or removes a followed URI; reopens the stream on a 2026-07-28 `client`. */
  async setUri(uri: string, subscribed: boolean, client: Client | undefined): Promise<void> {
    if (subscribed) this.#uris.add(uri);
    else this.#uris.delete(uri);
    if (client && client.getProtocolEra() === 'modern') await this.open(client);
  }
}
