import { parseArgs } from 'node:util';
import type { CliIo } from '../cli-io.js';
import {
  CliUsageError,
  connectTarget,
  credentialOptions,
  credentialUsage,
} from './connect-target.js';

/**
 * `fedmcp tools list [--config FILE | --url URL [--header "Name: value"]... [--token T]] [--json]`:
 * the hub's tools, one shot. `--token` and `--header` authenticate to a hub at `--url`.
 */
export async function toolsCommand(argv: readonly string[], io: CliIo): Promise<number> {
  const [subcommand, ...rest] = argv;
  if (subcommand !== 'list') {
    io.stderr(
      `fedmcp tools: unknown subcommand "${subcommand ?? ''}". Usage: fedmcp tools list [--config FILE | --url URL ${credentialUsage}] [--json]\n`,
    );
    return 2;
  }
  const { values } = parseArgs({
    args: rest,
    options: {
      config: { type: 'string', short: 'c' },
      url: { type: 'string' },
      json: { type: 'boolean', default: false },
      ...credentialOptions,
    },
  });
  let target: Awaited<ReturnType<typeof connectTarget>>;
  try {
    target = await connectTarget(values);
  } catch (error) {
    if (!(error instanceof CliUsageError)) throw error;
    io.stderr(`fedmcp tools: ${error.message}\n`);
    return 2;
  }
  try {
    const tools = [];
    let cursor: string | undefined;
    do {
      const page = await target.client.listTools(cursor === undefined ? {} : { cursor });
      tools.push(...page.tools);
      cursor = page.nextCursor;
    } while (cursor !== undefined);
    if (values.json) {
      io.stdout(`${JSON.stringify(tools, null, 2)}\n`);
      return 0;
    }
    if (tools.length === 0) {
      io.stdout(`No tools at ${target.description}.\n`);
      return 0;
    }
    const width = Math.max(...tools.map((tool) => tool.name.length)) + 2;
    for (const tool of tools) {
      const summary = (tool.title ?? tool.description ?? '').split('\n')[0] ?? '';
      io.stdout(`${tool.name.padEnd(width)}${summary.slice(0, 100)}\n`);
    }
    return 0;
  } finally {
    await target.close();
  }
}
