/**
 * The logger shape fedmcp libraries accept, declared once in `@fedmcp/protocol` (pino's shape).
 * Kept as a re-export so this package's modules can still import it from here.
 */
export { childLogger, type Logger, silentLogger } from '@fedmcp/protocol';
