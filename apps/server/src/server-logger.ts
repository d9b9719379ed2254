/** The server's logger defaults: silent, and the redacting logger in the `ServerLogger` shape. */
import type { createRedactingLogger } from '@fedmcp/proxy-auth';
import type { ServerLogger } from './fedmcp-server-options.js';

/** The default logger: drops everything (and says so, so nothing is redacted for it). */
export const silentLogger: ServerLogger = {
  debug() {},
  info() {},
  warn() {},
  error() {},
  isLevelEnabled: () => false,
  child() {
    return silentLogger;
  },
};

/** A redacting logger in the server's logger shape. */
export function toServerLogger(logger: ReturnType<typeof createRedactingLogger>): ServerLogger {
  return {
    debug: (...args: unknown[]) => logger.debug(args[0], args[1] as string | undefined),
    info: (...args: unknown[]) => logger.info(args[0], args[1] as string | undefined),
    warn: (...args: unknown[]) => logger.warn(args[0], args[1] as string | undefined),
    error: (...args: unknown[]) => logger.error(args[0], args[1] as string | undefined),
    child: (bindings) => toServerLogger(logger.child ? logger.child(bindings) : logger),
  };
}
