/**
 * The definition of a tool or prompt as pinning sees it: the fields that decide what the model is
 * told and what it may send (a tool's name, title, description, schemas and annotations; a
 * prompt's name, title, description and arguments), in canonical JSON (keys sorted at every
 * depth), and its SHA-256 digest. `_meta`, icons and other presentation fields are not pinned.
 */
import { canonicalJson as canonicalJsonOf } from '@fedmcp/protocol';
import type { Prompt, Tool } from '@modelcontextprotocol/server';

/** Whether a pinned item is a tool or a prompt. */
export type PinnedKind = 'tool' | 'prompt';

/** The pinned fields of a tool or prompt (absent fields are left out). */
export type CanonicalDefinition = Record<string, unknown>;

/** The fields pinned for each kind, in the order changes are named. */
export const PINNED_FIELDS: Readonly<Record<PinnedKind, readonly string[]>> = {
  tool: ['name', 'title', 'description', 'inputSchema', 'outputSchema', 'annotations'],
  prompt: ['name', 'title', 'description', 'arguments'],
};

/**
 * JSON with object keys sorted at every depth and `undefined` members left out, so equal values
 * always serialise to the same text. Pass `indent` for a readable form (used by diffs).
 *
 * `@fedmcp/protocol`'s `canonicalJson` with the key order pins have always used (array-index
 * keys first, in numeric order), so digests in existing pin files still match.
 */
export function canonicalJson(value: unknown, indent?: number): string {
  return canonicalJsonOf(value, { arrayIndexKeysFirst: true, indent });
}

/** The pinned fields of a tool or prompt, keys sorted at every depth. */
export function canonicalDefinition(
  kind: PinnedKind,
  item: Tool | Prompt | CanonicalDefinition,
): CanonicalDefinition {
  const picked: Record<string, unknown> = {};
  for (const field of PINNED_FIELDS[kind]) {
    const value = (item as Record<string, unknown>)[field];
    if (value !== undefined) picked[field] = value;
  }
  // Parsing the canonical text back gives the definition with its keys in canonical order.
  return JSON.parse(canonicalJson(picked)) as CanonicalDefinition;
}

/** A definition and its digest. */
export interface DigestedDefinition {
  definition: CanonicalDefinition;
  /** `sha256:<64 hex digits>` of the canonical JSON of `definition`. */
  digest: string;
}

/** SHA-256 (Web Crypto) of a string, as `sha256:<hex>`. */
export async function sha256Digest(text: string): Promise<string> {
  const bytes = new Uint8Array(
    await crypto.subtle.digest('SHA-256', new TextEncoder().encode(text)),
  );
  let hex = '';
  for (const byte of bytes) hex += byte.toString(16).padStart(2, '0');
  return `sha256:${hex}`;
}

/**
 * The canonical definition of a tool or prompt and its digest: two definitions have the same
 * digest exactly when their pinned fields are equal as JSON values (key order does not matter).
 */
export async function digestDefinition(
  kind: PinnedKind,
  item: Tool | Prompt | CanonicalDefinition,
): Promise<DigestedDefinition> {
  const definition = canonicalDefinition(kind, item);
  return { definition, digest: await sha256Digest(canonicalJson(definition)) };
}

/** The pinned fields (name excepted) whose values differ between two definitions, in field order. */
export function changedFields(
  kind: PinnedKind,
  before: CanonicalDefinition,
  after: CanonicalDefinition,
): string[] {
  return PINNED_FIELDS[kind].filter(
    (field) => canonicalJson(before[field] ?? null) !== canonicalJson(after[field] ?? null),
  );
}
