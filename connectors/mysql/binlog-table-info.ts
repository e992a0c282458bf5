import { columnInfoFromRow } from './introspect-columns.js';
import { parseTypeLength, type MysqlColumnInfo, type MysqlTableInfo } from './mysql-column-info.js';
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
  hasSelfDescribingMetadata(): boolean;
}
export interface ZongjiEntrySchemas {
  columnSchemas: Array<{ COLUMN_TYPE: string; CHARACTER_SET_NAME: string | null; UNSIGNED?: boolean; ENUM_VALUES?: string[]; SET_VALUES?: string[] }>;
}

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
      const column: BinlogColumn = { name, wireType: wireTypes[i]!, columnType: schema.COLUMN_TYPE, characterSet: schema.CHARACTER_SET_NAME };
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

/** Column info from the binlog's own metadata alone (nullability is not in it: such columns are nullable). */
export function columnInfoFromBinlog(column: BinlogColumn, ordinal: number): MysqlColumnInfo {
  const dataType = column.columnType.split(/[ (]/, 1)[0]!.toLowerCase();
  const info = columnInfoFromRow({
    name: column.name,
    ordinal,
    data_type: dataType,
    column_type: column.columnType,
    is_nullable: 'YES',
    max_length: parseTypeLength(column.columnType) ?? null,
    numeric_precision: column.precision ?? null,
    numeric_scale: column.scale ?? null,
    datetime_precision: column.fractionDigits ?? null,
    character_set: column.characterSet,
    collation: null,
  }, []);
  if (column.unsigned !== undefined) info.unsigned = column.unsigned;
  if (column.labels) {
    info.labels = [...column.labels];
    delete info.labelsMayBeLossy;
  }
  if (column.bits !== undefined && dataType === 'bit') info.bitLength = column.bits;
  return info;
}

export interface Reconciled {
  info: MysqlTableInfo;
  /** Columns described from the binlog because INFORMATION_SCHEMA lacks them or describes them differently. */
  fromBinlog: string[];
}

/**
 * The table as it was at the TableMap's point of the log. INFORMATION_SCHEMA describes the table *now*, which is
 * later than the event when the stream is catching up across an ALTER TABLE; with FULL row metadata the binlog's
 * own description wins wherever the two disagree, column by column. Agreeing columns keep INFORMATION_SCHEMA's
 * description, which knows more (nullability, MariaDB's JSON/UUID/INET types, exact COLUMN_TYPE text); ENUM/SET
 * labels come from the binlog, which has them exactly (INFORMATION_SCHEMA prints them in utf8mb3).
 * Without FULL metadata (no column names in the event) INFORMATION_SCHEMA is all there is.
 */
export function reconcileTable(map: BinlogTableMap, introspected: MysqlTableInfo | undefined): Reconciled | undefined {
  if (!map.columns) return introspected ? { info: introspected, fromBinlog: [] } : undefined;
  const fromBinlog: string[] = [];
  const columns = map.columns.map((binlog, i) => {
    const current = introspected?.columns.find((c) => c.name === binlog.name);
    if (current && columnsAgree(current, binlog)) {
      const info: MysqlColumnInfo = { ...current, ordinal: i + 1 };
      if (binlog.labels && (info.dataType === 'enum' || info.dataType === 'set')) {
        info.labels = [...binlog.labels];
        delete info.labelsMayBeLossy;
      }
      return info;
    }
    fromBinlog.push(binlog.name);
    return columnInfoFromBinlog(binlog, i + 1);
  });
  const primaryKey = map.primaryKey
    ? map.primaryKey.map((index) => map.columns![index]?.name).filter((name): name is string => name !== undefined)
    : (introspected?.primaryKey ?? []).filter((name) => columns.some((c) => c.name === name));
  return { info: { database: map.database, table: map.table, columns, primaryKey }, fromBinlog };
}

/** Whether INFORMATION_SCHEMA's column still is the binlog's column (as far as the binlog metadata tells). */
export function columnsAgree(current: MysqlColumnInfo, binlog: BinlogColumn): boolean {
  if (!wireTypeMatches(current, binlog.wireType)) return false;
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
