import { parseArgs } from 'node:util';
import type { CliIo } from '../cli-io.js';
import {
  createCliProvider,
  type ProviderCommandOptions,
  parseProviderId,
  providerFlagOptions,
  runProviderCommand,
} from './provider-setup.js';

/**
 * `fedmcp destroy <cloudflare|supabase|fly> [--name N]`: deletes the deployed hub (the Worker,
 * the function, or the machines and the app).
 */
export function destroyCommand(
  argv: readonly string[],
  io: CliIo,
  options: ProviderCommandOptions = {},
): Promise<number> {
  return runProviderCommand('destroy', io, async () => {
    const { values, positionals } = parseArgs({
      args: [...argv],
      allowPositionals: true,
      options: providerFlagOptions,
    });
    const id = parseProviderId(positionals[0], 'destroy');
    const provider = await createCliProvider({ id, flags: values, io, options });
    await provider.destroy();
    io.stdout(`Destroyed ${values.name ?? 'fedmcp-hub'} on ${id}.\n`);
    return 0;
  });
}
