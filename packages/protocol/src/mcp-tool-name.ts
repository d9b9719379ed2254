/**
 * The tool-name rules of MCP 2025-11-25 (server/tools, "Tool Names", from SEP-986): 1–128
 * characters, case-sensitive, only ASCII letters, digits, `_`, `-` and `.`. The spec states them
 * as SHOULDs; the hub applies them to every name it exposes. Prompt names follow the same rules in
 * fedmcp.
 */

/** The longest tool name MCP 2025-11-25 allows. */
export const MCP_TOOL_NAME_MAX_LENGTH = 128;

/** The characters MCP 2025-11-25 allows in a tool name, as a whole-string pattern. */
export const MCP_TOOL_NAME_PATTERN: RegExp = /^[A-Za-z0-9_.-]{1,128}$/;

const DISALLOWED_CHARACTER = /[^A-Za-z0-9_.-]/gu;

/**
 * Checks a name against the MCP 2025-11-25 tool-name rules.
 *
 * @returns the problems found, as sentences; empty when the name is valid.
 * @example
 * ```ts
 * validateMcpToolName('get user'); // ['contains characters MCP does not allow in a tool name: " "']
 * ```
 */
export function validateMcpToolName(name: string): string[] {
  const problems: string[] = [];
  if (name.length === 0) problems.push('is empty (MCP tool names have 1 to 128 characters)');
  if (name.length > MCP_TOOL_NAME_MAX_LENGTH) {
    problems.push(
      `is ${name.length} characters long (MCP allows at most ${MCP_TOOL_NAME_MAX_LENGTH})`,
    );
  }
  const disallowed = [...new Set(name.match(DISALLOWED_CHARACTER) ?? [])];
  if (disallowed.length > 0) {
    const shown = disallowed
      .slice(0, 5)
      .map((character) => JSON.stringify(character))
      .join(', ');
    problems.push(
      `contains characters MCP does not allow in a tool name: ${shown}${disallowed.length > 5 ? ', …' : ''} (allowed: A-Z a-z 0-9 _ - .)`,
    );
  }
  return problems;
}

/** Returns true when `name` follows the MCP 2025-11-25 tool-name rules. */
export function isValidMcpToolName(name: string): boolean {
  return MCP_TOOL_NAME_PATTERN.test(name);
}

/** Replaces every character MCP does not allow in a tool name with `_`. Lossy. */
export function sanitizeMcpToolName(name: string): string {
  return name.replace(DISALLOWED_CHARACTER, '_');
}
