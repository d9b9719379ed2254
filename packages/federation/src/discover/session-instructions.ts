/**
 * The `instructions` of the hub's own `initialize` and `server/discover` answers, per catalog
 * view and caller: the hub's text and those of the upstreams the caller may use through its view
 * (an upstream none of whose tools, prompts or resources the view and the access hook let the
 * caller see lends it no instructions either). A 2026-07-28 hub session lives for one request, so
 * the merged text is cached — per view and caller when lists are filtered, once otherwise — and
 * rebuilt when the catalog, the access decisions or an upstream's instructions change.
 */
import { sessionInstructions } from '../hub-instructions.js';
import { principalKey } from '../pipeline/meta.js';
import type { HubSession } from '../services/session-registry.js';
import type { SessionViews } from '../services/session-views.js';
import type { Upstream } from '../upstream.js';

/** What a session is, for its instructions. */
export type InstructionsAudience = Pick<HubSession, 'principal' | 'view'>;

interface Entry {
  version: string;
  signature: string;
  text: string | undefined;
}

/** Most cached texts (views × callers); the cache starts over when full. */
const MAX_ENTRIES = 1_000;

/** The instructions each session gets; see the file comment. */
export class SessionInstructions {
  readonly #entries = new Map<string, Entry>();

  constructor(
    private readonly settings: { instructions: string | undefined; maxInstructionsChars: number },
    private readonly views: SessionViews,
    private readonly upstreams: () => readonly Upstream[],
  ) {}

  /** The merged instructions a session of `audience` gets. */
  for(audience: InstructionsAudience): string | undefined {
    const upstreams = this.upstreams().filter((upstream) => upstream.available);
    // Which upstreams' instructions exist now (an upstream reconnecting may bring new ones).
    const signature = upstreams
      .map((upstream) => `${upstream.id}\u0000${instructionsOf(upstream) ?? ''}`)
      .join('\u0001');
    const filtering = this.views.filtering;
    const key = filtering
      ? JSON.stringify([audience.view ?? '', principalKey(audience.principal)])
      : '';
    const version = this.views.version;
    const held = this.#entries.get(key);
    if (held && held.version === version && held.signature === signature) return held.text;
    const session = audience as HubSession;
    const visible = filtering
      ? upstreams.filter((upstream) => this.views.mayUse(session, upstream))
      : upstreams;
    const text = sessionInstructions(this.settings, visible);
    if (this.#entries.size >= MAX_ENTRIES) this.#entries.clear();
    this.#entries.set(key, { version, signature, text });
    return text;
  }
}

function instructionsOf(upstream: Upstream): string | undefined {
  try {
    return upstream.primary().client?.getInstructions();
  } catch {
    return undefined;
  }
}
