import { columnInfoFromRow } from './introspect-columns.js';
import { parseTypeLength, type MysqlColumnInfo, type MysqlTableInfo } from './mysql-column-info.js';
import { WIRE } from './binlog-column-types.js';
import type { ServerCollations } from './server-collations.js';
import { wireTypeMatches } from './table-map-binding.js';

/**
 * A binlog TableMap as the schema tracker reads it: the event's own description of the table at that point of the
 * log (with `binlog_row_metadata=FULL`: names, signedness, ENUM/SET labels, primary key), captured before
 * `bindTableMap` rewrites zongji's entry. The structural subset of zongji's TableMapEvent + TableMapEntry.
 */
export interface BinlogTableMap {
  database: string;
  table: string;
  /** Binlog type code per column (ENUM/SET resolved from the STRING code). */
  wireTypes: number[];
  /** Present with FULL metadata; then `columns` describes every column. */
  columnNames?: string[];
  /** zongji's per-column description built from the metadata (COLUMN_TYPE text etc.), with FULL metadata. */
  columns?: BinlogColumn[];
  /** Primary key column positions (0-based), with FULL metadata. */
  primaryKey?: number[];
  /** Text that changes exactly when the binlog's description of the table changes. */
  signature: string;
}

export interface BinlogColumn {
  name: string;
  wireType: number;
  /** `int unsigned`, `decimal(12,2)`, `varchar(20)`, `enum('a','b')`, `datetime(6)`, … as zongji prints it. */
  columnType: string;
  characterSet: string | null;
  /**
   * The column's collation id as the binlog carries it (text, ENUM/SET). On MariaDB the charset list also covers
   * GEOMETRY columns: zongji reads it so only with `charsetListsCoverGeometry` set (patches/@vlasky+zongji+0.9.0.patch).
   */
  collationId?: number;
  /** CHAR/VARCHAR/BINARY/VARBINARY: the width in bytes; TEXT/BLOB: the length prefix's bytes (1–4). */
  byteWidth?: number;
  unsigned?: boolean;
  /** ENUM/SET labels exactly as the binlog carries them. */
  labels?: string[];
  precision?: number;
  scale?: number;
  /** Fractional-second digits of TIME/DATETIME/TIMESTAMP. */
  fractionDigits?: number;
  bits?: number;
}

/** The zongji shapes read here (structurally zongji's TableMapEvent and its tableMap entry, before binding). */
export interface ZongjiTableMapEvent {
  schemaName: string;
  tableName: string;
  columnTypes: number[];
  columnsMetadata: Array<Record<string, unknown> | undefined>;
  columnNames?: string[];
  signedness?: Array<boolean | undefined>;
  primaryKey?: number[];
  /** zongji's (private) collation id per column, from the charset fields of the optional metadata. */
  _columnCharsetIds?: Array<number | undefined>;
  hasSelfDescribingMetadata(): boolean;
}
export interface ZongjiEntrySchemas {
  columnSchemas: Array<{ COLUMN_TYPE: string; CHARACTER_SET_NAME: string | null; UNSIGNED?: boolean; ENUM_VALUES?: string[]; SET_VALUES?: string[] }>;
}

/** Columns with a width in bytes (or a length prefix) that `columnInfoFromBinlog` sizes by the character set. */
const TEXT_OR_BINARY_TYPES: ReadonlySet<number> = new Set([WIRE.VARCHAR, WIRE.VAR_STRING, WIRE.STRING, WIRE.BLOB, WIRE.TINY_BLOB,
  WIRE.MEDIUM_BLOB, WIRE.LONG_BLOB]);

/** Reads a TableMap event (and zongji's fresh entry for it) before anything rewrites the entry. */
export function readBinlogTableMap(event: ZongjiTableMapEvent, entry: ZongjiEntrySchemas | undefined): BinlogTableMap {
  const wireTypes = event.columnTypes.map((code, i) => {
    const real = event.columnsMetadata[i]?.type;
    return typeof real === 'number' ? real : code;
  });
  const metadata = event.columnsMetadata.map((m) => {
    if (!m) return null;
    const { type: _type, ...rest } = m;
    return rest;
  });
  const map: BinlogTableMap = { database: event.schemaName, table: event.tableName, wireTypes, signature: '' };
  const full = event.hasSelfDescribingMetadata() && entry !== undefined && entry.columnSchemas.length === wireTypes.length;
  if (full) {
    const names = event.columnNames!;
    map.columnNames = [...names];
    map.columns = names.map((name, i) => {
      const schema = entry.columnSchemas[i]!;
      const meta = event.columnsMetadata[i] ?? {};
      const wireType = wireTypes[i]!;
      const column: BinlogColumn = { name, wireType, columnType: schema.COLUMN_TYPE, characterSet: schema.CHARACTER_SET_NAME };
      const collationId = event._columnCharsetIds?.[i];
      if (typeof collationId === 'number') column.collationId = collationId;
      const byteWidth = meta.max_length ?? meta.length_size;
      if (typeof byteWidth === 'number' && TEXT_OR_BINARY_TYPES.has(wireType)) column.byteWidth = byteWidth;
      if (schema.UNSIGNED !== undefined) column.unsigned = schema.UNSIGNED;
      const labels = schema.ENUM_VALUES ?? schema.SET_VALUES;
      if (labels) column.labels = [...labels];
      if (typeof meta.precision === 'number') column.precision = meta.precision;
      if (typeof meta.decimals === 'number') {
        if (typeof meta.precision === 'number') column.scale = meta.decimals;
        else column.fractionDigits = meta.decimals;
      }
      if (typeof meta.bits === 'number') column.bits = meta.bits;
      return column;
    });
    if (event.primaryKey) map.primaryKey = [...event.primaryKey];
  }
  map.signature = JSON.stringify([map.database, map.table, wireTypes, metadata, event.columnNames ?? null, event.signedness ?? null,
    event.primaryKey ?? null, map.columns?.map((c) => [c.columnType, c.characterSet, c.labels ?? null]) ?? null]);
  return map;
}

/**
 * A TableMap as it was first read for a table id, kept to recognise its repetitions: the server writes the TableMap
 * again before the rows of every transaction, almost always unchanged. `repeatsTableMap` compares a new event with it
 * field by field — everything `BinlogTableMap.signature` is made of, so a repetition has the same signature — far
 * cheaper than reading the event again and serialising the signature.
 */
export interface TableMapMemo {
  readonly map: BinlogTableMap;
  /** `columnsMetadata` without `type`, flattened to key/value pairs per column (null: none). */
  readonly metadata: ReadonlyArray<readonly unknown[] | null>;
  readonly columnNames: readonly string[] | undefined;
  readonly signedness: ReadonlyArray<boolean | undefined> | undefined;
  readonly primaryKey: readonly number[] | undefined;
}

/** Reads a TableMap (as readBinlogTableMap) and keeps what `repeatsTableMap` compares; call it before binding the entry. */
export function rememberTableMap(event: ZongjiTableMapEvent, entry: ZongjiEntrySchemas | undefined): TableMapMemo {
  const metadata = event.columnsMetadata.map((m) => {
    if (!m) return null;
    const pairs: unknown[] = [];
    for (const key of Object.keys(m)) if (key !== 'type') pairs.push(key, m[key]);
    return pairs;
  });
  const copy = <T>(list: readonly T[] | undefined): T[] | undefined => (list ? [...list] : undefined);
  return { map: readBinlogTableMap(event, entry), metadata, columnNames: copy(event.columnNames), signedness: copy(event.signedness), primaryKey: copy(event.primaryKey) };
}

/**
 * Whether `event` describes its table exactly as the remembered one did. `freshEntry`: zongji's entry built for this
 * event (FULL row metadata), whose column descriptions are compared as well; undefined when zongji kept the entry
 * it had (the one already bound), whose descriptions came from the first event.
 */
export function repeatsTableMap(memo: TableMapMemo, event: ZongjiTableMapEvent, freshEntry: ZongjiEntrySchemas | undefined): boolean {
  const { map } = memo;
  const count = map.wireTypes.length;
  if (event.tableName !== map.table || event.schemaName !== map.database || event.columnTypes.length !== count) return false;
  for (let i = 0; i < count; i++) {
    const meta = event.columnsMetadata[i];
    const real = meta?.type;
    if ((typeof real === 'number' ? real : event.columnTypes[i]) !== map.wireTypes[i]) return false;
    if (!sameMetadata(meta, memo.metadata[i]!)) return false;
  }
  if (!sameList(event.columnNames, memo.columnNames) || !sameList(event.signedness, memo.signedness) || !sameList(event.primaryKey, memo.primaryKey)) return false;
  if (freshEntry === undefined) return true;
  // Whether zongji's fresh entry is read as FULL metadata is decided as in readBinlogTableMap.
  const full = event.hasSelfDescribingMetadata() && freshEntry.columnSchemas.length === count;
  if (!full || !map.columns) return false;
  for (let i = 0; i < count; i++) {
    const schema = freshEntry.columnSchemas[i]!;
    const column = map.columns[i]!;
    if (schema.COLUMN_TYPE !== column.columnType || schema.CHARACTER_SET_NAME !== column.characterSet) return false;
    if (!sameList(schema.ENUM_VALUES ?? schema.SET_VALUES, column.labels)) return false;
  }
  return true;
}

function sameMetadata(meta: Record<string, unknown> | undefined, pairs: readonly unknown[] | null): boolean {
  if (!meta) return pairs === null;
  if (pairs === null) return false;
  // In order, as the signature serialises them.
  let at = 0;
  for (const key in meta) {
    if (key === 'type') continue;
    if (pairs[at] !== key || pairs[at + 1] !== meta[key]) return false;
    at += 2;
  }
  return at === pairs.length;
}

function sameList<T>(a: readonly T[] | undefined, b: readonly T[] | undefined): boolean {
  if (a === undefined || b === undefined) return a === b;
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** The binary pseudo-collation: a BINARY/VARBINARY/BLOB column. */
const BINARY_COLLATION_ID = 63;

/** Column info from the binlog's own metadata alone (nullability is not in it: such columns are nullable). */
export function columnInfoFromBinlog(column: BinlogColumn, ordinal: number, collations?: ServerCollations): MysqlColumnInfo {
  // The server's name for the binlog's collation id beats zongji's (MySQL 8's table, utf8mb4 for any other id), and
  // so does the type it implies: zongji printed CHAR/VARCHAR widths and text-or-binary from its own guess.
  const server = column.collationId !== undefined ? collations?.byId(column.collationId) : undefined;
  const collation = column.collationId !== BINARY_COLLATION_ID ? server : undefined;
  const columnType = (server && textColumnType(column, column.collationId === BINARY_COLLATION_ID, server.maxBytesPerChar)) ?? column.columnType;
  const dataType = columnType.split(/[ (]/, 1)[0]!.toLowerCase();
  const info = columnInfoFromRow({
    name: column.name,
    ordinal,
    data_type: dataType,
    column_type: columnType,
    is_nullable: 'YES',
    max_length: parseTypeLength(columnType) ?? null,
    numeric_precision: column.precision ?? null,
    numeric_scale: column.scale ?? null,
    datetime_precision: column.fractionDigits ?? null,
    character_set: collation?.charset ?? column.characterSet,
    collation: collation?.name ?? null,
  }, []);
  if (column.unsigned !== undefined) info.unsigned = column.unsigned;
  if (column.labels) {
    info.labels = [...column.labels];
    delete info.labelsMayBeLossy;
  }
  if (column.bits !== undefined && dataType === 'bit') info.bitLength = column.bits;
  return info;
}

const BLOB_NAMES: Record<number, [binary: string, text: string]> = { 1: ['tinyblob', 'tinytext'], 2: ['blob', 'text'], 3: ['mediumblob', 'mediumtext'], 4: ['longblob', 'longtext'] };

/** COLUMN_TYPE of a CHAR/VARCHAR/BINARY/VARBINARY/TEXT/BLOB column from its byte width; undefined for any other. */
function textColumnType(column: BinlogColumn, binary: boolean, maxBytesPerChar: number): string | undefined {
  const width = column.byteWidth;
  if (width === undefined) return undefined;
  switch (column.wireType) {
    case WIRE.STRING:
      return binary ? `binary(${width})` : `char(${Math.floor(width / maxBytesPerChar)})`;
    case WIRE.VARCHAR:
    case WIRE.VAR_STRING:
      return binary ? `varbinary(${width})` : `varchar(${Math.floor(width / maxBytesPerChar)})`;
    case WIRE.TINY_BLOB:
    case WIRE.BLOB:
    case WIRE.MEDIUM_BLOB:
    case WIRE.LONG_BLOB:
      return BLOB_NAMES[width]?.[binary ? 0 : 1];
    default:
      return undefined;
  }
}

export interface Reconciled {
  info: MysqlTableInfo;
  /** Columns described from the binlog alone: neither INFORMATION_SCHEMA nor the earlier version describes them so. */
  fromBinlog: string[];
  /** Columns INFORMATION_SCHEMA lacks or describes differently, kept as the stream's earlier version described them. */
  fromEarlier: string[];
}

/**
 * The table as it was at the TableMap's point of the log. INFORMATION_SCHEMA describes the table *now*, which is
 * later than the event when the stream is catching up across an ALTER TABLE; with FULL row metadata the binlog's
 * own description wins wherever the two disagree, column by column. Agreeing columns keep INFORMATION_SCHEMA's
 * description, which knows more (nullability, defaults, collation, MariaDB's JSON/UUID/INET types, exact COLUMN_TYPE
 * text). A column INFORMATION_SCHEMA no longer describes so (a later DROP or MODIFY) keeps the description of the
 * version the stream bound before (`earlier`, an earlier point of the same log) when that one still agrees with the
 * binlog: a stream lagging behind two DDLs then sees no shape change where the first one changed no column. Only
 * what neither describes comes from the binlog alone. Collations are compared by the server's ids (`collations`),
 * so rows written before a character set conversion are decoded in their own character set. ENUM/SET labels come
 * from the binlog, which has them exactly (INFORMATION_SCHEMA prints them in utf8mb3). Without FULL metadata (no
 * column names in the event) INFORMATION_SCHEMA is all there is.
 */
export function reconcileTable(map: BinlogTableMap, introspected: MysqlTableInfo | undefined, earlier?: MysqlTableInfo, collations?: ServerCollations): Reconciled | undefined {
  if (!map.columns) return introspected ? { info: introspected, fromBinlog: [], fromEarlier: [] } : undefined;
  const fromBinlog: string[] = [];
  const fromEarlier: string[] = [];
  const agreeing = (table: MysqlTableInfo | undefined, binlog: BinlogColumn): MysqlColumnInfo | undefined => {
    const column = table?.columns.find((c) => c.name === binlog.name);
    return column && columnsAgree(column, binlog, collations) ? column : undefined;
  };
  const columns = map.columns.map((binlog, i) => {
    let known = agreeing(introspected, binlog);
    if (!known) {
      known = agreeing(earlier, binlog);
      if (known) fromEarlier.push(binlog.name);
    }
    if (known) {
      const info: MysqlColumnInfo = { ...known, ordinal: i + 1 };
      if (binlog.labels && (info.dataType === 'enum' || info.dataType === 'set')) {
        info.labels = [...binlog.labels];
        delete info.labelsMayBeLossy;
      }
      return info;
    }
    fromBinlog.push(binlog.name);
    return columnInfoFromBinlog(binlog, i + 1, collations);
  });
  const primaryKey = map.primaryKey
    ? map.primaryKey.map((index) => map.columns![index]?.name).filter((name): name is string => name !== undefined)
    : (introspected?.primaryKey ?? []).filter((name) => columns.some((c) => c.name === name));
  const info: MysqlTableInfo = { database: map.database, table: map.table, columns, primaryKey };
  // Table options are not in the binlog: INFORMATION_SCHEMA's (a later ALTER of them is seen early, as the replay
  // definition's only cost), else the earlier version's.
  const options = introspected ? introspected.options : earlier?.options;
  if (options) info.options = options;
  return { info, fromBinlog, fromEarlier };
}

/** Whether INFORMATION_SCHEMA's column still is the binlog's column (as far as the binlog metadata tells). */
export function columnsAgree(current: MysqlColumnInfo, binlog: BinlogColumn, collations?: ServerCollations): boolean {
  if (!wireTypeMatches(current, binlog.wireType)) return false;
  // A later CONVERT TO / MODIFY … CHARACTER SET: the earlier rows' bytes are in the binlog's collation.
  if (binlog.collationId !== undefined && current.collation !== undefined) {
    const id = collations?.idOf(current.collation);
    if (id !== undefined && id !== binlog.collationId) return false;
  }
  if (binlog.unsigned !== undefined && ['tinyint', 'smallint', 'mediumint', 'int', 'integer', 'bigint'].includes(current.dataType) && current.unsigned !== binlog.unsigned) return false;
  if (binlog.precision !== undefined && (current.numericPrecision !== binlog.precision || (current.numericScale ?? 0) !== (binlog.scale ?? 0))) return false;
  if (binlog.fractionDigits !== undefined && (current.datetimePrecision ?? 0) !== binlog.fractionDigits) return false;
  if (binlog.bits !== undefined && current.dataType === 'bit' && current.bitLength !== binlog.bits) return false;
  if (binlog.labels && current.labels && !labelsAgree(current.labels, binlog.labels, current.labelsMayBeLossy === true)) return false;
  return true;
}

/** INFORMATION_SCHEMA prints a label character outside the BMP as '?': with `lossy`, '?' stands for any one character. */
function labelsAgree(current: readonly string[], binlog: readonly string[], lossy: boolean): boolean {
  if (current.length !== binlog.length) return false;
  return current.every((label, i) => {
    const other = binlog[i]!;
    if (label === other) return true;
    if (!lossy) return false;
    const a = Array.from(label);
    const b = Array.from(other);
    return a.length === b.length && a.every((c, j) => c === b[j] || c === '?');
  });
}
