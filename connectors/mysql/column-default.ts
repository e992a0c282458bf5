import type { ColumnType } from '../../src/model/column-type.js';
import { decimalText, unscaledAt } from '../../src/avro/decimal-bytes.js';
import { parseDateText, parseDateTimeText, parseTimeText } from './temporal-text.js';

/**
 * A column's default as INFORMATION_SCHEMA.COLUMNS prints it. MariaDB (≥ 10.2.7) quotes literals (`'web'`), prints
 * numbers and bit literals bare (`10`, `b'101'`), a NULL default as the text `NULL` (SQL NULL: no default) and
 * expressions as written (`current_timestamp()`, `uuid()`). MySQL 8 prints literals unquoted and flags expression
 * defaults with EXTRA `DEFAULT_GENERATED` (MySQL paths: unit-tested only).
 */
export type MysqlColumnDefault =
  /** A constant: `text` is the value's text (unquoted), `expression` the default as SQL. */
  | { kind: 'literal'; text: string; expression: string }
  /** Evaluated per row (CURRENT_TIMESTAMP, UUID(), …): older rows read values that no log carries. */
  | { kind: 'expression'; expression: string }
  | { kind: 'null'; expression: 'NULL' };

const NUMBER = /^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i;
const BIT_LITERAL = /^b'[01]*'$/i;
const CURRENT_TIMESTAMP = /^current_timestamp(\(\d*\))?$/i;

/** undefined when the column has no default (COLUMN_DEFAULT is SQL NULL). */
export function classifyColumnDefault(columnDefault: string | null, extra: string, mariaDb: boolean): MysqlColumnDefault | undefined {
  if (columnDefault === null) return undefined;
  if (mariaDb) {
    if (columnDefault === 'NULL') return { kind: 'null', expression: 'NULL' };
    if (columnDefault.startsWith("'") && columnDefault.endsWith("'") && columnDefault.length >= 2) {
      const text = unquoteMariaDbLiteral(columnDefault);
      if (text !== undefined) return { kind: 'literal', text, expression: columnDefault };
    }
    if (NUMBER.test(columnDefault) || BIT_LITERAL.test(columnDefault)) return { kind: 'literal', text: columnDefault, expression: columnDefault };
    return { kind: 'expression', expression: columnDefault };
  }
  if (/\bDEFAULT_GENERATED\b/i.test(extra) || CURRENT_TIMESTAMP.test(columnDefault)) return { kind: 'expression', expression: columnDefault };
  if (NUMBER.test(columnDefault) || BIT_LITERAL.test(columnDefault)) return { kind: 'literal', text: columnDefault, expression: columnDefault };
  return { kind: 'literal', text: columnDefault, expression: `'${columnDefault.replace(/\\/g, '\\\\').replace(/'/g, "''")}'` };
}

const ESCAPES: Record<string, string> = { '0': '\0', b: '\b', n: '\n', r: '\r', t: '\t', Z: '\x1a' };

/** `'it''s'` / `'a\\b'` → the string; undefined for text that is not one quoted literal. */
export function unquoteMariaDbLiteral(quoted: string): string | undefined {
  let out = '';
  for (let i = 1; i < quoted.length - 1; i++) {
    const c = quoted[i]!;
    if (c === "'") {
      if (quoted[i + 1] !== "'" || i + 1 >= quoted.length - 1) return undefined;
      out += "'";
      i++;
    } else if (c === '\\') {
      if (i + 1 >= quoted.length - 1) return undefined;
      const next = quoted[++i]!;
      out += ESCAPES[next] ?? next;
    } else out += c;
  }
  return out;
}

/**
 * The canonical value (src/model/column-type.ts) of a constant default, which rows written before the column was
 * added read; undefined when it cannot be told exactly from the text: a TIMESTAMP (printed in the session's time
 * zone), binary strings and geometries, zero dates.
 */
export function constantDefaultValue(type: ColumnType, text: string): unknown {
  try {
    switch (type.kind) {
      case 'int':
      case 'year': {
        const n = Number(text);
        return Number.isInteger(n) ? n : undefined;
      }
      case 'long':
        return /^[+-]?\d+$/.test(text) ? BigInt(text) : undefined;
      case 'float':
      case 'double': {
        const n = Number(text);
        if (!NUMBER.test(text) || !Number.isFinite(n)) return undefined;
        return type.kind === 'float' ? Math.fround(n) : n;
      }
      case 'decimal': {
        const unscaled = NUMBER.test(text) && !/e/i.test(text) ? unscaledAt(text, type.scale) : null;
        return unscaled === null ? undefined : decimalText(unscaled, type.scale);
      }
      case 'string':
      case 'json':
      case 'enum':
        return text;
      case 'uuid':
        return text.toLowerCase();
      case 'set':
        return text === '' ? [] : text.split(',');
      case 'date':
        return parseDateText(text);
      case 'timestamp-micros':
        return type.zoned ? undefined : parseDateTimeText(text);
      case 'duration-micros':
        return parseTimeText(text, 'exact');
      case 'bits': {
        const length = type.length ?? 1;
        const bits = BIT_LITERAL.test(text) ? text.slice(2, -1) : NUMBER.test(text) && /^\d+$/.test(text) ? BigInt(text).toString(2) : undefined;
        if (bits === undefined) return undefined;
        const trimmed = bits.replace(/^0+(?=.)/, '');
        return trimmed.length > length ? undefined : trimmed.padStart(length, '0');
      }
      default:
        return undefined;
    }
  } catch {
    return undefined;
  }
}
