import { parseArgs } from 'node:util';
import type { CliIo } from '../cli-io.js';
import { CliUsageError, connectTarget, credentialOptions } from './connect-target.js';

/**
 * `fedmcp call <tool> [--args JSON] [--config FILE | --url URL [--header "Name: value"]...
 * [--token T]]`: calls one tool and prints its result as JSON. `--token` and `--header`
 * authenticate to a hub at `--url`. Exits 1 when the tool reports an error (`isError`) or the call
 * fails, 2 on a usage mistake.
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
  let target: Awaited<ReturnType<typeof connectTarget>>;
  try {
    target = await connectTarget(values);
  } catch (error) {
    if (!(error instanceof CliUsageError)) throw error;
    io.stderr(`fedmcp call: ${error.message}\n`);
    return 2;
  }
  try {
    const result = await target.client.callTool(
      { name, arguments: args as Record<string, unknown> },
      { timeout: Number(values['timeout-ms']) },
    );
    io.stdout(`${JSON.stringify(result, null, 2)}\n`);
    return result.isError === true ? 1 : 0;
  } finally {
    await target.close();
  }
}
