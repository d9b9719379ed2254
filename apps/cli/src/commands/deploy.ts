import { writeFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import type { CliIo } from '../cli-io.js';
import { CliUsageError } from './connect-target.js';
import { HUB_DURABLE_OBJECTS } from './deploy-hub-bundle.js';
import { viewPlanLines } from './deploy-hub-views.js';
import { readDeployPlan } from './deploy-inputs.js';
import {
  createCliProvider,
  type ProviderCommandOptions,
  parseProviderId,
  providerFlagOptions,
  runProviderCommand,
} from './provider-setup.js';
import { resolveConfig } from './resolve-config.js';

/**
 * `fedmcp deploy <cloudflare|supabase|fly> [--config F] [--bundle DIR] [--dry-run]`: says what
 * it will create, then creates it step by step (progress on stderr) and prints the hub's URL.
 * Without `--bundle`, Cloudflare and Supabase get the hub of the config, bundled with esbuild
 * (its `${NAME}` references uploaded as secrets; see `deploy-hub-bundle.ts`).
 * `--dry-run` sends nothing and prints the exact requests as JSON (token and secrets redacted).
 * Fly: writes `fly.toml` next to the config (or in the working directory without one). Exits 0 when deployed, 1 when the platform refused
 * (with what to do), 2 on a usage mistake.
 */
export function deployCommand(
  argv: readonly string[],
  io: CliIo,
  options: ProviderCommandOptions = {},
): Promise<number> {
  return runProviderCommand('deploy', io, async () => {
    const { values, positionals } = parseArgs({
      args: [...argv],
      allowPositionals: true,
      options: {
        ...providerFlagOptions,
        'dry-run': { type: 'boolean', default: false },
        'allow-literal-secrets': { type: 'boolean', default: false },
        bundle: { type: 'string' },
        entry: { type: 'string' },
        var: { type: 'string', multiple: true },
        secret: { type: 'string', multiple: true },
        count: { type: 'string' },
      },
    });
    const id = parseProviderId(positionals[0], 'deploy');
    const count = values.count === undefined ? undefined : Number(values.count);
    if (count !== undefined && (!Number.isInteger(count) || count < 1)) {
      throw new CliUsageError(`--count must be a whole number ≥ 1, got "${values.count}".`);
    }
    const dryRun = values['dry-run'];
    const provider = await createCliProvider({
      id,
      flags: values,
      io,
      options,
      dryRun,
      ...(count === undefined ? {} : { count }),
      // The hub built from the config keeps its state and its calls in Durable Objects.
      ...(id === 'cloudflare' && values.bundle === undefined
        ? { durableObjects: HUB_DURABLE_OBJECTS }
        : {}),
    });
    const plan = await readDeployPlan(id, values, options, (line) =>
      io.stderr(`warning: ${line}\n`),
    );
    io.stderr(`${dryRun ? 'Would create' : 'Will create'} on ${id}:\n`);
    for (const step of provider.plan(plan))
      io.stderr(`  ${step.action.padEnd(16)} ${step.resource}\n`);
    for (const line of viewPlanLines(plan.config, id, values.name ?? 'fedmcp-hub')) io.stderr(line);
    const result = await provider.deploy(plan);
    // Generated files (fly.toml) go next to the config file.
    const { file } = await resolveConfig(values.config);
    const directory = options.baseDirectory ?? (file === undefined ? process.cwd() : dirname(file));
    for (const [name, text] of Object.entries(result.files)) {
      const path = resolve(directory, name);
      await writeFile(path, text, { mode: 0o644 });
      io.stderr(`wrote ${path}\n`);
    }
    if (dryRun) {
      io.stdout(`${JSON.stringify(result.requests, null, 2)}\n`);
      return 0;
    }
    io.stdout(`Deployed to ${id}: ${result.url}\n`);
    return 0;
  });
}
