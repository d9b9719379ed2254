/**
 * Redaction for anything that may reach a log or the audit stream: values under secret-like keys,
 * configured secret values wherever they appear in strings, and strings shaped like credentials
 * (fedmcp API keys, JWTs, `Bearer …`).
 */

/** Keys whose values are replaced: passwords, secrets, tokens, API keys, authorization, cookies, credentials, private keys. */
export const SECRET_KEY_PATTERN =
  /pass(word)?|secret|token|api[-_]?key|authorization|cookie|credential|private[-_]?key/i;

/** What replaces a redacted value. */
export const REDACTED = '[REDACTED]';

// fmk_ API keys, compact JWS/JWT (three base64url segments starting with `eyJ`), bearer credentials.
const CREDENTIAL_SHAPES =
  /fmk_[A-Za-z0-9_-]{20,}|eyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*|Bearer\s+[A-Za-z0-9\-._~+/]{8,}=*/g;

/** Options of {@link redactSecrets}. */
export interface RedactOptions {
  /** Keys matching this are redacted. @default SECRET_KEY_PATTERN */
  keyPattern?: RegExp;
  /** Known secret values (upstream tokens, secrets file entries) to cut out of every string. @default [] */
  secretValues?: readonly string[];
  /** Cut credential-shaped substrings (API keys, JWTs, `Bearer …`) out of strings. @default true */
  redactCredentialShapes?: boolean;
  /** Objects nested deeper than this are replaced by `'[Truncated]'`. @default 16 */
  maxDepth?: number;
}

/**
 * Returns a redacted deep copy of `value` (JSON-like data: objects, arrays, primitives).
 *
 * @example
 * ```ts
 * redactSecrets({ query: 'x', apiKey: 'abc' }); // { query: 'x', apiKey: '[REDACTED]' }
 * ```
 */
export function redactSecrets(value: unknown, options: RedactOptions = {}): unknown {
  const keyPattern = options.keyPattern ?? SECRET_KEY_PATTERN;
  const secretValues = (options.secretValues ?? []).filter((secret) => secret.length > 0);
  const shapes = options.redactCredentialShapes ?? true;
  const maxDepth = options.maxDepth ?? 16;
  const seen = new WeakSet<object>();

  function redactString(text: string): string {
    let result = text;
    for (const secret of secretValues) {
      if (result.includes(secret)) result = result.split(secret).join(REDACTED);
    }
    return shapes ? result.replace(CREDENTIAL_SHAPES, REDACTED) : result;
  }

  function visit(current: unknown, depth: number): unknown {
    if (typeof current === 'string') return redactString(current);
    if (typeof current !== 'object' || current === null) return current;
    if (seen.has(current)) return '[Circular]';
    if (depth >= maxDepth) return '[Truncated]';
    seen.add(current);
    try {
      if (Array.isArray(current)) return current.map((item) => visit(item, depth + 1));
      if (current instanceof Error) {
        // Message and stack are not enumerable: copy them explicitly so they are kept, redacted.
        const copy: Record<string, unknown> = {
          type: current.name,
          message: redactString(current.message),
          ...(current.stack === undefined ? {} : { stack: redactString(current.stack) }),
          ...(current.cause === undefined ? {} : { cause: visit(current.cause, depth + 1) }),
        };
        for (const [key, item] of Object.entries(current)) {
          copy[key] = keyPattern.test(key) ? REDACTED : visit(item, depth + 1);
        }
        return copy;
      }
      const copy: Record<string, unknown> = {};
      for (const [key, item] of Object.entries(current)) {
        copy[key] = keyPattern.test(key) ? REDACTED : visit(item, depth + 1);
      }
      return copy;
    } finally {
      seen.delete(current);
    }
  }

  return visit(value, 0);
}
