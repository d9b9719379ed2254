/**
 * Action items from the analysed sentences of a meeting: each Task Assignment or Commitment Made
 * becomes an item with its owner (the addressee of a task, the speaker of a commitment, or whoever
 * answers a task with "Sure, I'll do it") and its due date.
 */
import type { IntentType } from '../intents/intent-types.js';
import { findDueDate } from './resolve-due-date.js';
import { formatTimestamp } from './timestamps.js';

/** A sentence of the meeting with its speaker, time and detected intent types. */
export interface AnalysedSentence {
  speaker?: string;
  text: string;
  start?: number;
  intents: readonly IntentType[];
}

/** Something someone has to do. */
export interface ActionItem {
  task: string;
  /** Who does it, as named in the meeting (a participant's full name when it matches one). */
  owner?: string;
  /** `YYYY-MM-DD`, when the due words resolve against the meeting date. */
  due?: string;
  /** The due words as said, e.g. `"by Friday"`. */
  dueText?: string;
  /** Who said it. */
  speaker?: string;
  /** When it was said, `HH:MM:SS` from the start. */
  at?: string;
}

const NAME = "[A-Z][a-z'-]+";
const NOT_NAMES =
  /^(okay|ok|so|right|sure|yes|yeah|well|hi|thanks|fine|no|alright|great|good|nice|also|and|then|now|please|decision|agreed|team|everyone|guys|folks)$/i;
const ADDRESSEE_PATTERNS: readonly RegExp[] = [
  new RegExp(`(?:^|[;:.—–-]\\s*)(${NAME}(?: and ${NAME})?),\\s`),
  new RegExp(
    `^(${NAME}) (?:will|is going to|owns|is responsible|is in charge|is on point|should|takes)\\b`,
  ),
  new RegExp(`\\b(?:assign|give|hand)\\b.{0,40}? to (${NAME})\\b`),
  /@([\w.-]+)/,
  new RegExp(`,\\s(${NAME})\\s*[?.!]?$`),
];
const ACKNOWLEDGEMENT =
  /^(sure|ok(ay)?|yes|yep|yeah|will do|on it|got it|no problem|sounds good|can do|absolutely|of course)\b/i;

/** The participant a spoken name refers to (exact, then first name), else the name as said. */
function resolveName(name: string, participants: readonly string[]): string {
  const lower = name.toLowerCase();
  return (
    participants.find((participant) => participant.toLowerCase() === lower) ??
    participants.find((participant) => participant.toLowerCase().split(/\s+/)[0] === lower) ??
    name
  );
}

const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
const FILLERS = /^((and|so|um|uh|also|okay|ok|well|right),?\s+)+/i;

/** A participant addressed by first name at the start, in any case ("mary can you …"). */
function leadingParticipant(text: string, participants: readonly string[]) {
  const start = text.replace(FILLERS, '');
  for (const participant of participants) {
    const first = participant.split(/\s+/)[0] ?? participant;
    const match = new RegExp(
      `^${escapeRegExp(first)}(,\\s*|\\s+(?=(can|could|would|will|please|you|make|take)\\b))`,
      'i',
    ).exec(start);
    if (match) return { participant, rest: start.slice(match[0].length) };
  }
  return undefined;
}

/** Who a task is given to, when the sentence names them. */
export function addresseeOf(text: string, participants: readonly string[]): string | undefined {
  const leading = leadingParticipant(text, participants);
  if (leading) return leading.participant;
  for (const pattern of ADDRESSEE_PATTERNS) {
    const name = pattern.exec(text)?.[1];
    if (!name || NOT_NAMES.test(name)) continue;
    return name
      .split(' and ')
      .map((part) => resolveName(part, participants))
      .join(' and ');
  }
  return undefined;
}

/** The task in words: without fillers, a leading "Name, " or a trailing ", Name?". */
function taskText(text: string, participants: readonly string[]): string {
  const stripped = (leadingParticipant(text, participants)?.rest ?? text.replace(FILLERS, ''))
    .replace(new RegExp(`^(${NAME}(?: and ${NAME})?),\\s+`), (whole, name: string) =>
      NOT_NAMES.test(name) ? whole : '',
    )
    .replace(new RegExp(`,\\s${NAME}(\\s*[?.!])$`), '$1')
    .trim();
  return stripped.charAt(0).toUpperCase() + stripped.slice(1);
}

const wordCount = (text: string) => text.split(/\s+/).filter(Boolean).length;

/** The action items of a meeting, in the order they were raised. */
export function actionItemsOf(
  sentences: readonly AnalysedSentence[],
  participants: readonly string[],
  meetingDate?: Date,
): ActionItem[] {
  const items: ActionItem[] = [];
  let lastTask: { item: ActionItem; index: number; speaker?: string } | undefined;
  for (const [index, sentence] of sentences.entries()) {
    const isTask = sentence.intents.includes('Task Assignment');
    const isCommitment = sentence.intents.includes('Commitment Made');
    const due = findDueDate(sentence.text, meetingDate);
    // "Sure, I'll do it" right after a task: its speaker takes the task; not an item of its own.
    const words = wordCount(sentence.text);
    const answersTask =
      !isTask &&
      lastTask !== undefined &&
      index - lastTask.index <= 2 &&
      sentence.speaker !== lastTask.speaker &&
      ((ACKNOWLEDGEMENT.test(sentence.text) && words <= 8) ||
        (isCommitment && words <= 5 && /\b(it|that|this|them)\b/i.test(sentence.text)));
    if (answersTask && lastTask) {
      lastTask.item.owner ??= sentence.speaker;
      if (!lastTask.item.due && due) Object.assign(lastTask.item, dueFields(due));
      lastTask = undefined;
      continue;
    }
    if (!isTask && !isCommitment) continue;
    const owner = isTask ? addresseeOf(sentence.text, participants) : sentence.speaker;
    const item: ActionItem = {
      task: taskText(sentence.text, participants),
      ...(owner ? { owner } : {}),
      ...(due ? dueFields(due) : {}),
      ...(sentence.speaker ? { speaker: sentence.speaker } : {}),
      ...(sentence.start === undefined ? {} : { at: formatTimestamp(sentence.start) }),
    };
    items.push(item);
    lastTask = isTask ? { item, index, speaker: sentence.speaker } : undefined;
  }
  return items;
}

function dueFields(due: { text: string; date?: string }): Pick<ActionItem, 'due' | 'dueText'> {
  return { dueText: due.text, ...(due.date ? { due: due.date } : {}) };
}
