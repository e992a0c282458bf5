import { decodeError } from './decode-error.js';
import type { PgMappedColumn } from './column-mapping.js';
import { parseArray } from './text-array.js';
import { compileTextDecoder } from './text-decoder.js';
import { identity } from './text-reading.js';

/**
 * The canonical value of a column's attmissingval text: a one-element array of the column's type (`{web}`,
 * `{"{1,2}"}`, `{NULL}`), its element read with the column's own text decoder. The outer array is one of the
 * column's type, so its delimiter is the type's own (`;` for box; `,` for an array type).
 */
export function decodeMissingValue(column: Pick<PgMappedColumn, 'name' | 'type' | 'sourceType' | 'arrayDelimiter' | 'money'>, text: string): unknown {
  const delimiter = column.type.kind === 'array' ? ',' : column.arrayDelimiter;
  let elements: unknown[];
  try {
    elements = parseArray(text, identity, 1, delimiter.charCodeAt(0));
  } catch (err) {
    throw decodeError(column.name, column.sourceType, text, err);
  }
  if (elements.length !== 1) throw decodeError(column.name, column.sourceType, text, new Error('attmissingval is not a one-element array'));
  const element = elements[0] as string | null;
  if (element === null) return null;
  return compileTextDecoder(column.type, { column: column.name, sourceType: column.sourceType, arrayDelimiter: column.arrayDelimiter, money: column.money })(element);
}
