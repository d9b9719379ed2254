/**
 * The `instructions` a downstream client gets at initialize: the hub's own, then each available
 * upstream's under a `## <upstream id>` heading, in registration order, within a size cap. Over
 * the cap, every part gets a fair share (a part shorter than its share keeps all of it; the
 * others are cut, each with a note saying how much was left out), so one verbose upstream cannot
 * crowd out the rest. Built per session, so a new session gets the text of the upstreams up now.
 */
import type { Upstream } from './upstream.js';

/** The default cap of the merged instructions, in characters (`HubOptions.maxInstructionsChars`). */
export const DEFAULT_MAX_INSTRUCTIONS_CHARS = 8192;

/** One upstream's instructions. */
export interface UpstreamInstructions {
  /** The upstream id, the heading of its part. */
  id: string;
  instructions: string | undefined;
}

interface Part {
  head: string;
  body: string;
}

const SEPARATOR = '\n\n';
/** Room kept for the note of a cut part. */
const NOTE_ROOM = 64;

function note(shown: number, total: number): string {
  return `\n[… fedmcp cut these instructions to ${shown} of ${total} characters]`;
}

function render(parts: Part[]): string {
  return parts.map((part) => `${part.head}${part.body}`).join(SEPARATOR);
}

/**
 * Merges the hub's own instructions and its upstreams' into one text of at most `maxChars`
 * characters (see the file comment); `undefined` when there are none.
 */
export function mergeInstructions(
  own: string | undefined,
  upstreams: readonly UpstreamInstructions[],
  maxChars: number = DEFAULT_MAX_INSTRUCTIONS_CHARS,
): string | undefined {
  const parts: Part[] = [];
  if (own?.trim()) parts.push({ head: '', body: own.trim() });
  for (const upstream of upstreams) {
    const body = upstream.instructions?.trim();
    if (body) parts.push({ head: `## ${upstream.id}\n`, body });
  }
  if (parts.length === 0) return undefined;
  const full = render(parts);
  if (full.length <= maxChars) return full;
  // Fair shares of what is left after headings, separators and room for the notes.
  const fixed =
    parts.reduce((sum, part) => sum + part.head.length + NOTE_ROOM, 0) +
    SEPARATOR.length * (parts.length - 1);
  let budget = maxChars - fixed;
  if (budget < parts.length) return full.slice(0, maxChars);
  const shares = new Map<Part, number>();
  let open = [...parts].sort((a, b) => a.body.length - b.body.length);
  while (open.length > 0) {
    const share = Math.floor(budget / open.length);
    const shortest = open[0] as Part;
    if (shortest.body.length > share) {
      for (const part of open) shares.set(part, share);
      break;
    }
    shares.set(shortest, shortest.body.length);
    budget -= shortest.body.length;
    open = open.slice(1);
  }
  const cut = parts.map((part) => {
    const share = shares.get(part) ?? part.body.length;
    if (part.body.length <= share) return part;
    return {
      head: part.head,
      body: `${part.body.slice(0, share)}${note(share, part.body.length)}`,
    };
  });
  return render(cut).slice(0, maxChars);
}

/** An upstream's instructions from its initialize (or 2026-07-28 discover) answer, while it is up. */
function instructionsOf(upstream: Upstream): string | undefined {
  if (!upstream.available) return undefined;
  try {
    return upstream.primary().client?.getInstructions();
  } catch {
    return undefined; // went down meanwhile
  }
}

/** The instructions a new downstream session gets: the hub's and its available upstreams'. */
export function sessionInstructions(
  settings: { instructions: string | undefined; maxInstructionsChars: number },
  upstreams: readonly Upstream[],
): string | undefined {
  return mergeInstructions(
    settings.instructions,
    upstreams.map((upstream) => ({ id: upstream.id, instructions: instructionsOf(upstream) })),
    settings.maxInstructionsChars,
  );
}
