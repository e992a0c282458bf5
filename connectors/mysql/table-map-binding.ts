import {
  BINARY_DATA_TYPES,
  GEOMETRY_DATA_TYPES,
  INTEGER_DATA_TYPES,
  TEXT_DATA_TYPES,
  type MysqlColumnInfo,
  type MysqlTableInfo,
} from './mysql-column-info.js';
import { WIRE } from './binlog-column-types.js';
import { datetime2Width, decimalWidth, timestamp2Width } from './binlog-binary-values.js';
import { TableMapMismatchError } from './mysql-errors.js';

/**
 * Binds zongji's per-table decoding state (its `tableMap[tableId]` entry) to the introspected column info, so that
 * zongji hands over every value in the exact form the row decoder expects. Call it from the `binlog` handler on
 * every `tablemap` event of a captured table, before the row events that follow are parsed (zongji parses the next
 * event only after the handler returns). It rewrites only what zongji would otherwise decode lossily:
 *
 * - GEOMETRY is read as a BLOB: zongji would parse WKB into {x, y} objects, dropping the SRID and the geometry type;
 * - ENUM/SET value lists become index tokens ('1'…'n' / '0'…'63'): zongji joins SET members with ',' (ambiguous when
 *   '' is a member) and, without FULL metadata, splits the COLUMN_TYPE list on ',' (wrong for labels with commas);
 * - the character set of each text column is set from INFORMATION_SCHEMA: zongji reads it from the binlog metadata
 *   with MySQL 8's collation table (MariaDB's ids above 1000 become utf8mb4), and unpatched misassigned it on
 *   MariaDB when a GEOMETRY column precedes (a JSON column then arrived as a Buffer);
 *   latin1 is read byte for byte (`binary`) because iconv-lite's cp1252 turns five bytes into U+FFFD;
 * - BINARY/VARBINARY/UUID/INET4/INET6 are read as raw bytes (zongji formats MariaDB UUID/INET from
 *   INFORMATION_SCHEMA only, and compresses INET6 zero groups differently from the server);
 * - integer signedness is set from INFORMATION_SCHEMA;
 * - DATETIME2, TIMESTAMP2 and DECIMAL are read as their bytes (as a BIT of their width) when the binlog's precision
 *   is the introspected one: zongji would print them as text (TIMESTAMP through a Date) only for the value decoder
 *   to parse it back (binlog-binary-values.ts decodes the bytes instead).
 *
 * Returns the binlog column types as zongji decoded them before any rewrite (what `compileRowDecoder` needs); an
 * entry bound before (zongji keeps it while the table's name and column count stay) is bound again from them.
 * Throws TableMapMismatchError when the binlog's table differs from the introspected one (a schema change between
 * the two): the caller re-introspects.
 */
export function bindTableMap(entry: ZongjiTableMapEntry, table: MysqlTableInfo): number[] {
  const label = `${table.database}.${table.table}`;
  const columns = entry.columns;
  if (!columns) throw new TableMapMismatchError(label, 'zongji has not resolved the table map columns yet');
  if (columns.length !== table.columns.length || entry.columnSchemas.length !== table.columns.length) {
    throw new TableMapMismatchError(label, `binlog has ${columns.length} columns, introspection ${table.columns.length}`);
  }
  const binlogTypes = columns.map((column) => rewritten.get(column)?.type ?? column.type);
  for (let i = 0; i < columns.length; i++) {
    const info = table.columns[i]!;
    const column = columns[i]!;
    const schema = entry.columnSchemas[i]!;
    const original = rewritten.get(column);
    if (original) {
      column.type = original.type;
      column.metadata = original.metadata;
      rewritten.delete(column);
    }
    if (column.name !== info.name) {
      throw new TableMapMismatchError(label, `column ${i + 1} is ${JSON.stringify(column.name)} in the binlog, ${JSON.stringify(info.name)} in INFORMATION_SCHEMA`);
    }
    const family = wireFamily(info);
    const expected = family === 'other' ? (OTHER_WIRE_TYPES[info.dataType] ?? []) : WIRE_TYPES[family];
    if (!expected.includes(column.type)) {
      throw new TableMapMismatchError(label, `column ${info.name} (${info.columnType}) arrives as binlog type ${column.type}`);
    }
    switch (family) {
      case 'integer':
        schema.UNSIGNED = info.unsigned;
        break;
      case 'geometry':
        column.type = WIRE.LONG_BLOB;
        column.charset = null;
        break;
      case 'enum':
        schema.ENUM_VALUES = indexTokens(info.labels?.length ?? 0, 1);
        break;
      case 'set':
        schema.SET_VALUES = indexTokens(info.labels?.length ?? 0, 0);
        break;
      case 'text':
        column.charset = info.characterSet === 'latin1' ? 'binary' : (info.characterSet ?? null);
        schema.CHARACTER_SET_NAME = column.charset;
        // zongji treats a CHAR/VARCHAR as binary when COLUMN_TYPE starts with binary/varbin/uuid/inet/vector.
        schema.COLUMN_TYPE = info.columnType;
        break;
      case 'binary':
        column.charset = null;
        schema.CHARACTER_SET_NAME = null;
        schema.COLUMN_TYPE = fixedWidthBinaryType(info);
        break;
      default: {
        const width = binaryImageWidth(info, column);
        if (width !== undefined) {
          rewritten.set(column, { type: column.type, metadata: column.metadata });
          column.type = WIRE.BIT;
          column.metadata = { bits: width * 8 };
        }
        break;
      }
    }
  }
  return binlogTypes;
}

/** The wire type and metadata of each column read as bytes, to bind an entry again. */
const rewritten = new WeakMap<ZongjiColumn, { type: number; metadata: Record<string, unknown> | undefined }>();

/**
 * The byte width of a DATETIME2/TIMESTAMP2/DECIMAL value of this column when the binlog describes it with the
 * introspected precision (the value decoder reads the bytes with that precision); undefined: leave it to zongji.
 */
function binaryImageWidth(info: MysqlColumnInfo, column: ZongjiColumn): number | undefined {
  const decimals = column.metadata?.decimals;
  if (typeof decimals !== 'number') return undefined;
  switch (column.type) {
    case WIRE.DATETIME2:
    case WIRE.TIMESTAMP2:
      if (decimals < 0 || decimals > 6 || decimals !== (info.datetimePrecision ?? 0)) return undefined;
      return column.type === WIRE.DATETIME2 ? datetime2Width(decimals) : timestamp2Width(decimals);
    case WIRE.NEWDECIMAL: {
      const precision = column.metadata?.precision;
      if (typeof precision !== 'number' || precision < 1 || precision > 65 || decimals < 0 || decimals > 30 || decimals > precision) return undefined;
      if (precision !== info.numericPrecision || decimals !== (info.numericScale ?? 0)) return undefined;
      return decimalWidth(precision, decimals);
    }
    default:
      return undefined;
  }
}

/**
 * Whether a column of this introspected type can arrive with this binlog type code (the check `bindTableMap` makes
 * per column); the schema tracker uses it to tell whether INFORMATION_SCHEMA still describes a binlog table map.
 */
export function wireTypeMatches(info: MysqlColumnInfo, wireType: number): boolean {
  const family = wireFamily(info);
  const expected = family === 'other' ? (OTHER_WIRE_TYPES[info.dataType] ?? []) : WIRE_TYPES[family];
  return expected.includes(wireType);
}

/** The subset of zongji's TableMapEntry this module reads and writes (zongji's own type is structurally one). */
export interface ZongjiTableMapEntry {
  columnSchemas: ZongjiColumnSchema[];
  columns?: ZongjiColumn[];
}
export interface ZongjiColumn {
  name: string;
  charset: string | null;
  type: number;
  /** The binlog's per-column metadata (precision, decimals, max_length, …). */
  metadata?: Record<string, unknown> | undefined;
}
export interface ZongjiColumnSchema {
  COLUMN_TYPE: string;
  CHARACTER_SET_NAME: string | null;
  UNSIGNED?: boolean;
  ENUM_VALUES?: string[];
  SET_VALUES?: string[];
}

type WireFamily = 'integer' | 'other' | 'geometry' | 'enum' | 'set' | 'text' | 'binary';

const STRINGS = [WIRE.VARCHAR, WIRE.VARCHAR_COMPRESSED, WIRE.STRING, WIRE.VAR_STRING];
const BLOBS = [WIRE.TINY_BLOB, WIRE.MEDIUM_BLOB, WIRE.LONG_BLOB, WIRE.BLOB, WIRE.BLOB_COMPRESSED];

const WIRE_TYPES: Record<Exclude<WireFamily, 'other'>, readonly number[]> = {
  integer: [WIRE.TINY, WIRE.SHORT, WIRE.INT24, WIRE.LONG, WIRE.LONGLONG],
  geometry: [WIRE.GEOMETRY, WIRE.LONG_BLOB],
  enum: [WIRE.ENUM],
  set: [WIRE.SET],
  text: [...STRINGS, ...BLOBS],
  binary: [...STRINGS, ...BLOBS],
};

const OTHER_WIRE_TYPES: Record<string, readonly number[]> = {
  float: [WIRE.FLOAT],
  double: [WIRE.DOUBLE],
  real: [WIRE.DOUBLE],
  decimal: [WIRE.NEWDECIMAL, WIRE.DECIMAL],
  numeric: [WIRE.NEWDECIMAL, WIRE.DECIMAL],
  date: [WIRE.DATE, WIRE.NEWDATE],
  datetime: [WIRE.DATETIME, WIRE.DATETIME2],
  timestamp: [WIRE.TIMESTAMP, WIRE.TIMESTAMP2],
  time: [WIRE.TIME, WIRE.TIME2],
  year: [WIRE.YEAR],
  bit: [WIRE.BIT],
  json: [WIRE.JSON],
};

/** MariaDB types that travel as BINARY(n) in the binlog. */
const BINARY_CARRIED_TYPES = new Set(['uuid', 'inet4', 'inet6']);

function wireFamily(info: MysqlColumnInfo): WireFamily {
  if (INTEGER_DATA_TYPES.has(info.dataType)) return 'integer';
  if (GEOMETRY_DATA_TYPES.has(info.dataType)) return 'geometry';
  if (info.dataType === 'enum') return 'enum';
  if (info.dataType === 'set') return 'set';
  if (TEXT_DATA_TYPES.has(info.dataType)) return 'text';
  if (BINARY_DATA_TYPES.has(info.dataType) || BINARY_CARRIED_TYPES.has(info.dataType)) return 'binary';
  return 'other';
}

/** COLUMN_TYPE that makes zongji return a CHAR/VARCHAR-wire value as bytes, re-padded for fixed widths. */
function fixedWidthBinaryType(info: MysqlColumnInfo): string {
  switch (info.dataType) {
    case 'uuid':
    case 'inet6':
      return 'binary(16)';
    case 'inet4':
      return 'binary(4)';
    case 'binary':
      return `binary(${info.maxLength ?? 1})`;
    default:
      return 'varbinary';
  }
}

const tokenCache = new Map<string, string[]>();
function indexTokens(count: number, first: number): string[] {
  const key = `${count}/${first}`;
  let tokens = tokenCache.get(key);
  if (!tokens) {
    tokens = Array.from({ length: count }, (_, i) => String(i + first));
    tokenCache.set(key, tokens);
  }
  return tokens;
}
