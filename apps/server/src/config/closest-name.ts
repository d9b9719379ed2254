/**
 * "Did you mean …?": the known name closest to a mistyped one, for unknown config keys, commands
 * and tools.
 */

/** Edit distance (insertions, deletions, substitutions and swaps of neighbours), case-insensitive. */
export function editDistance(first: string, second: string): number {
  const a = first.toLowerCase();
  const b = second.toLowerCase();
  // rows[i][j]: distance between the first i characters of a and the first j of b.
  const rows: number[][] = Array.from({ length: a.length + 1 }, (_, i) =>
    Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)),
  );
  for (let i = 1; i <= a.length; i++) {
    const row = rows[i] as number[];
    const above = rows[i - 1] as number[];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let best = Math.min(
        (above[j] as number) + 1,
        (row[j - 1] as number) + 1,
        (above[j - 1] as number) + cost,
      );
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
        best = Math.min(best, ((rows[i - 2] as number[])[j - 2] as number) + 1);
      }
      row[j] = best;
    }
  }
  return (rows[a.length] as number[])[b.length] as number;
}

/**
 * The candidate closest to `input`, when it is close enough to be a typo: at most a third of the
 * longer name's characters differ (at least one), or the candidate starts or ends with it
 * (`mcpServer` → `mcpServers`, `echo` → `everything__echo`).
 * @returns undefined when nothing is close, or `input` itself is a candidate.
 */
export function closestName(input: string, candidates: Iterable<string>): string | undefined {
  let best: { name: string; distance: number } | undefined;
  const lower = input.toLowerCase();
  for (const name of candidates) {
    if (name === input) return undefined;
    const distance = editDistance(input, name);
    const limit = Math.max(1, Math.floor(Math.max(input.length, name.length) / 3));
    const candidate = name.toLowerCase();
    const contains =
      lower.length >= 3 && (candidate.endsWith(lower) || candidate.startsWith(lower));
    if (distance > limit && !contains) continue;
    if (best === undefined || distance < best.distance) best = { name, distance };
  }
  return best?.name;
}
