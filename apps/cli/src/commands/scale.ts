import { parseArgs } from 'node:util';
import type { CliIo } from '../cli-io.js';
import { CliUsageError } from './connect-target.js';
import {
  createCliProvider,
  type ProviderCommandOptions,
  parseProviderId,
  providerFlagOptions,
  runProviderCommand,
} from './provider-setup.js';

const AUTO_STOP = ['off', 'stop', 'suspend'] as const;

/**
 * `fedmcp scale fly --count N [--auto-stop off|stop|suspend] [--min-running N]`: sets the number
 * of machines and Fly's autostop settings. Cloudflare and Supabase scale by themselves: exit 1
 * saying so.
 */
export function scaleCommand(
  argv: readonly string[],
  io: CliIo,
  options: ProviderCommandOptions = {},
): Promise<number> {
  return runProviderCommand('scale', io, async () => {
    const { values, positionals } = parseArgs({
      args: [...argv],
      allowPositionals: true,
      options: {
        ...providerFlagOptions,
        count: { type: 'string' },
        'auto-stop': { type: 'string' },
        'min-running': { type: 'string' },
      },
    });
    const id = parseProviderId(positionals[0], 'scale');
    const count = Number(values.count);
    if (values.count === undefined || !Number.isInteger(count) || count < 0) {
      throw new CliUsageError(
        `--count N is required: a whole number ≥ 0${values.count === undefined ? '' : `, got "${values.count}"`}.`,
      );
    }
    const autoStop = values['auto-stop'];
    if (autoStop !== undefined && !(AUTO_STOP as readonly string[]).includes(autoStop)) {
      throw new CliUsageError(
        `--auto-stop must be one of ${AUTO_STOP.join(', ')}, got "${autoStop}".`,
      );
    }
    const minRunning =
      values['min-running'] === undefined ? undefined : Number(values['min-running']);
    if (minRunning !== undefined && (!Number.isInteger(minRunning) || minRunning < 0)) {
      throw new CliUsageError(
        `--min-running must be a whole number ≥ 0, got "${values['min-running']}".`,
      );
    }
    const provider = await createCliProvider({ id, flags: values, io, options });
    const machines = await provider.scale(count, {
      ...(autoStop === undefined ? {} : { autoStop: autoStop as (typeof AUTO_STOP)[number] }),
      ...(minRunning === undefined ? {} : { minMachinesRunning: minRunning }),
    });
    for (const line of machines) io.stdout(`${line}\n`);
    return 0;
  });
}
