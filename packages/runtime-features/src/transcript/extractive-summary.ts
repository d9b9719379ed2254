/**
 * A summary made of the meeting's own sentences: each sentence scores by how common its content
 * words are in the meeting, plus a bonus for decisions, tasks, commitments and scheduled meetings;
 * the best are taken up to a word budget and read in their original order.
 */
import type { AnalysedSentence } from './action-items.js';

const STOP_WORDS = new Set(
  "a an and are as at be but by can could do does for from had has have i i'll i'm if in is it it's just let's me my of on or our so that the their then there this to up was we we'll we're what will with would you your yeah okay ok right sure think know like well also get go going".split(
    ' ',
  ),
);

const BONUS: Readonly<Record<string, number>> = {
  'Decision Made': 2,
  'Task Assignment': 1.5,
  'Commitment Made': 1.5,
  'Meeting Scheduled': 1,
  'Follow-up Required': 0.5,
};

const wordsOf = (text: string) => text.toLowerCase().match(/[a-z0-9']+/g) ?? [];

/**
 * Picks sentences for a summary of at most `maxWords` words, as `Speaker: sentence` lines (the
 * speaker named when it changes).
 */
export function extractiveSummary(sentences: readonly AnalysedSentence[], maxWords = 120): string {
  const frequency = new Map<string, number>();
  for (const sentence of sentences) {
    for (const word of new Set(wordsOf(sentence.text))) {
      if (!STOP_WORDS.has(word)) frequency.set(word, (frequency.get(word) ?? 0) + 1);
    }
  }
  const top = Math.max(1, ...frequency.values());
  const scored = sentences
    .map((sentence, index) => {
      const words = wordsOf(sentence.text);
      const content = words.filter((word) => !STOP_WORDS.has(word));
      const salience = content.reduce((sum, word) => sum + (frequency.get(word) ?? 0) / top, 0);
      const bonus = sentence.intents.reduce((sum, type) => sum + (BONUS[type] ?? 0), 0);
      return { index, words: words.length, score: salience / Math.sqrt(words.length || 1) + bonus };
    })
    .filter((entry) => entry.words >= 4)
    .sort((first, second) => second.score - first.score || first.index - second.index);
  const chosen: number[] = [];
  let budget = maxWords;
  for (const entry of scored) {
    if (entry.words > budget) continue;
    chosen.push(entry.index);
    budget -= entry.words;
  }
  // A meeting of nothing but short remarks still gets a summary: its first sentence.
  if (chosen.length === 0 && sentences.length > 0) chosen.push(0);
  let previousSpeaker: string | undefined;
  return chosen
    .sort((first, second) => first - second)
    .map((index) => {
      const sentence = sentences[index];
      if (!sentence) return '';
      const named = sentence.speaker && sentence.speaker !== previousSpeaker;
      previousSpeaker = sentence.speaker;
      return named ? `${sentence.speaker}: ${sentence.text}` : sentence.text;
    })
    .join('\n');
}
