import type { ColumnType } from '../../src/model/column-type.js';
import type { Column } from '../../src/model/table-schema.js';
import type { SourceKind } from '../../src/replay/replay-target.js';
import { collationClause } from './replay-definition.js';

/** How a column is rebuilt in MySQL/MariaDB: its type as SQL and the kind the connector reads it back as. */
export interface MysqlColumnPlan {
  sql: string;
  kind: ColumnType['kind'];
}

/** Text columns compare case- and accent-sensitively, as every source key does: two keys never collapse into one. */
const BINARY_COLLATION = ' CHARACTER SET utf8mb4 COLLATE utf8mb4_bin';
/** Plain MySQL type text as INFORMATION_SCHEMA prints it (`int(10) unsigned`, `decimal(12,2)`, `datetime(6)`). */
const PLAIN_TYPE = /^[a-z][a-z0-9]*( ?\(\d+(,\d+)?\))?( unsigned)?( zerofill)?$/;
/** ENUM/SET with its quoted labels, nothing else (the text goes into DDL). */
const LABELLED_TYPE = /^(enum|set)\('(?:[^'\\]|''|\\.)*'(?:,'(?:[^'\\]|''|\\.)*')*\)$/s;
const TEXT_TYPE = /^(char|varchar|tinytext|text|mediumtext|longtext|enum|set)\b/;
/** The longest VARCHAR key column InnoDB indexes in utf8mb4 (3072 bytes). */
const KEY_CHARS = 768;

const quoteLabel = (label: string): string => `'${label.replace(/\\/g, '\\\\').replace(/'/g, "''")}'`;

/**
 * The MySQL type of a column from the topics: from MySQL the source's own COLUMN_TYPE (text with the source
 * column's character set and collation, utf8mb4_bin when the topic does not say), otherwise the type the column
 * type maps to (the inverse of docs/types.md). Returns a reason when MySQL has no equivalent.
 */
export function planMysqlColumn(column: Column, source: SourceKind, isKey: boolean): MysqlColumnPlan | { unsupported: string } {
  const { type } = column;
  // MariaDB's JSON is LONGTEXT with a json_valid CHECK (COLUMN_TYPE says longtext): `json` keeps the check, and clients
  // that read JSON columns as JSON (MariaDB marks them) see one again. It takes no character set of its own.
  if (source === 'mysql' && type.kind === 'json') return { sql: 'json', kind: 'json' };
  if (source === 'mysql') {
    const sql = column.sourceType.trim().toLowerCase().startsWith('enum(') || column.sourceType.trim().toLowerCase().startsWith('set(') ? column.sourceType.trim() : column.sourceType.trim().toLowerCase();
    if (PLAIN_TYPE.test(sql) || LABELLED_TYPE.test(sql)) return { sql: TEXT_TYPE.test(sql.toLowerCase()) ? `${sql}${collationClause(column, source) ?? BINARY_COLLATION}` : sql, kind: type.kind };
  }
  const plan = generic(type, column, isKey);
  return plan;
}

function generic(type: ColumnType, column: Column, isKey: boolean): MysqlColumnPlan | { unsupported: string } {
  switch (type.kind) {
    case 'boolean':
      return { sql: 'tinyint(1)', kind: 'int' };
    case 'int': {
      const name = { 8: 'tinyint', 16: 'smallint', 24: 'mediumint', 32: 'int' }[type.bits];
      if (type.bits === 32 && type.unsigned) return { sql: 'int unsigned', kind: 'long' };
      return { sql: `${name}${type.unsigned ? ' unsigned' : ''}`, kind: 'int' };
    }
    case 'long':
      return type.unsigned32 ? { sql: 'int unsigned', kind: 'long' } : { sql: 'bigint', kind: 'long' };
    case 'float':
      return { sql: 'float', kind: 'float' };
    case 'double':
      return { sql: 'double', kind: 'double' };
    case 'decimal':
      if (type.precision > 65 || type.scale > 30 || type.scale > type.precision) return { unsupported: `DECIMAL holds at most 65 digits, 30 after the point (the column is decimal(${type.precision},${type.scale}))` };
      return { sql: `decimal(${type.precision},${type.scale})`, kind: 'decimal' };
    case 'variable-decimal':
      return { unsupported: 'a numeric of unlimited precision has no MySQL type (DECIMAL holds at most 65 digits)' };
    case 'string': {
      const length = /^character varying\((\d+)\)$|^varchar\((\d+)\)$/.exec(column.sourceType);
      const n = Number(length?.[1] ?? length?.[2] ?? 0);
      if (isKey || (n > 0 && n <= 16_383)) return { sql: `varchar(${n > 0 ? Math.min(n, isKey ? KEY_CHARS : n) : KEY_CHARS})${BINARY_COLLATION}`, kind: 'string' };
      return { sql: `longtext${BINARY_COLLATION}`, kind: 'string' };
    }
    case 'json':
      return { sql: 'json', kind: 'json' };
    case 'uuid':
      return { sql: 'char(36) CHARACTER SET ascii', kind: 'string' };
    case 'bytes':
      return isKey ? { sql: 'varbinary(3072)', kind: 'bytes' } : { sql: 'longblob', kind: 'bytes' };
    case 'bits':
      if (type.length === undefined || type.length > 64) return { unsupported: 'BIT holds at most 64 bits, of a fixed length' };
      return { sql: `bit(${type.length})`, kind: 'bits' };
    case 'date':
      return { sql: 'date', kind: 'date' };
    case 'time-micros':
    case 'duration-micros':
      return { sql: 'time(6)', kind: 'duration-micros' };
    case 'time-tz':
      return { unsupported: 'MySQL has no time of day with a zone' };
    case 'interval':
      return { unsupported: 'MySQL has no interval type' };
    case 'timestamp-micros':
      // DATETIME, not TIMESTAMP: TIMESTAMP ends in 2038; zoned values are written in UTC.
      return { sql: 'datetime(6)', kind: 'timestamp-micros' };
    case 'enum':
      if (type.symbols.length === 0) return { unsupported: 'an enum without labels' };
      return { sql: `enum(${type.symbols.map(quoteLabel).join(',')})${BINARY_COLLATION}`, kind: 'enum' };
    case 'set':
      return { sql: `set(${type.symbols.map(quoteLabel).join(',')})${BINARY_COLLATION}`, kind: 'set' };
    case 'array':
      return { unsupported: 'MySQL has no array type' };
    case 'year':
      return { sql: 'year', kind: 'year' };
    case 'geometry':
      return { sql: 'geometry', kind: 'geometry' };
  }
}
