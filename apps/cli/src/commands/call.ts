import { parseArgs } from 'node:util';
import { closestName } from '@fedmcp/server';
import type { Client } from '@modelcontextprotocol/client';
import type { CliIo } from '../cli-io.js';
import { createProgressDisplay } from '../progress-display.js';
import { CliUsageError, connectTarget, credentialOptions } from './connect-target.js';

/** Every tool name the target lists (all pages). */
export async function listToolNames(client: Client): Promise<string[]> {
  const names: string[] = [];
  let cursor: string | undefined;
  do {
    const page = await client.listTools(cursor === undefined ? {} : { cursor });
    names.push(...page.tools.map((tool) => tool.name));
    cursor = page.nextCursor;
  } while (cursor !== undefined);
  return names;
}

/** "Did you mean …" for a tool name the target does not have, or '' when it has it. */
async function suggestTool(client: Client, name: string): Promise<string> {
  const names = await listToolNames(client).catch((): string[] => []);
  if (names.includes(name)) return '';
  const near = closestName(name, names);
  return near
    ? `There is no tool "${name}". Did you mean "${near}"?\n`
    : `There is no tool "${name}"; "fedmcp tools list" shows the tools.\n`;
}

const looksLikeUnknownTool = (text: string) => /unknown tool|not found|no such tool/i.test(text);

/**
 * `fedmcp call <tool> [--args JSON] [--config FILE | --url URL [--header "Name: value"]...
 * [--token T]] [--offline]`: calls one tool of the running hub (or of `--url`; with `--offline` of
 * the config's hub in this process) and prints its result as JSON on stdout. Progress
 * notifications are shown on stderr (a spinner on a terminal), and each one restarts the timeout.
 * Exits 1 when the tool reports an error (`isError`) or the call fails, 2 on a usage mistake.
 */
export async function callCommand(argv: readonly string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseArgs({
    args: [...argv],
    allowPositionals: true,
    options: {
      args: { type: 'string', short: 'a', default: '{}' },
      config: { type: 'string', short: 'c' },
      url: { type: 'string' },
      'timeout-ms': { type: 'string', default: '60000' },
      ...credentialOptions,
    },
  });
  const [name] = positionals;
  if (name === undefined) {
    io.stderr(
      'fedmcp call: name the tool to call, e.g. fedmcp call everything__echo --args \'{"message":"hi"}\'\n',
    );
    return 2;
  }
  let args: unknown;
  try {
    args = JSON.parse(values.args);
  } catch (error) {
    io.stderr(`fedmcp call: --args is not valid JSON (${(error as Error).message}).\n`);
    return 2;
  }
  if (typeof args !== 'object' || args === null || Array.isArray(args)) {
    io.stderr('fedmcp call: --args must be a JSON object, e.g. \'{"message":"hi"}\'.\n');
    return 2;
  }
  const timeout = Number(values['timeout-ms']);
  if (!Number.isInteger(timeout) || timeout <= 0) {
    io.stderr(
      `fedmcp call: --timeout-ms must be a positive whole number, got "${values['timeout-ms']}".\n`,
    );
    return 2;
  }
  let target: Awaited<ReturnType<typeof connectTarget>>;
  try {
    target = await connectTarget(values);
  } catch (error) {
    if (!(error instanceof CliUsageError)) throw error;
    io.stderr(`fedmcp call: ${error.message}\n`);
    return 2;
  }
  const progress = createProgressDisplay(io, name);
  try {
    const result = await target.client.callTool(
      { name, arguments: args as Record<string, unknown> },
      {
        timeout,
        resetTimeoutOnProgress: true,
        onprogress: (update) => progress.update(update),
      },
    );
    progress.stop();
    io.stdout(`${JSON.stringify(result, null, 2)}\n`);
    if (result.isError === true) {
      const text = JSON.stringify(result.content ?? '');
      if (looksLikeUnknownTool(text)) io.stderr(await suggestTool(target.client, name));
      return 1;
    }
    return 0;
  } catch (error) {
    progress.stop();
    const message = error instanceof Error ? error.message : String(error);
    io.stderr(`fedmcp call: ${message}\n`);
    if (looksLikeUnknownTool(message)) io.stderr(await suggestTool(target.client, name));
    return 1;
  } finally {
    await target.close();
  }
}
