import { HELD_OUT } from './held-out.js';
import { decodeLabelledRows, type LabelledUtterance } from './labelled-utterances.js';
import { TRAIN } from './train.js';

/** The labelled intent data set that ships with the package, in its two splits. */
export interface IntentDataSet {
  /** What the builtin engine learns from. */
  train: LabelledUtterance[];
  /** Never used to train or tune; for evaluating engines (`pnpm bench intents`). */
  heldOut: LabelledUtterance[];
}

/**
 * The shipped labelled utterances (written for fedmcp; labelling guide in
 * `src/intents/data/labelling-guide.md`), e.g. to evaluate an engine with
 * {@link evaluateIntentEngine}.
 */
export function intentDataSet(): IntentDataSet {
  return { train: decodeLabelledRows(TRAIN), heldOut: decodeLabelledRows(HELD_OUT) };
}
