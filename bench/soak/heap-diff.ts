/**
 * Compares two V8 heap snapshots (`.heapsnapshot`, as `--heapsnapshot-signal` or DevTools write
 * them) by constructor: for each group, the count of objects and their total self size in each
 * snapshot and the difference. Objects are grouped by constructor name (`object` and `native`
 * nodes), closures by function name (`(closure) name`), everything else by node type (`(string)`,
 * `(array)`, `(compiled code)`, …), as DevTools' Summary view does.
 *   node --import tsx bench/soak/heap-diff.ts BEFORE.heapsnapshot AFTER.heapsnapshot [--top 30]
 */
import { readFileSync } from 'node:fs';

/** Count and total self size (bytes) of one group. */
export interface HeapGroup {
  count: number;
  size: number;
}

interface HeapSnapshotJson {
  snapshot: { meta: { node_fields: string[]; node_types: [string[], ...unknown[]] } };
  nodes: number[];
  strings: string[];
}

/** Reads a snapshot and sums its nodes by group. */
export function summarizeHeapSnapshot(file: string): Map<string, HeapGroup> {
  const json = JSON.parse(readFileSync(file, 'utf8')) as HeapSnapshotJson;
  const fields = json.snapshot.meta.node_fields;
  const types = json.snapshot.meta.node_types[0];
  const width = fields.length;
  const typeAt = fields.indexOf('type');
  const nameAt = fields.indexOf('name');
  const sizeAt = fields.indexOf('self_size');
  const groups = new Map<string, HeapGroup>();
  const { nodes, strings } = json;
  for (let index = 0; index < nodes.length; index += width) {
    const type = types[nodes[index + typeAt] as number] ?? 'unknown';
    const name = strings[nodes[index + nameAt] as number] ?? '';
    const key =
      type === 'object' || type === 'native'
        ? name
        : type === 'closure'
          ? `(closure) ${name || '(anonymous)'}`
          : `(${type})`;
    const group = groups.get(key) ?? { count: 0, size: 0 };
    group.count += 1;
    group.size += nodes[index + sizeAt] as number;
    groups.set(key, group);
  }
  return groups;
}

/** One row of a comparison. */
export interface HeapDiffRow {
  group: string;
  before: HeapGroup;
  after: HeapGroup;
}

/** Every group of either summary with its figures in both. */
export function diffHeapSummaries(
  before: Map<string, HeapGroup>,
  after: Map<string, HeapGroup>,
): HeapDiffRow[] {
  const empty = { count: 0, size: 0 };
  return [...new Set([...before.keys(), ...after.keys()])].map((group) => ({
    group,
    before: before.get(group) ?? empty,
    after: after.get(group) ?? empty,
  }));
}

const kilobytes = (bytes: number) => `${(bytes / 1024).toFixed(1)} kB`;
const signed = (value: number, format: (value: number) => string = String) =>
  `${value > 0 ? '+' : value < 0 ? '−' : '±'}${format(Math.abs(value))}`;

/** A markdown table of the `top` groups by size growth and by count growth. */
export function formatHeapDiff(rows: HeapDiffRow[], top = 25): string {
  const total = (pick: (row: HeapDiffRow) => HeapGroup) =>
    rows.reduce(
      (sum, row) => ({ count: sum.count + pick(row).count, size: sum.size + pick(row).size }),
      { count: 0, size: 0 },
    );
  const before = total((row) => row.before);
  const after = total((row) => row.after);
  const table = (title: string, sorted: HeapDiffRow[]) =>
    [
      `${title}`,
      '',
      '| constructor | count before | count after | Δ count | size before | size after | Δ size |',
      '|---|---:|---:|---:|---:|---:|---:|',
      ...sorted
        .slice(0, top)
        .map(
          (row) =>
            `| ${row.group.replaceAll('|', '\\|').slice(0, 80)} | ${row.before.count} | ${row.after.count} | ${signed(row.after.count - row.before.count)} | ${kilobytes(row.before.size)} | ${kilobytes(row.after.size)} | ${signed(row.after.size - row.before.size, kilobytes)} |`,
        ),
    ].join('\n');
  return [
    `Heap: ${before.count} objects, ${kilobytes(before.size)} → ${after.count} objects, ${kilobytes(after.size)} (${signed(after.count - before.count)} objects, ${signed(after.size - before.size, kilobytes)})`,
    '',
    table(
      'Largest growth by size',
      [...rows].sort((a, b) => b.after.size - b.before.size - (a.after.size - a.before.size)),
    ),
    '',
    table(
      'Largest growth by count',
      [...rows].sort((a, b) => b.after.count - b.before.count - (a.after.count - a.before.count)),
    ),
  ].join('\n');
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const [beforeFile, afterFile] = process.argv.slice(2);
  const topAt = process.argv.indexOf('--top');
  const top = topAt > 0 ? Number(process.argv[topAt + 1]) : 25;
  if (!beforeFile || !afterFile) {
    process.stderr.write('usage: heap-diff BEFORE.heapsnapshot AFTER.heapsnapshot [--top N]\n');
    process.exit(2);
  }
  process.stdout.write(
    `${formatHeapDiff(
      diffHeapSummaries(summarizeHeapSnapshot(beforeFile), summarizeHeapSnapshot(afterFile)),
      top,
    )}\n`,
  );
}
