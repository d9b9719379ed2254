/**
 * Turns an utterance into the sparse binary features the builtin classifier weighs: normalised
 * words and word pairs, plus cues found by hand-written rules (a question mark, "I'll", "let's
 * meet", a weekday, "circle back", a leading name, …). The rules name the cues; the classifier
 * learns how much each one counts for each intent type.
 */

const INTERJECTIONS = new Set(
  'okay ok so right sure yes yeah well hi hello thanks fine no alright all great good nice hmm decision consensus agreed final'.split(
    ' ',
  ),
);

/** Cues, each a name and a test on the lower-cased text. */
const CUES: readonly (readonly [name: string, pattern: RegExp])[] = [
  ['question-mark', /\?\s*$/],
  [
    'question-start',
    /^(what|why|how|when|where|who|which|whose|is|are|was|were|do|does|did|have|has|can we|could we|should|would|any)\b/,
  ],
  [
    'request',
    /(^|[;:] )(<name>, )?(can|could|would|will) (you|someone|somebody|one of you)\b|\bplease\b|\bwould you mind\b|\bi (need|want) you to\b|(^|, )make sure\b|(^|, )you (take|handle|are|own)\b|\byour action item\b|\bassign\b|\blet <name>\b/,
  ],
  ['vocative', /(^|[;:] )<name>( and <name>)?, /],
  [
    'named-owner',
    /(^|[;:] )<name> (will|is going to|owns|is responsible|is in charge|should|takes|handles)\b/,
  ],
  ['delegate', /\b(team|someone|somebody|everyone) (should|needs to|has to|must)\b/],
  [
    'self-commit',
    /\b(i'll|i will|i'm going to|i am going to|let me|i can|i promise|leave it with me|with me, i|i'm on it|my team will|i'm happy to|count me in)\b/,
  ],
  ['we-will', /\b(we'll|we will|we're going to)\b/],
  [
    'decision',
    /\b(decided|decision|agreed|agree on|going with|go with|settled|consensus|chose|picked|final call|approved?|stick with|voted|go ahead with)\b/,
  ],
  [
    'meeting',
    /\b(meet|meeting|call|sync|standup|stand-up|retro|review|kickoff|huddle|invite|calendar|check-in|workshop|session|all-hands|planning|deep dive|post-mortem|postmortem)\b/,
  ],
  [
    'time',
    /\b(monday|tuesday|wednesday|thursday|friday|saturday|sunday|tomorrow|today|tonight|next (week|month|sprint)|this (week|afternoon|evening)|morning|afternoon|noon|\d{1,2}(:\d\d)? ?(am|pm)|at \d|the \d{1,2}(st|nd|rd|th)|in (two|three|\d+) (days|weeks|months))\b/,
  ],
  [
    'follow-up',
    /\b(follow up|follow-up|circle back|get back to|hear back|heard back|revisit|come back to|check in with|check back|chase|pending|waiting (on|for|to)|still (open|need)|stays open|table this|park this|take this offline|double-check|report back|let you know|keep an eye|pick it up)\b/,
  ],
  [
    'schedule',
    /\b(schedul\w*|booked|moved? to|moves to|reschedul\w*|grab (\w+ )?(minutes|time)|set up a (call|meeting|sync))\b/,
  ],
  ['wondering', /\b(wondering|curious|not sure (whether|if)|any (thoughts|idea|ideas))\b/],
  ['ownership', /\b(owns?|responsible for|in charge of|on point for|take ownership)\b/],
  ['lets', /^(\w+, )?let's\b|\blet's\b/],
];

const CONTRACTIONS: readonly (readonly [RegExp, string])[] = [
  [/\bi will\b/g, "i'll"],
  [/\bwe will\b/g, "we'll"],
  [/\bi am\b/g, "i'm"],
  [/\bwe are\b/g, "we're"],
  [/\blet us\b/g, "let's"],
];

/** Lower-cases, unifies apostrophes and contractions, and marks names as `<name>`. */
export function normaliseUtterance(text: string): string {
  const words = text.replace(/[’‘]/g, "'").trim().split(/\s+/);
  const marked = words.map((word, index) => {
    const bare = word.replace(/[^A-Za-z']/g, '');
    const isCapitalised = /^[A-Z][a-z]+$/.test(bare);
    if (!isCapitalised || INTERJECTIONS.has(bare.toLowerCase())) return word;
    // A capitalised word inside a sentence, or first and followed by a comma or "will"/"is", is a name.
    const next = words[index + 1]?.toLowerCase() ?? '';
    if (index > 0 || word.endsWith(',') || /^(will|is|owns|and)$/.test(next)) {
      return word.replace(bare, '<name>');
    }
    return word;
  });
  let normalised = marked.join(' ').toLowerCase();
  for (const [pattern, replacement] of CONTRACTIONS)
    normalised = normalised.replace(pattern, replacement);
  return normalised;
}

/** The names of the rule cues found in a normalised utterance. */
export function cuesOf(normalised: string): string[] {
  return CUES.filter(([, pattern]) => pattern.test(normalised)).map(([name]) => name);
}

/** The feature names of an utterance: words, word pairs and cues. */
export function featuresOf(text: string): string[] {
  const normalised = normaliseUtterance(text);
  const words = normalised.match(/<name>|[a-z0-9']+/g) ?? [];
  const features = new Set<string>();
  for (const [index, word] of words.entries()) {
    features.add(`w:${word}`);
    features.add(`b:${index === 0 ? '^' : words[index - 1]}_${word}`);
  }
  const cues = cuesOf(normalised);
  for (const cue of cues) features.add(`cue:${cue}`);
  if (cues.length === 0) features.add('cue:none');
  return [...features];
}
