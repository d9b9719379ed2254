import { INTENT_TYPES, type IntentType } from '../intent-types.js';

/** An utterance of the data set with the intent types a person gave it. */
export interface LabelledUtterance {
  text: string;
  intents: IntentType[];
}

/** The letter of each intent type in the data files (see `labelling-guide.md`). */
const CODES: Readonly<Record<string, IntentType>> = {
  T: 'Task Assignment',
  C: 'Commitment Made',
  D: 'Decision Made',
  Q: 'Question Asked',
  M: 'Meeting Scheduled',
  F: 'Follow-up Required',
};

/**
 * Reads rows of `[text, codes]` into labelled utterances, intents in {@link INTENT_TYPES} order.
 * @throws Error on an unknown code, so a typo in a data file fails loudly.
 */
export function decodeLabelledRows(
  rows: readonly (readonly [text: string, codes: string])[],
): LabelledUtterance[] {
  return rows.map(([text, codes]) => {
    const types = [...codes].map((code) => {
      const type = CODES[code];
      if (type === undefined) throw new Error(`Unknown intent code "${code}" in "${text}"`);
      return type;
    });
    return { text, intents: INTENT_TYPES.filter((type) => types.includes(type)) };
  });
}
