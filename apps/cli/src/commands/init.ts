import { access, writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import type { CliIo } from '../cli-io.js';

/** The commented starter written by `fedmcp init` (JSONC: fedmcp's loader accepts comments). */
export const starterConfig = `// fedmcp.config.json — the hub's configuration (JSON with comments).
// Changes apply while the hub runs; an invalid edit is refused and the running config stays.
{
  "hub": {
    "name": "my-hub",
    // Bind address. Loopback by default; any other address needs authentication configured.
    "host": "127.0.0.1",
    "port": 3333,
    // Which transports the hub serves: /mcp (Streamable HTTP, both protocol eras), /sse, /ws.
    "transports": { "streamableHttp": true, "sse": true, "websocket": true }
  },

  // Where state lives (consents, audit, tasks): embedded SQLite by default;
  // "redis://127.0.0.1:6379" when several hub replicas share it. Relative paths in
  // this file start at this file's folder, whatever folder the hub is started in.
  "store": "sqlite:./.fedmcp/state.db",

  // Upstream MCP servers, in Claude Desktop's format: paste yours here.
  // fedmcp adds per entry: "prefix" (string, or false for none), "timeoutMs", "enabled",
  // "tools": { "allow": ["glob"], "deny": ["glob"] }, "isolation": "shared" | "per-session".
  // Secrets: "\${ENV_VAR}" is replaced from the environment.
  "mcpServers": {
    // "everything": { "command": "npx", "args": ["-y", "@modelcontextprotocol/server-everything"] },
    // "remote": { "url": "https://mcp.example.com/mcp", "headers": { "Authorization": "Bearer \${REMOTE_TOKEN}" } }
  }
}
`;

/** `fedmcp init [--config FILE] [--force]`: writes a commented starter config. */
export async function initCommand(argv: readonly string[], io: CliIo): Promise<number> {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      config: { type: 'string', short: 'c', default: 'fedmcp.config.json' },
      force: { type: 'boolean', default: false },
    },
  });
  const file = resolve(values.config);
  const exists = await access(file).then(
    () => true,
    () => false,
  );
  if (exists && !values.force) {
    io.stderr(`fedmcp init: ${file} already exists. Use --force to overwrite it.\n`);
    return 1;
  }
  await writeFile(file, starterConfig, { mode: 0o600 });
  io.stdout(
    `Wrote ${file}.\nAdd your MCP servers under "mcpServers", then run: fedmcp serve --config ${values.config}\n`,
  );
  return 0;
}
