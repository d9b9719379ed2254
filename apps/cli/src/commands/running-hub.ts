/**
 * The hub of a config that is already running: `fedmcp call`, `status` and `tools list` ask it
 * instead of starting a second copy of every upstream (that takes `--offline`).
 */
import { DISCOVERY_DOCUMENT_PATH } from '@fedmcp/protocol';
import type { FedmcpConfig } from '@fedmcp/server';

/** The base URL a config's hub listens on, for a client on this machine (`http://127.0.0.1:3333`). */
export function configuredHubBaseUrl(config: FedmcpConfig): string {
  const { host, port, tls } = config.hub;
  // A hub bound to every address answers on loopback.
  const local = host === '0.0.0.0' ? '127.0.0.1' : host === '::' ? '::1' : host;
  const hostname = local.includes(':') ? `[${local}]` : local;
  return `${tls ? 'https' : 'http'}://${hostname}:${port}`;
}

/**
 * Asks the configured port whether a fedmcp hub answers there (its discovery document).
 * @returns the hub's base URL, or undefined when nothing (or something else) answers.
 */
export async function findRunningHub(
  config: FedmcpConfig,
  options: { fetch?: typeof fetch; timeoutMs?: number } = {},
): Promise<string | undefined> {
  if (config.hub.port === 0) return undefined;
  const base = configuredHubBaseUrl(config);
  try {
    const response = await (options.fetch ?? fetch)(`${base}${DISCOVERY_DOCUMENT_PATH}`, {
      headers: { accept: 'application/json' },
      signal: AbortSignal.timeout(options.timeoutMs ?? 2000),
    });
    if (!response.ok) {
      await response.body?.cancel();
      return undefined;
    }
    const document = (await response.json()) as { hubId?: unknown };
    return typeof document.hubId === 'string' ? base : undefined;
  } catch {
    return undefined;
  }
}

/** The message when no hub runs and `--offline` was not given. */
export function noRunningHubMessage(config: FedmcpConfig): string {
  const base = configuredHubBaseUrl(config);
  return config.hub.port === 0
    ? "the config sets hub.port to 0, so a running hub cannot be found: give --url URL, or --offline to start the config's upstreams in this process."
    : `no fedmcp hub answers at ${base} (start one with "fedmcp serve"), or give --url URL, or --offline to start the config's upstreams in this process.`;
}
