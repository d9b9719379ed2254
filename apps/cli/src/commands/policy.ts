import { parseArgs } from 'node:util';
import { createPolicy, principalFromPatterns } from '@fedmcp/proxy-auth';
import type { CliIo } from '../cli-io.js';
import { resolveConfig } from './resolve-config.js';

const usage =
  'Usage: fedmcp policy check --subject S [--subject S…] --action A --target T [--config FILE]\n' +
  '  S: alice | user:alice | group:dev | scope:tools.read | via:eu | method:api-key | issuer:URL\n';

/**
 * `fedmcp policy check --subject S --action A --target T [--config FILE]`: decides one request
 * against the `policy` section and explains it rule by rule. Exit code 0 when allowed, 1 when
 * denied, 2 for bad usage.
 */
export async function policyCommand(argv: readonly string[], io: CliIo): Promise<number> {
  const [subcommand, ...rest] = argv;
  if (subcommand !== 'check') {
    io.stderr(`fedmcp policy: unknown subcommand "${subcommand ?? ''}". ${usage}`);
    return 2;
  }
  const { values } = parseArgs({
    args: rest,
    options: {
      config: { type: 'string', short: 'c' },
      subject: { type: 'string', short: 's', multiple: true },
      action: { type: 'string', short: 'a' },
      target: { type: 'string', short: 't' },
    },
  });
  if (!values.subject?.length || !values.action || values.target === undefined) {
    io.stderr(`fedmcp policy check: --subject, --action and --target are required.\n${usage}`);
    return 2;
  }
  const { config, file } = await resolveConfig(values.config);
  const rules = config.policy?.rules ?? [];
  const policy = createPolicy(rules);
  const input = {
    principal: principalFromPatterns(values.subject),
    action: values.action,
    target: values.target,
  };
  const decision = policy.decide(input);
  io.stdout(`config: ${file ?? '(none: defaults)'}\n`);
  if (rules.length === 0) {
    io.stdout(
      'policy: no rules, so everything is allowed to whoever authenticates. Add "policy": { "rules": [...] } to restrict.\n',
    );
  }
  io.stdout(`${policy.explain(input)}\n`);
  return decision.allowed ? 0 : 1;
}
