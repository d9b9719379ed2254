import { parseArgs } from 'node:util';
import type { CliIo } from '../cli-io.js';
import { waitForSignal } from './audit-stream.js';
import {
  createCliProvider,
  type ProviderCommandOptions,
  parseProviderId,
  providerFlagOptions,
  runProviderCommand,
} from './provider-setup.js';

/**
 * `fedmcp status --provider <p> [--name N] [--json]`: the platform's view of the deployed hub
 * and its `/healthz`. Exits 0 when deployed and healthy, 1 otherwise.
 */
export function providerStatusCommand(
  argv: readonly string[],
  io: CliIo,
  options: ProviderCommandOptions = {},
): Promise<number> {
  return runProviderCommand('status', io, async () => {
    const { values } = parseArgs({
      args: [...argv],
      options: {
        ...providerFlagOptions,
        provider: { type: 'string' },
        json: { type: 'boolean', default: false },
      },
    });
    const provider = await createCliProvider({
      id: parseProviderId(values.provider, 'status --provider'),
      flags: values,
      io,
      options,
    });
    const status = await provider.status();
    if (values.json) io.stdout(`${JSON.stringify(status)}\n`);
    else {
      io.stdout(`${provider.id} ${status.state}: ${status.url}\n`);
      for (const line of status.details) io.stdout(`  ${line}\n`);
      io.stdout(`  health: ${status.health}\n`);
    }
    const name = values.name ?? 'fedmcp-hub';
    if (status.state === 'missing')
      io.stderr(
        `fedmcp status: nothing named "${name}" is deployed on ${provider.id}: deploy it with \`fedmcp deploy ${provider.id} --name ${name}\`, or pass the --name it was deployed under.\n`,
      );
    else if (status.health !== 'ok')
      io.stderr(
        `fedmcp status: ${provider.id} has "${name}" but its /healthz answered ${status.health}: see \`fedmcp logs --provider ${provider.id} --name ${name}\`.\n`,
      );
    return status.state === 'deployed' && status.health === 'ok' ? 0 : 1;
  });
}

/**
 * `fedmcp logs --provider <p> [--follow] [--name N] [--json]`: the deployed hub's log lines;
 * with `--follow` live ones (Cloudflare's tail, polling on Supabase and Fly) until Ctrl-C.
 */
export function providerLogsCommand(
  argv: readonly string[],
  io: CliIo,
  options: ProviderCommandOptions = {},
): Promise<number> {
  return runProviderCommand('logs', io, async () => {
    const { values } = parseArgs({
      args: [...argv],
      options: {
        ...providerFlagOptions,
        provider: { type: 'string' },
        follow: { type: 'boolean', short: 'f', default: false },
        json: { type: 'boolean', default: false },
      },
    });
    const provider = await createCliProvider({
      id: parseProviderId(values.provider, 'logs --provider'),
      flags: values,
      io,
      options,
    });
    const controller = new AbortController();
    if (values.follow) void (options.stopSignal ?? waitForSignal()).then(() => controller.abort());
    let lines = 0;
    for await (const event of provider.logs({ follow: values.follow, signal: controller.signal })) {
      lines += 1;
      io.stdout(
        values.json
          ? `${JSON.stringify(event)}\n`
          : `${event.timestamp} ${event.level.padEnd(7)} ${event.message}\n`,
      );
    }
    if (lines === 0 && !values.json) {
      const name = values.name ?? 'fedmcp-hub';
      io.stderr(
        `fedmcp logs: ${provider.id} has no log lines for "${name}" yet; check that it is deployed with \`fedmcp status --provider ${provider.id} --name ${name}\`, or follow new ones with --follow.\n`,
      );
    }
    return 0;
  });
}
