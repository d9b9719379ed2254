/**
 * `${ENV}` and `${secret:NAME}` references in configuration values (upstream headers, bearer
 * tokens). Resolution happens where the config is loaded; the resolved values should then be
 * handed to redaction so they never reach a log.
 */
import { FedmcpError } from '@fedmcp/protocol';

/** Where `${secret:NAME}` values come from: a secrets file, or a plain map. */
export type SecretSource =
  | { get(name: string): string | undefined | Promise<string | undefined> }
  | Readonly<Record<string, string | undefined>>;

/** Options of {@link resolveSecretReferences}. */
export interface ResolveSecretReferencesOptions {
  /** Environment variables for `${NAME}` (the app passes `process.env`; the library never reads it). @default {} */
  env?: Readonly<Record<string, string | undefined>>;
  /** Secrets for `${secret:NAME}`. @default none: such references fail */
  secrets?: SecretSource;
  /** Called with each resolved value, e.g. to add it to the redaction list. */
  onResolved?: (value: string) => void;
  /** Where the value sits in the config, for error messages. @default 'value' */
  path?: string;
}

// `$${` is an escaped literal `${`.
const REFERENCE = /\$\$\{|\$\{(?:(secret):([A-Za-z0-9_.-]+)|([A-Za-z_][A-Za-z0-9_]*))\}/g;

async function lookupSecret(source: SecretSource, name: string): Promise<string | undefined> {
  const getter = (source as { get?: unknown }).get;
  if (typeof getter === 'function') {
    return (source as { get(name: string): string | undefined | Promise<string | undefined> }).get(
      name,
    );
  }
  const map = source as Readonly<Record<string, string | undefined>>;
  return Object.hasOwn(map, name) ? map[name] : undefined;
}

async function resolveString(
  text: string,
  options: ResolveSecretReferencesOptions,
  path: string,
): Promise<string> {
  if (!text.includes('${')) return text;
  let result = '';
  let last = 0;
  for (const match of text.matchAll(REFERENCE)) {
    result += text.slice(last, match.index);
    last = match.index + match[0].length;
    if (match[0] === '$${') {
      result += '${';
      continue;
    }
    let value: string | undefined;
    if (match[1] === 'secret') {
      const name = match[2]!;
      if (!options.secrets) {
        throw new FedmcpError(
          'INVALID_CONFIG',
          `${path} refers to \${secret:${name}} but no secrets file is configured; set FEDMCP_SECRET_KEY (or a key file) and add it with "fedmcp secrets set ${name}".`,
        );
      }
      value = await lookupSecret(options.secrets, name);
      if (value === undefined) {
        throw new FedmcpError(
          'INVALID_CONFIG',
          `${path} refers to \${secret:${name}}, which is not in the secrets file; add it with "fedmcp secrets set ${name}".`,
        );
      }
    } else {
      const name = match[3]!;
      value = options.env?.[name];
      if (value === undefined) {
        throw new FedmcpError(
          'INVALID_CONFIG',
          `${path} refers to \${${name}}, but the environment variable ${name} is not set.`,
        );
      }
    }
    options.onResolved?.(value);
    result += value;
  }
  return result + text.slice(last);
}

/**
 * Replaces `${ENV_NAME}` and `${secret:NAME}` in a string, or in every string inside an object or
 * array (a copy is returned). `$${` stands for a literal `${`.
 *
 * @throws {FedmcpError} `INVALID_CONFIG` naming the config path and the missing reference (never a value).
 * @example
 * ```ts
 * await resolveSecretReferences({ Authorization: 'Bearer ${secret:GITHUB_TOKEN}' }, { env: process.env, secrets });
 * ```
 */
export async function resolveSecretReferences<T>(
  value: T,
  options: ResolveSecretReferencesOptions = {},
): Promise<T> {
  async function visit(current: unknown, path: string): Promise<unknown> {
    if (typeof current === 'string') return resolveString(current, options, path);
    if (Array.isArray(current)) {
      return Promise.all(current.map((item, index) => visit(item, `${path}[${index}]`)));
    }
    if (typeof current === 'object' && current !== null) {
      const copy: Record<string, unknown> = {};
      for (const [key, item] of Object.entries(current))
        copy[key] = await visit(item, `${path}.${key}`);
      return copy;
    }
    return current;
  }
  return (await visit(value, options.path ?? 'value')) as T;
}
