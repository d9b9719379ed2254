/**
 * `${ENV_VAR}` interpolation for config values, so secrets stay out of the file.
 * `${NAME:-fallback}` gives a default; `$${NAME}` writes a literal `${NAME}`.
 */

/** A reference to an environment variable that is not set, with the config key that made it. */
export interface MissingVariable {
  path: string;
  variable: string;
}

const reference = /\$(\$)?\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}/g;

/**
 * Replaces `${NAME}` in every string of `value` (deeply) from `env`.
 * @returns the interpolated copy and the references that could not be resolved.
 */
export function interpolateEnv(
  value: unknown,
  env: Readonly<Record<string, string | undefined>>,
  path = '',
): { value: unknown; missing: MissingVariable[] } {
  const missing: MissingVariable[] = [];
  const visit = (node: unknown, at: string): unknown => {
    if (typeof node === 'string') {
      return node.replace(reference, (whole, escaped, name: string, fallback?: string) => {
        if (escaped) return whole.slice(1);
        const resolved = env[name];
        if (resolved !== undefined) return resolved;
        if (fallback !== undefined) return fallback;
        missing.push({ path: at, variable: name });
        return '';
      });
    }
    if (Array.isArray(node)) return node.map((item, index) => visit(item, `${at}[${index}]`));
    if (node !== null && typeof node === 'object') {
      return Object.fromEntries(
        Object.entries(node).map(([key, child]) => [key, visit(child, at ? `${at}.${key}` : key)]),
      );
    }
    return node;
  };
  return { value: visit(value, path), missing };
}
