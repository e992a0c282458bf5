import type { ColumnType } from '../../src/model/column-type.js';
import type { Row } from '../../src/model/change-event.js';
import type { PgMappedColumn } from './column-mapping.js';
import { decodeError, ValueFormatError } from './decode-error.js';
import { parseArray } from './text-array.js';
import { parseDate, parseIsoInterval, parseTime, parseTimeTz, parseTimestamp, parseTimestampTz } from './text-datetime.js';
import { identity } from './text-reading.js';
import {
  parseBits,
  parseBoolean,
  parseByteaHex,
  parseFixedBits,
  parseFloat32,
  parseFloat64,
  parseInt16,
  parseInt32,
  parseInt64,
  parseMoney,
  parseNumeric,
  parseNumericWithSpecials,
  parseUuid,
} from './text-scalars.js';

export { REQUIRED_SESSION_SETTINGS } from './session-settings.js';

/**
 * Turns PostgreSQL's text output of one value (as pgoutput sends it, and as a query returns it) into the
 * canonical JavaScript value of its ColumnType (src/model/column-type.ts), exactly. The text must have been
 * written under REQUIRED_SESSION_SETTINGS; a value in another format is an error, never a guess.
 *
 * Hot path: the decoders are built once per relation and read with charCode loops; no regex per value.
 */
export type PgTextDecoder = (text: string) => unknown;

/** A row as pgoutput sent it: text per column, null for NULL, undefined for an unchanged TOASTed value. */
export type RawTuple = Readonly<Record<string, string | null | undefined>>;

export interface DecoderContext {
  /** Named in errors. */
  column: string;
  sourceType?: string;
  /** The element type's delimiter inside array literals; `,` unless the element is a box. */
  arrayDelimiter?: string;
  /** The (element) type is money: its decimal is written as `-$1,234.56`. */
  money?: boolean;
}

/** How a column's text is written, beyond its ColumnType. */
export interface TextFormat {
  /** Character code of the array element delimiter. */
  arrayDelimiter: number;
  money: boolean;
}

const DEFAULT_FORMAT: TextFormat = { arrayDelimiter: 44 /* , */, money: false };

/** A decoder for one column: errors name the column. */
export function compileTextDecoder(type: ColumnType, context: DecoderContext): PgTextDecoder {
  const parse = compileParser(type, { arrayDelimiter: (context.arrayDelimiter ?? ',').charCodeAt(0), money: context.money ?? false });
  const { column, sourceType } = context;
  return (text: string) => {
    try {
      return parse(text);
    } catch (err) {
      throw decodeError(column, sourceType, text, err);
    }
  };
}

/**
 * A decoder for whole rows of one relation. Columns absent from the tuple or sent as unchanged TOAST
 * (undefined) are left out of the row; NULL stays null. The row has no prototype (column names are data).
 */
export function compileRowDecoder(columns: readonly PgMappedColumn[]): (tuple: RawTuple) => Row {
  const count = columns.length;
  const names = columns.map((c) => c.name);
  const parsers = columns.map((c) => compileParser(c.type, { arrayDelimiter: c.arrayDelimiter.charCodeAt(0), money: c.money }));
  return (tuple: RawTuple): Row => {
    const row: Row = Object.create(null) as Row;
    for (let i = 0; i < count; i++) {
      const name = names[i]!;
      const text = tuple[name];
      if (text === undefined) continue;
      if (text === null) {
        row[name] = null;
        continue;
      }
      try {
        row[name] = parsers[i]!(text);
      } catch (err) {
        const column = columns[i]!;
        throw decodeError(column.name, column.sourceType, text, err);
      }
    }
    return row;
  };
}

/** The decoder without error context, for use inside arrays and row decoders. */
export function compileParser(type: ColumnType, format: TextFormat = DEFAULT_FORMAT): PgTextDecoder {
  switch (type.kind) {
    case 'boolean':
      return parseBoolean;
    case 'int':
      if (type.unsigned || type.bits === 8 || type.bits === 24) break;
      return type.bits === 16 ? parseInt16 : parseInt32;
    case 'long':
      if (type.unsigned32) break;
      return parseInt64;
    case 'float':
      return parseFloat32;
    case 'double':
      return parseFloat64;
    case 'decimal':
      if (format.money) return parseMoney;
      return type.specials ? parseNumericWithSpecials : parseNumeric;
    case 'variable-decimal':
      return type.specials ? parseNumericWithSpecials : parseNumeric;
    case 'string':
    case 'json':
      return identity;
    case 'uuid':
      return parseUuid;
    case 'bytes':
      return parseByteaHex;
    case 'bits': {
      const length = type.length;
      return length === undefined ? parseBits : (text) => parseFixedBits(text, length);
    }
    case 'date':
      return parseDate;
    case 'time-micros':
      return parseTime;
    case 'time-tz':
      return parseTimeTz;
    case 'timestamp-micros':
      return type.zoned ? parseTimestampTz : parseTimestamp;
    case 'interval':
      return parseIsoInterval;
    case 'enum': {
      const labels = new Set(type.symbols);
      const name = type.name;
      return (text) => {
        if (!labels.has(text)) throw new ValueFormatError(`not a label of enum ${JSON.stringify(name)} as introspected (was a label added since?)`);
        return text;
      };
    }
    case 'array': {
      const element = compileParser(type.element, format);
      const { dimensions } = type;
      const delimiter = format.arrayDelimiter;
      return (text) => parseArray(text, element, dimensions, delimiter);
    }
    default:
      break;
  }
  throw new Error(`the PostgreSQL text decoder has no reading for column type ${JSON.stringify(type)}`);
}
