/**
 * What the upstream OAuth tests share: the hub store's key/value interface over a `Map` (to look
 * at the ciphertexts at rest), the connect options of a hub connection, and a tool result's text.
 */
import { UPSTREAM_CLIENT_CAPABILITIES, type UpstreamConnectOptions } from '@fedmcp/federation';
import type { createEncryptedOAuthCredentialStore } from '@fedmcp/proxy-auth';
import type { CallToolResult } from '@modelcontextprotocol/client';

type KeyValue = Parameters<typeof createEncryptedOAuthCredentialStore>[0]['store'];

/** A key/value store over a `Map`; `values` is what it holds, as stored. */
export function mapStore(): KeyValue & { values: Map<string, string> } {
  const values = new Map<string, string>();
  return {
    values,
    get: async (key) => {
      const value = values.get(key);
      return value === undefined ? undefined : { key, value, version: 1 };
    },
    set: async (key, value) => {
      values.set(key, value);
      return { key, value, version: 1 };
    },
    delete: async (key) => values.delete(key),
  };
}

const noop = () => {};

/** The options a hub passes its upstream connector (silent logger, fresh era cache). */
export function hubConnectOptions(): UpstreamConnectOptions {
  return {
    clientInfo: { name: 'fedmcp', version: '0.0.0' },
    capabilities: UPSTREAM_CLIENT_CAPABILITIES,
    configure: () => {},
    timeoutMs: 30_000,
    logger: { debug: noop, info: noop, warn: noop, error: noop },
    verdictCache: new Map(),
  };
}

/** The text of a tool result's first content block. */
export const textOf = (result: unknown) =>
  ((result as CallToolResult).content[0] as { text: string }).text;
