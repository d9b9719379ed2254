/**
 * A logger wrapper that redacts everything it passes on, so secrets never reach log output:
 * values under secret-like keys, the configured secret values wherever they appear (objects,
 * messages, error messages and stacks) and credential-shaped strings.
 */
import type { Logger } from '@fedmcp/protocol';
import { type RedactOptions, redactSecrets } from './redact-secrets.js';

/**
 * A pino-shaped logger, optionally with `child` and `isLevelEnabled` (nothing is redacted for a
 * level that is not enabled).
 * @deprecated Use `Logger` from `@fedmcp/protocol` (the same shape).
 */
export type ChildLogger = Logger;

/** Options of {@link createRedactingLogger}. */
export interface RedactingLoggerOptions extends Omit<RedactOptions, 'secretValues'> {
  /**
   * Secret values to cut out; read on every call, so pass a `Set` the app keeps current (e.g.
   * filled by `resolveSecretReferences`' `onResolved`). @default none
   */
  secretValues?: Iterable<string>;
}

/**
 * Wraps a logger so that every object and message it receives is redacted first.
 *
 * @example
 * ```ts
 * const secrets = new Set<string>();
 * const config = await resolveSecretReferences(raw, { env: process.env, secrets: file, onResolved: (value) => secrets.add(value) });
 * const logger = createRedactingLogger(pino(), { secretValues: secrets });
 * ```
 */
export function createRedactingLogger(
  logger: Logger,
  options: RedactingLoggerOptions = {},
): Logger {
  const redact = (value: unknown) =>
    redactSecrets(value, { ...options, secretValues: [...(options.secretValues ?? [])] });
  const at =
    (level: 'debug' | 'info' | 'warn' | 'error') =>
    (object: unknown, message?: string): void => {
      if (logger.isLevelEnabled?.(level) === false) return; // no redaction work for dropped lines
      if (message === undefined) logger[level](redact(object));
      else logger[level](redact(object), redact(message) as string);
    };
  return {
    debug: at('debug'),
    info: at('info'),
    warn: at('warn'),
    error: at('error'),
    ...(logger.isLevelEnabled
      ? { isLevelEnabled: (level: string) => logger.isLevelEnabled!(level) }
      : {}),
    ...(logger.child
      ? {
          child: (bindings: Record<string, unknown>) =>
            createRedactingLogger(
              logger.child!(redact(bindings) as Record<string, unknown>),
              options,
            ),
        }
      : {}),
  };
}
