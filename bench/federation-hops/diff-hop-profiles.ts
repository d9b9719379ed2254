/**
 * Per-call difference of the two profiles of profile-hop.ts (calls at h2 minus calls at h0, each
 * divided by its number of calls, then halved: what one hop adds), by function (self time) and by
 * fedmcp function (inclusive time), in µs per call per hop.
 *   node --import tsx bench/federation-hops/diff-hop-profiles.ts DIRECTORY [--top N] [--match TEXT]
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

const directory = process.argv[2];
if (!directory) throw new Error('usage: diff-hop-profiles DIRECTORY [--top N] [--match TEXT]');
const option = (name: string) => {
  const index = process.argv.indexOf(`--${name}`);
  return index === -1 ? undefined : process.argv[index + 1];
};
const top = Number(option('top') ?? 40);
const match = option('match');

const shorten = (url: string) =>
  url
    .replace(/^file:\/\//, '')
    .replace(/^.*node_modules\/\.pnpm\/[^/]+\/node_modules\//, '')
    .replace(/^\/work\/main\//, '');

function analyse(name: string) {
  const profile = JSON.parse(
    readFileSync(join(directory as string, `${name}.cpuprofile`), 'utf8'),
  ) as Profile;
  const { calls } = JSON.parse(
    readFileSync(join(directory as string, `${name}.calls.json`), 'utf8'),
  ) as {
    calls: number;
  };
  const parents = new Map<number, number>();
  const keys = new Map<number, string>();
  for (const node of profile.nodes) {
    for (const child of node.children ?? []) parents.set(child, node.id);
    const { functionName, url, lineNumber } = node.callFrame;
    keys.set(
      node.id,
      `${functionName || '(anonymous)'}  ${url ? `${shorten(url)}:${lineNumber + 1}` : '(native)'}`,
    );
  }
  const self = new Map<string, number>();
  const inclusive = new Map<string, number>();
  let busy = 0;
  for (const [index, sample] of profile.samples.entries()) {
    const delta = profile.timeDeltas[index] ?? 0;
    const key = keys.get(sample) ?? '?';
    if (key.startsWith('(idle)')) continue;
    busy += delta;
    self.set(key, (self.get(key) ?? 0) + delta);
    const seen = new Set<string>();
    for (let id: number | undefined = sample; id !== undefined; id = parents.get(id)) {
      const frame = keys.get(id) ?? '?';
      if (seen.has(frame)) continue;
      seen.add(frame);
      inclusive.set(frame, (inclusive.get(frame) ?? 0) + delta);
    }
  }
  const perCall = (map: Map<string, number>) =>
    new Map([...map].map(([key, value]) => [key, value / calls]));
  return { calls, busy: busy / calls, self: perCall(self), inclusive: perCall(inclusive) };
}

const base = analyse('h0');
const hops = analyse('h2');
const perHop = (ours: Map<string, number>, theirs: Map<string, number>) => {
  const keys = new Set([...ours.keys(), ...theirs.keys()]);
  return [...keys]
    .map((key) => [key, ((ours.get(key) ?? 0) - (theirs.get(key) ?? 0)) / 2] as const)
    .filter(([key]) => !match || key.includes(match))
    .sort((left, right) => right[1] - left[1]);
};
console.log(
  `h0: ${base.calls} calls, ${base.busy.toFixed(0)} µs busy per call; h2: ${hops.calls} calls, ${hops.busy.toFixed(0)} µs busy per call; per hop ${((hops.busy - base.busy) / 2).toFixed(0)} µs`,
);
console.log('\nself time per call per hop (µs), h2 minus h0, halved:');
for (const [key, value] of perHop(hops.self, base.self).slice(0, top)) {
  console.log(`${value.toFixed(1).padStart(8)}  ${key}`);
}
console.log('\ninclusive time per call per hop (µs), fedmcp and SDK functions:');
for (const [key, value] of perHop(hops.inclusive, base.inclusive)
  .filter(([key]) => /packages\/|@modelcontextprotocol|apps\//.test(key))
  .slice(0, top)) {
  console.log(`${value.toFixed(1).padStart(8)}  ${key}`);
}
