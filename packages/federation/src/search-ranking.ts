/**
 * Ranked search over tool definitions, for `find_tools` (tool search for large catalogs): BM25F
 * (BM25 with per-field weights and length normalisation: Robertson and Zaragoza, "The
 * Probabilistic Relevance Framework: BM25 and Beyond", 2009, §3.6) over a tool's name, title,
 * description, argument names and argument descriptions, with identifiers split into words
 * (`get-sum`, `create_issue`, `listDirectory`), a light suffix stemmer, and a small table of
 * synonyms common in tool vocabularies, expanded into queries at a lower weight. Pure: no I/O, no
 * dependency.
 */

/** What is searched of one tool. */
export interface SearchDocument {
  /** The key a hit is reported by (the exposed tool name). */
  id: string;
  /** Identifier-like name; split into words (`github__create_issue` → github, create, issue). */
  name: string;
  title?: string;
  description?: string;
  /** Names of the tool's arguments (`inputSchema.properties` keys). */
  argumentNames?: readonly string[];
  /** Descriptions of the tool's arguments. */
  argumentText?: string;
  /** The upstream that serves the tool, and its title if any. */
  server?: string;
}

/** One search hit. */
export interface SearchHit {
  id: string;
  score: number;
}

/** Options of {@link SearchIndex.search}. */
export interface SearchOptions {
  /** Most hits returned. @default 10 */
  limit?: number;
  /** Only documents it accepts are returned (the caller's own view of the catalog). */
  filter?: (id: string) => boolean;
}

/** An index over a fixed set of documents. */
export interface SearchIndex {
  /** Number of documents indexed. */
  readonly size: number;
  /** The best documents for a free-text query, best first; none for a query without words. */
  search(query: string, options?: SearchOptions): SearchHit[];
}

type Field = 'name' | 'title' | 'description' | 'argumentNames' | 'argumentText' | 'server';

/** Field weights and length-normalisation strengths (`b`) of BM25F. */
const FIELDS: Record<Field, { weight: number; b: number }> = {
  name: { weight: 3, b: 0.3 },
  title: { weight: 2, b: 0.3 },
  description: { weight: 1, b: 0.75 },
  argumentNames: { weight: 1.5, b: 0.3 },
  argumentText: { weight: 0.4, b: 0.75 },
  server: { weight: 1, b: 0 },
};
const FIELD_NAMES = Object.keys(FIELDS) as Field[];
/** BM25's term-frequency saturation. */
const K1 = 1.2;
/** Weight of a synonym relative to the word the query used. */
const SYNONYM_WEIGHT = 0.4;

const STOP_WORDS = new Set(
  (
    'a an and any are as at be by can do does for from has have how i in into is it its me my of ' +
    'on or our so some that the their them then there these this to use used using via was we ' +
    'what when where which who will with without you your'
  ).split(' '),
);

/**
 * Groups of words that tools and their callers use for the same thing. Kept short and general:
 * words of tool vocabularies, not of one catalog.
 */
const SYNONYM_GROUPS: readonly string[][] = [
  ['add', 'sum', 'plus', 'total'],
  ['create', 'make', 'new', 'add', 'open'],
  ['delete', 'remove', 'erase', 'drop', 'destroy', 'purge'],
  ['get', 'fetch', 'retrieve', 'read', 'show', 'view', 'return', 'load'],
  ['list', 'enumerate', 'all', 'browse'],
  ['find', 'search', 'lookup', 'query', 'locate'],
  ['update', 'edit', 'modify', 'change', 'patch', 'set'],
  ['send', 'post', 'deliver', 'notify'],
  ['run', 'execute', 'invoke', 'trigger', 'start', 'launch'],
  ['stop', 'cancel', 'halt', 'terminate', 'kill'],
  ['directory', 'folder', 'dir'],
  ['file', 'document'],
  ['image', 'picture', 'photo', 'logo'],
  ['message', 'msg', 'chat'],
  ['issue', 'ticket', 'bug'],
  ['user', 'account', 'member', 'person', 'people'],
  ['compress', 'zip', 'gzip', 'archive'],
  ['move', 'rename', 'relocate'],
  ['write', 'save', 'store', 'overwrite'],
  ['size', 'length', 'bytes'],
  ['metadata', 'info', 'information', 'details', 'stat'],
  ['environment', 'env', 'variables'],
  ['repeat', 'echo'],
  ['knowledge', 'graph', 'memory'],
  ['entity', 'node'],
  ['relation', 'relationship', 'link', 'edge'],
  ['observation', 'fact', 'note'],
  ['schedule', 'calendar', 'event', 'meeting'],
  ['payment', 'charge', 'invoice', 'bill'],
  ['log', 'logging'],
];

/** Light suffix stemming: plurals, -ing, -ed, -ation, -ly, a final e (create ≡ creating). */
export function stem(word: string): string {
  let w = word;
  if (w.length <= 3 || /\d/.test(w)) return w;
  if (w.endsWith('ies') && w.length > 4) w = `${w.slice(0, -3)}y`;
  else if (w.endsWith('sses')) w = w.slice(0, -2);
  else if (w.endsWith('s') && !/(ss|us|is)$/.test(w)) w = w.slice(0, -1);
  if (w.endsWith('ation') && w.length > 7) w = w.slice(0, -3);
  else if (w.endsWith('ing') && w.length > 5) w = undouble(w.slice(0, -3));
  else if (w.endsWith('ed') && w.length > 4) w = undouble(w.slice(0, -2));
  else if (w.endsWith('ly') && w.length > 5) w = w.slice(0, -2);
  if (w.endsWith('e') && w.length > 3) w = w.slice(0, -1);
  return w;
}

function undouble(w: string): string {
  return /([bdfgmnprt])\1$/.test(w) ? w.slice(0, -1) : w;
}

/** Splits text and identifiers into lower-case words (camelCase, snake_case, kebab-case, dots). */
export function words(text: string): string[] {
  return text
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .replace(/([A-Z]+)([A-Z][a-z])/g, '$1 $2')
    .toLowerCase()
    .split(/[^a-z0-9]+/)
    .filter((word) => word.length > 0);
}

/** The index terms of a text: its words, stop words out, stemmed. */
export function tokenize(text: string): string[] {
  return words(text)
    .filter((word) => !STOP_WORDS.has(word))
    .map(stem);
}

const SYNONYMS: ReadonlyMap<string, string[]> = (() => {
  const map = new Map<string, Set<string>>();
  for (const group of SYNONYM_GROUPS) {
    const stems = group.map(stem);
    for (const term of stems) {
      const others = map.get(term) ?? new Set<string>();
      for (const other of stems) if (other !== term) others.add(other);
      map.set(term, others);
    }
  }
  return new Map([...map].map(([term, others]) => [term, [...others]]));
})();

/**
 * A query's terms, one group per distinct word of the query: the word itself at weight 1 and its
 * synonyms at a lower weight. A document scores a group's best term only, so a word with many
 * synonyms counts once, as any other word.
 */
export function queryTerms(query: string): Array<Map<string, number>> {
  const groups: Array<Map<string, number>> = [];
  for (const term of new Set(tokenize(query))) {
    const group = new Map<string, number>([[term, 1]]);
    for (const synonym of SYNONYMS.get(term) ?? []) {
      if (!group.has(synonym)) group.set(synonym, SYNONYM_WEIGHT);
    }
    groups.push(group);
  }
  return groups;
}

interface Posting {
  doc: number;
  /** Term frequency per field, in {@link FIELD_NAMES} order. */
  frequencies: number[];
}

function fieldText(document: SearchDocument, field: Field): string {
  if (field === 'argumentNames') return (document.argumentNames ?? []).join(' ');
  return document[field] ?? '';
}

/**
 * Builds the index of a set of documents.
 * @example
 * ```ts
 * const index = createSearchIndex([{ id: 'math__add', name: 'add', description: 'Adds two numbers' }]);
 * index.search('sum of numbers', { limit: 5 }); // [{ id: 'math__add', score: … }]
 * ```
 */
export function createSearchIndex(documents: readonly SearchDocument[]): SearchIndex {
  const ids = documents.map((document) => document.id);
  const lengths = documents.map(() => new Array<number>(FIELD_NAMES.length).fill(0));
  const postings = new Map<string, Posting[]>();
  documents.forEach((document, doc) => {
    FIELD_NAMES.forEach((field, f) => {
      const terms = tokenize(fieldText(document, field));
      lengths[doc]![f] = terms.length;
      for (const term of terms) {
        let list = postings.get(term);
        if (!list) {
          list = [];
          postings.set(term, list);
        }
        let posting = list[list.length - 1];
        if (posting?.doc !== doc) {
          posting = { doc, frequencies: new Array<number>(FIELD_NAMES.length).fill(0) };
          list.push(posting);
        }
        posting.frequencies[f]! += 1;
      }
    });
  });
  const count = documents.length;
  const averages = FIELD_NAMES.map(
    (_, f) => lengths.reduce((sum, fields) => sum + fields[f]!, 0) / Math.max(1, count) || 1,
  );

  return {
    size: count,
    search(query, options = {}) {
      const limit = options.limit ?? 10;
      const scores = new Map<number, number>();
      for (const group of queryTerms(query)) {
        const best = new Map<number, number>();
        for (const [term, queryWeight] of group) {
          const list = postings.get(term);
          if (!list) continue;
          // BM25's idf, floored at a small positive value so common words still count a little.
          const idf = Math.max(
            0.05,
            Math.log(1 + (count - list.length + 0.5) / (list.length + 0.5)),
          );
          for (const { doc, frequencies } of list) {
            let weighted = 0;
            FIELD_NAMES.forEach((field, f) => {
              const frequency = frequencies[f]!;
              if (frequency === 0) return;
              const { weight, b } = FIELDS[field];
              weighted += (weight * frequency) / (1 - b + (b * lengths[doc]![f]!) / averages[f]!);
            });
            const score = (queryWeight * idf * weighted) / (K1 + weighted);
            if (score > (best.get(doc) ?? 0)) best.set(doc, score);
          }
        }
        for (const [doc, score] of best) scores.set(doc, (scores.get(doc) ?? 0) + score);
      }
      const hits: Array<SearchHit & { doc: number }> = [];
      for (const [doc, score] of scores) {
        const id = ids[doc]!;
        if (options.filter && !options.filter(id)) continue;
        hits.push({ id, score, doc });
      }
      // Ties keep catalog order, so equal hits come back the same way every time.
      hits.sort((a, b) => b.score - a.score || a.doc - b.doc);
      return hits.slice(0, limit).map(({ id, score }) => ({ id, score }));
    },
  };
}
