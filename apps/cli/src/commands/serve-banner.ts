/** The one block `fedmcp serve` prints at start-up: where the hub is and what it serves. */
import type { FedmcpServer } from '@fedmcp/server';

/** How clients authenticate, in a few words. */
function describeAuth(server: FedmcpServer): string {
  const auth = server.config.auth;
  const modes: string[] = [];
  if (auth?.apiKeys?.length) modes.push(`API keys (${auth.apiKeys.length})`);
  if (auth?.oauth)
    modes.push(
      `OAuth (${[auth.oauth].flat().length} issuer${[auth.oauth].flat().length === 1 ? '' : 's'})`,
    );
  if (auth?.mtls?.length) modes.push('client certificates');
  if (Object.keys(server.config.peers ?? {}).length > 0) modes.push('peer tokens');
  if (modes.length === 0 || auth?.anonymous) modes.push('anonymous');
  return modes.join(', ');
}

/** The store URL without credentials. */
function describeStore(storeUrl: string): string {
  return storeUrl.replace(/\/\/[^@/]*@/, '//***@');
}

function describeUpstreams(server: FedmcpServer): string[] {
  const upstreams = server.upstreams();
  if (upstreams.length === 0) {
    return [
      'none. Add MCP servers under "mcpServers" in fedmcp.config.json (fedmcp init writes one); changes apply while the hub runs',
    ];
  }
  const ready = upstreams.filter((upstream) => upstream.state === 'ready');
  const tools = ready.reduce((sum, upstream) => sum + upstream.tools, 0);
  const width = Math.max(...upstreams.map((upstream) => upstream.id.length)) + 2;
  return [
    `${ready.length} of ${upstreams.length} ready, ${tools} tools`,
    ...upstreams.map(
      (upstream) =>
        `  ${upstream.id.padEnd(width)}${upstream.state.padEnd(12)}${upstream.state === 'ready' ? `${upstream.tools} tools` : (upstream.error?.replace(/\s+/g, ' ').slice(0, 120) ?? '')}`,
    ),
  ];
}

/** What {@link serveBanner} shows. */
export interface ServeBannerInput {
  server: FedmcpServer;
  /** The HTTP base URL, or undefined over stdio. */
  url: string | undefined;
  /** The config file, or undefined for the defaults. */
  file: string | undefined;
  storeUrl: string;
}

/** The start-up block: URLs, upstreams with the tools count, auth mode, store and config. */
export function serveBanner({ server, url, file, storeUrl }: ServeBannerInput): string {
  const rows: Array<[string, string]> = [];
  if (url) {
    rows.push(['MCP', `${url}/mcp   (Streamable HTTP: 2025-11-25 sessions and 2026-07-28)`]);
    rows.push(['SSE', `${url}/sse`]);
    rows.push(['WebSocket', `${url.replace(/^http/, 'ws')}/ws`]);
    rows.push(['Health', `${url}/healthz  ${url}/readyz`]);
  } else {
    rows.push(['MCP', "stdio (this process's stdin/stdout)"]);
  }
  const [summary, ...lines] = describeUpstreams(server);
  rows.push(['Upstreams', summary ?? '']);
  rows.push(['Auth', describeAuth(server)]);
  rows.push(['Store', describeStore(storeUrl)]);
  rows.push(['Config', file ? `${file} (watched for changes)` : 'none found, using the defaults']);
  const title = `fedmcp hub "${server.config.hub.name ?? 'fedmcp'}" (${server.hubId}) serving${url ? ` at ${url}` : ' over stdio'}`;
  const body = rows.map(([label, value]) => {
    const row = `  ${label.padEnd(11)}${value}`;
    return label === 'Upstreams' && lines.length > 0
      ? `${row}\n${lines.map((line) => `  ${''.padEnd(11)}${line}`).join('\n')}`
      : row;
  });
  return `${title}\n${body.join('\n')}\n`;
}
