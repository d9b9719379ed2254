import { readFile } from 'node:fs/promises';
import type { z } from 'zod';
import { ConfigError, type ConfigIssue } from './config-error.js';
import { configSchema, type FedmcpConfig } from './config-schema.js';
import { interpolateEnv } from './interpolate-env.js';
import { stripJsonComments } from './strip-json-comments.js';

/** Options of {@link loadConfig} and {@link parseConfig}. */
export interface LoadConfigOptions {
  /**
   * The environment `${NAME}` references are resolved from.
   * @default process.env
   */
  env?: Readonly<Record<string, string | undefined>>;
}

function formatPath(path: readonly PropertyKey[]): string {
  return path
    .map((key, index) =>
      typeof key === 'number' ? `[${key}]` : index === 0 ? String(key) : `.${String(key)}`,
    )
    .join('');
}

const knownTopLevel = ['hub', 'store', 'mcpServers'];

function describeIssue(issue: z.core.$ZodIssue): ConfigIssue {
  const path = formatPath(issue.path);
  if (issue.code === 'unrecognized_keys') {
    return {
      path,
      message: issue.keys
        .map((key) => {
          const near =
            path === ''
              ? knownTopLevel.find((known) =>
                  known.toLowerCase().startsWith(key.toLowerCase().slice(0, 3)),
                )
              : undefined;
          return `unknown key "${key}"${near ? ` (did you mean "${near}"?)` : ''}`;
        })
        .join(', '),
    };
  }
  return { path, message: issue.message };
}

/**
 * Validates a config object (already parsed from JSON): interpolates `${ENV}` references, applies
 * defaults and checks every key.
 * @throws {ConfigError} naming each bad key and what is expected.
 */
export function parseConfig(
  raw: unknown,
  file: string,
  options: LoadConfigOptions = {},
): FedmcpConfig {
  const { value, missing } = interpolateEnv(raw, options.env ?? process.env);
  const issues: ConfigIssue[] = missing.map(({ path, variable }) => ({
    path,
    message: `environment variable ${variable} is not set (referenced as \${${variable}}); set it or give a default with \${${variable}:-value}`,
  }));
  const parsed = configSchema.safeParse(value);
  if (!parsed.success) issues.push(...parsed.error.issues.map(describeIssue));
  if (issues.length > 0 || !parsed.success) throw new ConfigError(file, issues);
  return parsed.data;
}

/**
 * Reads and validates `fedmcp.config.json`.
 * @throws {ConfigError} when the file is missing, is not JSON, or has bad keys.
 */
export async function loadConfig(
  file: string,
  options: LoadConfigOptions = {},
): Promise<FedmcpConfig> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    const reason =
      (error as NodeJS.ErrnoException).code === 'ENOENT'
        ? 'the file does not exist (create one with `fedmcp init`)'
        : String(error);
    throw new ConfigError(file, [{ path: '', message: reason }], { cause: error });
  }
  let raw: unknown;
  try {
    raw = JSON.parse(stripJsonComments(text));
  } catch (error) {
    throw new ConfigError(
      file,
      [{ path: '', message: `not valid JSON: ${(error as Error).message}` }],
      {
        cause: error,
      },
    );
  }
  return parseConfig(raw, file, options);
}
