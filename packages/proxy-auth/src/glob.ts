/**
 * The glob dialect of policy targets, subjects, actions and certificate rules, kept deliberately
 * small: `*` matches any run of characters (empty included, and across `__`, `/` and `:` alike),
 * `?` matches exactly one character, every other character matches itself, case-sensitively, and
 * a pattern must match the whole value. There is no escaping and no character classes.
 * Matching is iterative (no regular expressions), so hostile patterns or values cannot cause
 * catastrophic backtracking: the worst case is O(pattern × value).
 */

/** A compiled glob: call it with a value to test it. */
export type GlobMatcher = (value: string) => boolean;

/** Whether `pattern` contains a wildcard (`*` or `?`). */
export function isGlob(pattern: string): boolean {
  return pattern.includes('*') || pattern.includes('?');
}

/** Tests `value` against `pattern` (see the module documentation for the dialect). */
export function matchGlob(pattern: string, value: string): boolean {
  let patternIndex = 0;
  let valueIndex = 0;
  let starIndex = -1;
  let starValueIndex = 0;
  while (valueIndex < value.length) {
    const character = pattern[patternIndex];
    if (character === '*') {
      starIndex = patternIndex;
      starValueIndex = valueIndex;
      patternIndex += 1;
    } else if (character !== undefined && (character === '?' || character === value[valueIndex])) {
      patternIndex += 1;
      valueIndex += 1;
    } else if (starIndex !== -1) {
      // Let the last `*` swallow one more character and retry from there.
      patternIndex = starIndex + 1;
      starValueIndex += 1;
      valueIndex = starValueIndex;
    } else {
      return false;
    }
  }
  while (pattern[patternIndex] === '*') patternIndex += 1;
  return patternIndex === pattern.length;
}

/** Compiles a glob to a matcher; a pattern without wildcards becomes a plain string comparison. */
export function compileGlob(pattern: string): GlobMatcher {
  if (pattern === '*') return () => true;
  if (!isGlob(pattern)) return (value) => value === pattern;
  return (value) => matchGlob(pattern, value);
}
