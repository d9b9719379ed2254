/**
 * Per-caller credentials of an `isolation: "per-principal"` upstream, from the config's
 * `principalCredentials`: header and env values in which `{subject}` stands for the caller's
 * subject inside `${secret:NAME}` references (`"Bearer ${secret:tickets-token.{subject}}"`),
 * resolved from the secrets file when that caller's connection opens. The resolved values are
 * kept out of logs. A caller without its secret is refused with the command that adds it.
 */

import type { UpstreamCredentials } from '@fedmcp/federation';
import { canonicalJson, FedmcpError } from '@fedmcp/protocol';
import { resolveSecretReferences } from '@fedmcp/proxy-auth';
import type { SecretsFile } from '@fedmcp/proxy-auth/node';

/** The `principalCredentials` of an `mcpServers` entry. */
export interface PrincipalCredentialsTemplate {
  headers?: Record<string, string>;
  env?: Record<string, string>;
}

/** Options of {@link createPrincipalCredentials}. */
export interface PrincipalCredentialsOptions {
  /** The config path, for messages (`mcpServers.tickets.principalCredentials`). */
  path: string;
  /** Opens the secrets file (once, on the first caller). */
  openSecrets(): Promise<SecretsFile>;
  env: Readonly<Record<string, string | undefined>>;
  /** Every resolved value goes here, so no log line carries it. */
  secretValues: Set<string>;
}

/**
 * A subject as it stands in a secret name: characters outside `A-Z a-z 0-9 . -` are written as
 * `_` and two hex digits (`alice@example.com` → `alice_40example.com`), so two subjects never
 * share a name.
 */
export function subjectInSecretName(subject: string): string {
  return subject.replace(/[^A-Za-z0-9.-]/g, (character) => {
    const code = character.codePointAt(0) ?? 0;
    return code < 0x100 ? `_${code.toString(16).padStart(2, '0')}` : `_u${code.toString(16)}_`;
  });
}

/** Builds the credentials function of one upstream entry. */
export function createPrincipalCredentials(
  template: PrincipalCredentialsTemplate,
  options: PrincipalCredentialsOptions,
): UpstreamCredentials {
  let secrets: Promise<SecretsFile> | undefined;
  const credentials = async (principal: unknown) => {
    const subject = (principal as { subject?: unknown } | undefined)?.subject;
    if (typeof subject !== 'string' || subject === '') {
      throw new FedmcpError(
        'UNAUTHENTICATED',
        `${options.path} needs an authenticated caller: configure auth so callers have a subject.`,
      );
    }
    const name = subjectInSecretName(subject);
    const filled = JSON.parse(
      JSON.stringify(template).replaceAll('{subject}', name),
    ) as PrincipalCredentialsTemplate;
    secrets ??= options.openSecrets();
    try {
      return await resolveSecretReferences(filled, {
        env: options.env,
        secrets: await secrets,
        path: options.path,
        onResolved: (value) => options.secretValues.add(value),
      });
    } catch (error) {
      const missing = /secret:([A-Za-z0-9_.-]+)/.exec(String((error as Error).message))?.[1];
      throw new FedmcpError(
        'UNAUTHENTICATED',
        missing
          ? `No credentials for ${subject} at ${options.path}: an operator adds them with \`fedmcp secrets set ${missing}\`.`
          : `The credentials of ${subject} at ${options.path} could not be resolved: ${(error as Error).message}`,
        { cause: error },
      );
    }
  };
  // Config reloads compare this key: a changed template reconnects the upstream.
  return Object.assign(credentials, { key: canonicalJson(template) });
}
