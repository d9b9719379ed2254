/**
 * Positions in a JSON text, for config errors a user can jump to (`file:line:column`): where a
 * syntax error is, and where each key is.
 */

/** A 1-based line and column. */
export interface TextPosition {
  line: number;
  column: number;
}

/** The line and column of a character offset. */
export function positionAt(text: string, offset: number): TextPosition {
  const before = text.slice(0, Math.max(0, Math.min(offset, text.length)));
  const lines = before.split('\n');
  return { line: lines.length, column: (lines.at(-1)?.length ?? 0) + 1 };
}

/**
 * Where `JSON.parse` failed, from its error message ("… at position 42", or "Unexpected end of
 * JSON input": the end of the text).
 */
export function syntaxErrorPosition(text: string, error: Error): TextPosition | undefined {
  const match = /at position (\d+)/.exec(error.message);
  if (match) return positionAt(text, Number(match[1]));
  if (/end of (JSON )?input/i.test(error.message)) return positionAt(text, text.trimEnd().length);
  return undefined;
}

/**
 * The offset of each key of a valid JSON text, by its path (`["hub","port"]` as `hub\u0000port`;
 * array items by index). Comments must have been blanked out (see `stripJsonComments`).
 */
export function keyOffsets(text: string): Map<string, number> {
  const offsets = new Map<string, number>();
  let index = 0;
  const skipSpace = () => {
    while (/\s/.test(text[index] ?? '')) index++;
  };
  const readString = (): string => {
    const start = index;
    index++;
    while (index < text.length && text[index] !== '"') index += text[index] === '\\' ? 2 : 1;
    index++;
    return JSON.parse(text.slice(start, index)) as string;
  };
  const readValue = (path: string[]): void => {
    skipSpace();
    const character = text[index];
    if (character === '{' || character === '[') {
      const isObject = character === '{';
      index++;
      for (let item = 0; ; item++) {
        skipSpace();
        if (text[index] === '}' || text[index] === ']' || index >= text.length) break;
        let key = String(item);
        if (isObject) {
          const at = index;
          key = readString();
          offsets.set([...path, key].join('\u0000'), at);
          skipSpace();
          index++; // the colon
        }
        readValue([...path, key]);
        skipSpace();
        if (text[index] === ',') index++;
      }
      index++;
    } else if (character === '"') {
      readString();
    } else {
      while (index < text.length && !/[\s,\]}]/.test(text[index] ?? '')) index++;
    }
  };
  readValue([]);
  return offsets;
}
