import { parseArgs } from 'node:util';
import { ConfigError } from '@fedmcp/server';
import type { CliIo } from '../cli-io.js';
import { type DoctorCheck, type DoctorOptions, runDoctorChecks } from './doctor-checks.js';
import { resolveConfig } from './resolve-config.js';

const marks: Record<DoctorCheck['status'], string> = { ok: 'ok  ', warn: 'warn', fail: 'FAIL' };

/** One check as a line: `ok    port      127.0.0.1:3333 is free`, then its fix indented. */
export function formatDoctorCheck(check: DoctorCheck): string {
  const line = `${marks[check.status]}  ${check.name.padEnd(18)}${check.detail}`;
  return check.fix ? `${line}\n      fix: ${check.fix}` : line;
}

/**
 * `fedmcp doctor [--config FILE] [--json]`: checks what a hub needs before it starts — the config
 * is valid, the state directory writable, the port free (or serving this hub), upstream commands
 * on PATH, a Redis or Postgres store reachable, the TLS files loadable and not expiring, the clock
 * in step with a remote upstream or peer, and each peer's discovery — one line each with the fix.
 * Exits 1 when a check fails (warnings do not), 0 otherwise.
 */
export async function doctorCommand(
  argv: readonly string[],
  io: CliIo,
  options: DoctorOptions = {},
): Promise<number> {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      config: { type: 'string', short: 'c' },
      json: { type: 'boolean', default: false },
    },
  });
  const checks: DoctorCheck[] = [];
  try {
    const { config, file } = await resolveConfig(values.config);
    checks.push({
      status: 'ok',
      name: 'config',
      detail: file
        ? `${file} is valid (${Object.keys(config.mcpServers).length} upstreams, ${Object.keys(config.peers ?? {}).length} peers)`
        : 'no config file: the defaults (fedmcp init writes one)',
    });
    checks.push(...(await runDoctorChecks(config, options)));
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    checks.push({
      status: 'fail',
      name: 'config',
      detail: error.message
        .split('\n')
        .slice(1, -1)
        .map((line) => line.replace(/^\s*-\s*/, ''))
        .join('; '),
      fix: `fix the keys above in ${error.file}; the other checks need a valid config`,
    });
  }
  if (values.json) {
    io.stdout(`${JSON.stringify(checks, null, 2)}\n`);
  } else {
    io.stdout(`${checks.map(formatDoctorCheck).join('\n')}\n`);
    const failures = checks.filter((check) => check.status === 'fail').length;
    const warnings = checks.filter((check) => check.status === 'warn').length;
    io.stdout(
      failures === 0
        ? `All ${checks.length} checks passed${warnings ? ` (${warnings} warning${warnings === 1 ? '' : 's'})` : ''}.\n`
        : `${failures} of ${checks.length} checks failed.\n`,
    );
  }
  return checks.some((check) => check.status === 'fail') ? 1 : 0;
}
