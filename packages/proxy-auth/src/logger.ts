/** The logger shape the library accepts: pino's (a pino logger fits as is). Silent by default. */
export interface Logger {
  debug(object: unknown, message?: string): void;
  info(object: unknown, message?: string): void;
  warn(object: unknown, message?: string): void;
  error(object: unknown, message?: string): void;
}
