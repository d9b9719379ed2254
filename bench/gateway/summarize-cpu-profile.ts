/**
 * Summarises V8 CPU profiles (`.cpuprofile`, from `BENCH_CPU_PROF=1` runs of hub.bench.ts): the top
 * functions by self time and by inclusive time, and self time per package. Frames in the bundled
 * launcher are mapped back to their source file and line through
 * the source map of the bundle. `--callers TEXT` lists who calls the frames whose `name  file:line` contains TEXT;
 * `--diff BASE.cpuprofile` lists where FILE spends more self time than BASE (meaningful when both
 * processes served the same number of calls, as the contenders of hub.bench.ts do); `--within TEXT`
 * lists where the time under the frames matching TEXT goes, by function.
 *
 *   node --import tsx bench/gateway/summarize-cpu-profile.ts FILE.cpuprofile [--top N]
 *     [--callers TEXT [--depth N]] [--within TEXT] [--diff BASE.cpuprofile] [--after-ms MS]
 *     [--until-ms MS]
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number; columnNumber: number };
  children?: number[];
}

interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

const file = process.argv[2];
if (!file) throw new Error('usage: summarize-cpu-profile FILE.cpuprofile [--top N]');
function option(name: string): string | undefined {
  const index = process.argv.indexOf(`--${name}`);
  return index === -1 ? undefined : process.argv[index + 1];
}
const top = Number(option('top') ?? 30);
/** Samples in the first `--after-ms` milliseconds of a profile (start-up) are left out. */
const afterMs = Number(option('after-ms') ?? 0);
/** Samples after `--until-ms` milliseconds are left out. */
const untilMs = Number(option('until-ms') ?? Number.POSITIVE_INFINITY);
process.stdout.on('error', () => process.exit(0));

const base64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';

/** Decoded mappings of a source map: per generated line, [column, source, line] segments. */
function decodeMappings(mappings: string): Array<Array<[number, number, number]>> {
  const lines: Array<Array<[number, number, number]>> = [];
  let source = 0;
  let sourceLine = 0;
  for (const line of mappings.split(';')) {
    const segments: Array<[number, number, number]> = [];
    let column = 0;
    for (const segment of line.split(',')) {
      if (segment === '') continue;
      const values: number[] = [];
      let value = 0;
      let shift = 0;
      for (const character of segment) {
        const digit = base64.indexOf(character);
        value += (digit & 31) << shift;
        if (digit & 32) shift += 5;
        else {
          values.push(value & 1 ? -(value >>> 1) : value >>> 1);
          value = 0;
          shift = 0;
        }
      }
      column += values[0] ?? 0;
      if (values.length >= 4) {
        source += values[1] as number;
        sourceLine += values[2] as number;
        segments.push([column, source, sourceLine]);
      }
    }
    lines.push(segments);
  }
  return lines;
}

/** Maps positions in the bundled launcher back to source files through its source map. */
const sourceMaps = new Map<
  string,
  { sources: string[]; lines: Array<Array<[number, number, number]>> }
>();
function original(url: string, line: number, column: number): { source: string; line: number } {
  if (!url.endsWith('.mjs')) return { source: url, line };
  const path = url.startsWith('file:') ? fileURLToPath(url) : url;
  let map = sourceMaps.get(path);
  if (!map) {
    // A bundle with a linked source map (the launcher bundles): anything else stays as it is.
    if (!existsSync(`${path}.map`)) return { source: url, line };
    const raw = JSON.parse(readFileSync(`${path}.map`, 'utf8')) as {
      sources: string[];
      mappings: string;
    };
    // Sources relative to the bundle's directory, wherever the bundle was built.
    map = {
      sources: raw.sources.map((source) => resolve(dirname(path), source)),
      lines: decodeMappings(raw.mappings),
    };
    sourceMaps.set(path, map);
  }
  let found: [number, number, number] | undefined;
  for (const segment of map.lines[line] ?? []) {
    if (segment[0] > column) break;
    found = segment;
  }
  found ??= map.lines[line]?.[0];
  return found ? { source: map.sources[found[1]] ?? url, line: found[2] } : { source: url, line };
}

function shorten(path: string): string {
  return path
    .replace(/^file:\/\//, '')
    .replace(/^.*node_modules\/\.pnpm\/[^/]+\/node_modules\//, '')
    .replace(/^(\.\.\/)+/, '')
    .replace(/^\/work\/main\//, '');
}

function packageOf(source: string): string {
  if (source === '') return '(native / idle / gc)';
  if (source.startsWith('node:')) return 'node internals';
  const match =
    /^(packages\/[^/]+|apps\/[^/]+|bench\/[^/]+)/.exec(source) ??
    /^(@[^/]+\/[^/]+|[^@/][^/]*)\//.exec(source);
  return match ? (match[1] as string) : source;
}

interface Analysis {
  profile: Profile;
  nodes: Map<number, ProfileNode>;
  parents: Map<number, number>;
  keyOf: Map<number, { key: string; source: string }>;
  self: Map<string, number>;
  inclusive: Map<string, number>;
  perPackage: Map<string, number>;
  total: number;
  busy: number;
}

function add(map: Map<string, number>, key: string, value: number): void {
  map.set(key, (map.get(key) ?? 0) + value);
}

function analyse(path: string): Analysis {
  const profile = JSON.parse(readFileSync(path, 'utf8')) as Profile;
  const nodes = new Map(profile.nodes.map((node) => [node.id, node]));
  const parents = new Map<number, number>();
  for (const node of profile.nodes) {
    for (const child of node.children ?? []) parents.set(child, node.id);
  }
  const keyOf = new Map<number, { key: string; source: string }>();
  for (const node of profile.nodes) {
    const { functionName, url, lineNumber, columnNumber } = node.callFrame;
    const mapped = original(url, lineNumber, columnNumber);
    const source = shorten(mapped.source);
    keyOf.set(node.id, {
      key: `${functionName || '(anonymous)'}  ${source || '(native)'}${url ? `:${mapped.line + 1}` : ''}`,
      source,
    });
  }
  const self = new Map<string, number>();
  const inclusive = new Map<string, number>();
  const perPackage = new Map<string, number>();
  let total = 0;
  let idle = 0;
  let elapsed = 0;
  for (const [index, sample] of profile.samples.entries()) {
    const delta = (profile.timeDeltas[index] ?? 0) / 1000;
    elapsed += delta;
    if (elapsed < afterMs || elapsed > untilMs) continue;
    total += delta;
    const frame = keyOf.get(sample);
    if (!frame) continue;
    if (nodes.get(sample)?.callFrame.functionName === '(idle)') {
      idle += delta;
      continue;
    }
    add(self, frame.key, delta);
    add(perPackage, packageOf(frame.source), delta);
    const seen = new Set<string>();
    for (let id: number | undefined = sample; id !== undefined; id = parents.get(id)) {
      const key = keyOf.get(id)?.key;
      if (key && !seen.has(key)) {
        seen.add(key);
        add(inclusive, key, delta);
      }
    }
  }
  return { profile, nodes, parents, keyOf, self, inclusive, perPackage, total, busy: total - idle };
}

function print(
  title: string,
  entries: Map<string, number>,
  count: number,
  busy: number,
  filter?: RegExp,
) {
  process.stdout.write(`\n${title}\n`);
  const sorted = [...entries]
    .filter(([key]) => !filter || filter.test(key))
    .sort((left, right) => right[1] - left[1])
    .slice(0, count);
  for (const [key, milliseconds] of sorted) {
    process.stdout.write(
      `${milliseconds.toFixed(0).padStart(8)} ms ${((milliseconds / busy) * 100).toFixed(1).padStart(5)}%  ${key}\n`,
    );
  }
}

const analysis = analyse(file);
const { busy } = analysis;
process.stdout.write(
  `${file}: ${(analysis.total / 1000).toFixed(1)} s sampled, ${(busy / 1000).toFixed(1)} s busy (not idle)\n`,
);
const basePath = option('diff');
if (basePath) {
  const base = analyse(basePath);
  process.stdout.write(`${basePath}: ${(base.busy / 1000).toFixed(1)} s busy\n`);
  const difference = (ours: Map<string, number>, theirs: Map<string, number>) => {
    const result = new Map<string, number>();
    for (const key of new Set([...ours.keys(), ...theirs.keys()])) {
      result.set(key, (ours.get(key) ?? 0) - (theirs.get(key) ?? 0));
    }
    return result;
  };
  print(
    'Self time by package, FILE minus BASE:',
    difference(analysis.perPackage, base.perPackage),
    40,
    busy - base.busy,
  );
  print(
    `Top ${top} functions by self time, FILE minus BASE (% of the difference in busy time):`,
    difference(analysis.self, base.self),
    top,
    busy - base.busy,
  );
} else {
  print('Self time by package:', analysis.perPackage, 40, busy);
  print(`Top ${top} functions by self time:`, analysis.self, top, busy);
  print(
    `Top ${top} fedmcp functions by inclusive time:`,
    analysis.inclusive,
    top,
    busy,
    /\s(packages|apps)\//,
  );
}

const wanted = option('callers');
if (wanted !== undefined) {
  const depth = Number(option('depth') ?? 4);
  const { profile, parents, keyOf } = analysis;
  const callers = new Map<string, number>();
  for (const [index, sample] of profile.samples.entries()) {
    const delta = (profile.timeDeltas[index] ?? 0) / 1000;
    for (let id: number | undefined = sample; id !== undefined; id = parents.get(id)) {
      if (!keyOf.get(id)?.key.includes(wanted)) continue;
      const stack: string[] = [];
      for (
        let up = parents.get(id);
        up !== undefined && stack.length < depth;
        up = parents.get(up)
      ) {
        stack.push(keyOf.get(up)?.key ?? '?');
      }
      add(callers, stack.join('  <  '), delta);
      break;
    }
  }
  print(`Callers of ${wanted} (${depth} frames up):`, callers, 10, busy);
}

const within = option('within');
if (within !== undefined) {
  // Where the time under the frames matching `--within TEXT` goes: the self time of every sample
  // with such a frame on its stack, by the function the sample is in.
  const { profile, parents, keyOf } = analysis;
  const callees = new Map<string, number>();
  let sum = 0;
  for (const [index, sample] of profile.samples.entries()) {
    const delta = (profile.timeDeltas[index] ?? 0) / 1000;
    for (let id: number | undefined = sample; id !== undefined; id = parents.get(id)) {
      if (!keyOf.get(id)?.key.includes(within)) continue;
      add(callees, keyOf.get(sample)?.key ?? '?', delta);
      sum += delta;
      break;
    }
  }
  print(`Self time under ${within} (${sum.toFixed(0)} ms in all):`, callees, top, busy);
}
