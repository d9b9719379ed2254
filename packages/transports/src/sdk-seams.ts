/**
 * Every place where `@fedmcp/transports` reaches into the internals of the MCP TypeScript SDK
 * (`@modelcontextprotocol/client` 2.4.0), in one file. Each seam says which SDK behaviour it works
 * around; `sdk-seams.test.ts` pins each one, so an SDK upgrade that moves the ground under a seam
 * fails there, in a test named after it, instead of silently in production. The Node-only seams
 * (the hosts' wrapping of `serveStdio` transports) are in `node/sdk-seams.ts`.
 */
import { FedmcpError } from '@fedmcp/protocol';
import type { Client, RequestOptions } from '@modelcontextprotocol/client';

/** The name of the SDK's private request funnel (`Protocol` in SDK 2.4.0). */
export const SDK_REQUEST_FUNNEL = '_requestWithSchemaViaCodec';

/** The name of the SDK's private 2025-era `initialize` handshake (`Client` in SDK 2.4.0). */
export const SDK_LEGACY_HANDSHAKE = '_legacyHandshake';

const HANDSHAKE_FRAME = new RegExp(`\\b${SDK_LEGACY_HANDSHAKE}\\b`);

/** The signature of {@link SDK_REQUEST_FUNNEL} in SDK 2.4.0. */
type RequestFunnel = (
  codec: unknown,
  request: unknown,
  resultSchema: unknown,
  options: RequestOptions | undefined,
) => Promise<unknown>;

/** A client seen with the private funnel that SDK 2.4.0's `Protocol` declares. */
interface FunnelHolder {
  [SDK_REQUEST_FUNNEL]?: RequestFunnel;
}

/**
 * Seam: client-wide request defaults. SDK 2.4.0 has no client-wide `timeout`,
 * `resetTimeoutOnProgress` or `maxTotalTimeout`: each call takes its own `RequestOptions`. Every
 * request a client sends (`callTool`, `listTools`, `request`, the `initialize` handshake, the
 * retries of 2026-07-28 `input_required` rounds) goes through one private method,
 * `Protocol._requestWithSchemaViaCodec(codec, request, resultSchema, options)`. Overriding it on
 * the instance applies `defaults` to all of them; the options of a call win over the defaults.
 *
 * @throws {FedmcpError} `INTERNAL` when the SDK no longer has the funnel (an SDK upgrade).
 */
export function applyRequestDefaults(client: Client, defaults: RequestOptions): void {
  // The funnel is `private` in the SDK's types, so it is reached through a view of the instance.
  const holder = client as unknown as FunnelHolder;
  const funnel = holder[SDK_REQUEST_FUNNEL];
  if (typeof funnel !== 'function') {
    throw new FedmcpError(
      'INTERNAL',
      'UpstreamClient: unsupported @modelcontextprotocol/client version.',
    );
  }
  holder[SDK_REQUEST_FUNNEL] = (codec, request, resultSchema, options) =>
    funnel.call(client, codec, request, resultSchema, { ...defaults, ...options });
}

/**
 * Seam: a failed handshake's close. When the 2025-era `initialize` handshake fails, SDK 2.4.0's
 * `Client._legacyHandshake` calls `this.close()` (synchronously, in its `catch`) before rethrowing.
 * A client that retries on another transport (an SSE fallback, a restarted stdio process) must
 * tell that close from its caller's. True when the current call stack runs inside
 * `_legacyHandshake`; should the SDK rename it, this returns false and the safe reading (a
 * caller's close, which ends the client) wins.
 */
export function calledFromFailedHandshake(): boolean {
  return HANDSHAKE_FRAME.test(new Error().stack ?? '');
}
