import { readFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import type { z } from 'zod';
import { closestName } from './closest-name.js';
import { ConfigError, type ConfigIssue } from './config-error.js';
import { resolveConfigPaths } from './config-paths.js';
import { configSchema, type FedmcpConfig, mcpServerEntryKeys } from './config-schema.js';
import { interpolateEnv } from './interpolate-env.js';
import { keyOffsets, positionAt, syntaxErrorPosition } from './json-positions.js';
import { stripJsonComments } from './strip-json-comments.js';

/** Options of {@link loadConfig} and {@link parseConfig}. */
export interface LoadConfigOptions {
  /**
   * The environment `${NAME}` references are resolved from.
   * @default process.env
   */
  env?: Readonly<Record<string, string | undefined>>;
  /**
   * Relative paths of the config (data directory, store, key, pin, TLS and secrets files) are
   * made absolute against this folder. `loadConfig` uses the config file's folder.
   * @default relative paths stay relative (resolved against the working directory when used)
   */
  baseDirectory?: string;
}

function formatPath(path: readonly PropertyKey[]): string {
  return path
    .map((key, index) =>
      typeof key === 'number' ? `[${key}]` : index === 0 ? String(key) : `.${String(key)}`,
    )
    .join('');
}

interface SchemaDefinition {
  type: string;
  shape?: Record<string, unknown>;
  innerType?: unknown;
  in?: unknown;
  valueType?: unknown;
}

const definitionOf = (schema: unknown) => (schema as { _zod: { def: SchemaDefinition } })._zod.def;

/** The keys the config schema knows at `path` (for "did you mean"). */
function knownKeysAt(path: readonly PropertyKey[]): string[] {
  if (path.length === 2 && path[0] === 'mcpServers') return mcpServerEntryKeys;
  let schema: unknown = configSchema;
  let remaining = [...path];
  for (let depth = 0; depth < 20; depth++) {
    const definition = definitionOf(schema);
    const inner = definition.innerType ?? definition.in;
    if (inner !== undefined && definition.type !== 'object') {
      schema = inner;
      continue;
    }
    const [key, ...rest] = remaining;
    if (key === undefined) return definition.shape ? Object.keys(definition.shape) : [];
    if (definition.shape && typeof key === 'string' && key in definition.shape) {
      schema = definition.shape[key];
    } else if (definition.valueType !== undefined) {
      schema = definition.valueType;
    } else {
      return [];
    }
    remaining = rest;
  }
  return [];
}

function describeIssue(issue: z.core.$ZodIssue): ConfigIssue {
  const path = formatPath(issue.path);
  // A strict object's unknown keys; inside an mcpServers entry they come back as custom issues.
  const keys = (issue as { keys?: unknown }).keys;
  if (Array.isArray(keys) && keys.length > 0) {
    const known = knownKeysAt(issue.path);
    return {
      path,
      message: keys
        .map((key: string) => {
          const near = closestName(key, known);
          return `unknown key "${key}"${near ? ` (did you mean "${near}"?)` : ''}`;
        })
        .join(', '),
    };
  }
  return { path, message: issue.message };
}

/** Adds each issue's line and column in `text` (the key's, or its nearest known parent's). */
function locateIssues(issues: ConfigIssue[], rawPaths: PropertyKey[][], text: string): void {
  let offsets: Map<string, number>;
  try {
    offsets = keyOffsets(text);
  } catch {
    return;
  }
  issues.forEach((issue, index) => {
    const path = (rawPaths[index] ?? []).map(String);
    for (let length = path.length; length > 0; length--) {
      const offset = offsets.get(path.slice(0, length).join('\u0000'));
      if (offset === undefined) continue;
      Object.assign(issue, positionAt(text, offset));
      return;
    }
  });
}

/**
 * Validates a config object (already parsed from JSON): interpolates `${ENV}` references, applies
 * defaults and checks every key.
 * @throws {ConfigError} naming each bad key and what is expected.
 */
export function parseConfig(
  raw: unknown,
  file: string,
  options: LoadConfigOptions & {
    /** The file's text (comments blanked), to give each issue its line and column. */
    text?: string;
  } = {},
): FedmcpConfig {
  const { value, missing } = interpolateEnv(raw, options.env ?? process.env);
  const issues: ConfigIssue[] = missing.map(({ path, variable }) => ({
    path,
    message: `environment variable ${variable} is not set (referenced as \${${variable}}); set it or give a default with \${${variable}:-value}`,
  }));
  const rawPaths: PropertyKey[][] = missing.map(({ path }) =>
    path.split(/[.[\]]+/).filter(Boolean),
  );
  const parsed = configSchema.safeParse(value);
  if (!parsed.success) {
    issues.push(...parsed.error.issues.map(describeIssue));
    // An unknown key is located at the key itself, not at the object holding it.
    rawPaths.push(
      ...parsed.error.issues.map((issue) => {
        const [unknown] = (issue as { keys?: unknown[] }).keys ?? [];
        return typeof unknown === 'string' ? [...issue.path, unknown] : [...issue.path];
      }),
    );
  }
  if (issues.length > 0 || !parsed.success) {
    if (options.text !== undefined) locateIssues(issues, rawPaths, options.text);
    throw new ConfigError(file, issues);
  }
  return options.baseDirectory === undefined
    ? parsed.data
    : resolveConfigPaths(parsed.data, options.baseDirectory);
}

/** A config file as written: its JSON value (comments stripped, `${ENV}` unresolved) and text. */
export interface ConfigFileContent {
  raw: unknown;
  /** The text with comments blanked, for line and column of issues. */
  text: string;
}

/**
 * Reads a config file and parses its JSON (comments allowed), without validating it.
 * @throws {ConfigError} when the file is missing or is not JSON (with the line and column).
 */
export async function readConfigFile(file: string): Promise<ConfigFileContent> {
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
  const json = stripJsonComments(text);
  try {
    return { raw: JSON.parse(json), text: json };
  } catch (error) {
    const position = syntaxErrorPosition(json, error as Error);
    throw new ConfigError(
      file,
      [{ path: '', message: `not valid JSON: ${(error as Error).message}`, ...position }],
      { cause: error },
    );
  }
}

/**
 * Reads and validates `fedmcp.config.json`. Relative paths in it are made absolute against the
 * file's folder (see `resolveConfigPaths`), so the hub finds the same state from any working
 * directory.
 * @throws {ConfigError} when the file is missing, is not JSON (with the line and column), or has
 * bad keys.
 */
export async function loadConfig(
  file: string,
  options: LoadConfigOptions = {},
): Promise<FedmcpConfig> {
  const { raw, text } = await readConfigFile(file);
  return parseConfig(raw, file, {
    baseDirectory: dirname(resolve(file)),
    ...options,
    text,
  });
}
