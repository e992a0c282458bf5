import { createHash } from 'node:crypto';
import type { ColumnMask } from '../config/table-settings.js';
import { tableShapeText } from '../model/table-schema.js';

/** A mask as the schema attribute `logtap.mask` names it: `hash`, `null` or `truncate:<n>`. */
export const maskName = (mask: ColumnMask): string => (typeof mask === 'string' ? mask : `truncate:${mask.truncate}`);

/**
 * The bytes a hash mask digests after the salt: a string as UTF-8, bytes as they are, anything else as its
 * canonical text (numbers and bigints in decimal, booleans `true`/`false`, structured values as JSON).
 */
function valueBytes(value: unknown): Buffer {
  if (typeof value === 'string') return Buffer.from(value, 'utf8');
  if (value instanceof Uint8Array) return Buffer.from(value);
  if (typeof value === 'number' || typeof value === 'bigint' || typeof value === 'boolean') return Buffer.from(String(value), 'utf8');
  return Buffer.from(tableShapeText(value), 'utf8');
}

/** A function from a column's canonical value to its masked value; null stays null (a hash of "nothing" would join everything). */
export function maskFunction(mask: ColumnMask, salt: string | undefined): (value: unknown) => unknown {
  if (mask === 'null') return () => null;
  if (mask === 'hash') {
    const saltBytes = Buffer.from(salt ?? '', 'utf8');
    return (value) => (value === null || value === undefined ? value : createHash('sha256').update(saltBytes).update(valueBytes(value)).digest('hex'));
  }
  const n = mask.truncate;
  // By code points, so a character outside the BMP is never cut in half.
  return (value) => (typeof value === 'string' ? Array.from(value).slice(0, n).join('') : value);
}
