/**
 * How a pinned item is addressed: `<upstream>/<kind>/<encoded name>`, the path under which the
 * store keeps its pin and its pending change, and by which the pin file's entries are matched.
 */
import type { PinnedKind } from './definition-digest.js';

/** A pinned item: a tool or prompt of one upstream, by the upstream's own name. */
export interface PinnedItem {
  upstream: string;
  kind: PinnedKind;
  name: string;
}

/** Every kind of item that is pinned, in the order they are reviewed and seeded. */
export const PINNED_KINDS: readonly PinnedKind[] = ['tool', 'prompt'];

/** The list an item of this kind appears in (and its section in a pin file). */
export function listKey(kind: PinnedKind): 'tools' | 'prompts' {
  return kind === 'tool' ? 'tools' : 'prompts';
}

/** The path of an item; its name is URI-encoded so that it may contain `/`. */
export function itemPath(upstream: string, kind: PinnedKind, name: string): string {
  return `${upstream}/${kind}/${encodeURIComponent(name)}`;
}

/** Reads an {@link itemPath} back; `undefined` when it is not one. */
export function parseItemPath(path: string): PinnedItem | undefined {
  const [upstream, kind, ...rest] = path.split('/');
  if (!upstream || (kind !== 'tool' && kind !== 'prompt') || rest.length === 0) return undefined;
  try {
    return { upstream, kind: kind as PinnedKind, name: decodeURIComponent(rest.join('/')) };
  } catch {
    return undefined;
  }
}
