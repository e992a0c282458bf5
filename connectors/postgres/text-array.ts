/**
 * Reader for PostgreSQL's array literals as array_out writes them: `{a,"b c",NULL,{…}}`. Elements are quoted
 * when empty, when they contain the delimiter, braces, quotes, backslashes or white space, or spell NULL;
 * inside quotes `\` escapes one character. Bounds other than 1 are written as a `[0:1]=` prefix.
 */
import type { PgTextDecoder } from './text-decoder.js';
import { BACKSLASH, LBRACE, LBRACKET, QUOTE, RBRACE, fail } from './text-reading.js';

function dimensionError(found: number, declared: number): never {
  return fail(`array value has ${found} dimension(s); the column declares ${declared} (attndims is not enforced by PostgreSQL)`);
}

/** Nested arrays exactly `dimensions` deep (or [] for `{}`), elements read by `element` or null. */
export function parseArray(text: string, element: PgTextDecoder, dimensions: number, delimiter: number): unknown[] {
  const n = text.length;
  if (text.charCodeAt(0) !== LBRACE) {
    if (text.charCodeAt(0) === LBRACKET) fail('array has explicit bounds (a lower bound other than 1), which the array type cannot carry');
    fail('expected an array literal "{…}"');
  }
  if (n === 2 && text.charCodeAt(1) === RBRACE) return [];
  const root: unknown[] = [];
  const parents: unknown[][] = [];
  let current = root;
  let depth = 1;
  let i = 1;
  for (;;) {
    // An item: a nested array, a quoted element or a bare element.
    let c = text.charCodeAt(i);
    if (c === LBRACE) {
      if (depth >= dimensions) dimensionError(depth + 1, dimensions);
      const child: unknown[] = [];
      current.push(child);
      parents.push(current);
      current = child;
      depth++;
      i++;
      continue;
    }
    if (depth !== dimensions) dimensionError(depth, dimensions);
    if (c === QUOTE) {
      i++;
      let start = i;
      let value = '';
      for (;;) {
        if (i >= n) fail('unterminated quoted array element');
        const q = text.charCodeAt(i);
        if (q === QUOTE) break;
        if (q === BACKSLASH) {
          value += text.slice(start, i);
          start = i + 1; // keep the escaped character
          i += 2;
          continue;
        }
        i++;
      }
      value += text.slice(start, i);
      i++;
      current.push(element(value));
    } else {
      const start = i;
      while (i < n) {
        c = text.charCodeAt(i);
        if (c === delimiter || c === RBRACE) break;
        i++;
      }
      if (i === start || i >= n) fail(`malformed array literal at offset ${start}`);
      if (i - start === 4 && text.startsWith('NULL', start)) current.push(null);
      else current.push(element(text.slice(start, i)));
    }
    // After an item: a delimiter (next item) or closing braces.
    for (;;) {
      c = text.charCodeAt(i);
      if (c === delimiter) {
        i++;
        break;
      }
      if (c !== RBRACE) fail(`malformed array literal at offset ${i}`);
      i++;
      const parent = parents.pop();
      if (parent === undefined) {
        if (i !== n) fail(`unexpected text after the array at offset ${i}`);
        return root;
      }
      current = parent;
      depth--;
    }
  }
}
