/**
 * Removes `//` and `/* … *\/` comments and trailing commas from JSON text (outside strings), so
 * `fedmcp.config.json` may carry comments (JSONC) while plain JSON — such as a pasted Claude
 * Desktop config — reads unchanged. Removed text becomes spaces, so error positions stay right.
 */
export function stripJsonComments(text: string): string {
  return removeTrailingCommas(removeComments(text));
}

/** Index just past the string literal that starts at `start` (a `"`). */
function endOfString(text: string, start: number): number {
  let index = start + 1;
  while (index < text.length && text[index] !== '"') index += text[index] === '\\' ? 2 : 1;
  return index + 1;
}

function removeComments(text: string): string {
  let output = '';
  let index = 0;
  while (index < text.length) {
    const character = text[index];
    const next = text[index + 1];
    let stop = index + 1;
    if (character === '"') {
      stop = endOfString(text, index);
      output += text.slice(index, stop);
    } else if (character === '/' && (next === '/' || next === '*')) {
      const end = next === '/' ? text.indexOf('\n', index) : text.indexOf('*/', index + 2);
      stop = end === -1 ? text.length : next === '/' ? end : end + 2;
      output += text.slice(index, stop).replace(/[^\n]/g, ' ');
    } else {
      output += character;
    }
    index = stop;
  }
  return output;
}

const closingAhead = /\s*[}\]]/y;

/** Whether only whitespace stands between `index` and a closing bracket or brace. */
function closesAt(text: string, index: number): boolean {
  closingAhead.lastIndex = index;
  return closingAhead.test(text);
}

function removeTrailingCommas(text: string): string {
  let output = '';
  let index = 0;
  while (index < text.length) {
    const character = text[index];
    let stop = index + 1;
    if (character === '"') {
      stop = endOfString(text, index);
      output += text.slice(index, stop);
    } else if (character === ',' && closesAt(text, index + 1)) {
      output += ' ';
    } else {
      output += character;
    }
    index = stop;
  }
  return output;
}
