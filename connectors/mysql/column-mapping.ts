import type { ColumnType } from '../../src/model/column-type.js';
import type { Column, TableSchema } from '../../src/model/table-schema.js';
import {
  BINARY_DATA_TYPES,
  GEOMETRY_DATA_TYPES,
  TEXT_DATA_TYPES,
  qualifiedColumnName,
  type MysqlColumnInfo,
  type MysqlTableInfo,
} from './mysql-column-info.js';
import { UnsupportedColumnTypeError } from './mysql-errors.js';
import { constantDefaultValue } from './column-default.js';

/** MySQL DECIMAL's limits; BIGINT UNSIGNED (up to 18446744073709551615) is carried as DECIMAL(20,0). */
const MAX_DECIMAL_PRECISION = 65;
const MAX_DECIMAL_SCALE = 30;
const BIGINT_UNSIGNED: ColumnType = { kind: 'decimal', precision: 20, scale: 0 };

/**
 * The connector-independent type of one column. TINYINT(1)/BOOLEAN stays an 8-bit int: MySQL's BOOLEAN is
 * TINYINT(1) and holds −128…127, so `boolean` would lose values; `sourceType` keeps `tinyint(1)` for consumers.
 */
export function columnTypeOf(table: Pick<MysqlTableInfo, 'database' | 'table'>, info: MysqlColumnInfo): ColumnType {
  const where = qualifiedColumnName(table, info.name);
  const unsupported = (why?: string): never => {
    throw new UnsupportedColumnTypeError(where, info.columnType, why);
  };
  switch (info.dataType) {
    case 'tinyint':
      return info.unsigned ? { kind: 'int', bits: 8, unsigned: true } : { kind: 'int', bits: 8 };
    case 'smallint':
      return info.unsigned ? { kind: 'int', bits: 16, unsigned: true } : { kind: 'int', bits: 16 };
    case 'mediumint':
      return info.unsigned ? { kind: 'int', bits: 24, unsigned: true } : { kind: 'int', bits: 24 };
    case 'int':
    case 'integer':
      // INT UNSIGNED reaches 4294967295, beyond Avro int.
      return info.unsigned ? { kind: 'long', unsigned32: true } : { kind: 'int', bits: 32 };
    case 'bigint':
      return info.unsigned ? BIGINT_UNSIGNED : { kind: 'long' };
    case 'float':
      return { kind: 'float' };
    case 'double':
    case 'real':
    case 'double precision':
      return { kind: 'double' };
    case 'decimal':
    case 'numeric':
    case 'fixed': {
      const precision = info.numericPrecision;
      const scale = info.numericScale ?? 0;
      if (precision === undefined || precision < 1 || precision > MAX_DECIMAL_PRECISION || scale < 0 || scale > MAX_DECIMAL_SCALE || scale > precision) {
        return unsupported(`precision ${precision} scale ${scale} outside DECIMAL(1..65, 0..30)`);
      }
      return { kind: 'decimal', precision, scale };
    }
    case 'date':
      return { kind: 'date' };
    case 'datetime':
      return { kind: 'timestamp-micros', zoned: false };
    case 'timestamp':
      return { kind: 'timestamp-micros', zoned: true };
    case 'time':
      return { kind: 'duration-micros' };
    case 'year':
      return { kind: 'year' };
    case 'bit':
      return { kind: 'bits', length: info.bitLength ?? 1 };
    case 'enum':
      return { kind: 'enum', name: `${table.table}_${info.name}`, symbols: enumSymbols(info.labels ?? []) };
    case 'set':
      return { kind: 'set', name: `${table.table}_${info.name}`, symbols: [...(info.labels ?? [])] };
    case 'json':
      return { kind: 'json' };
    case 'uuid':
      return { kind: 'uuid' };
    case 'inet4':
    case 'inet6':
      return { kind: 'string', semantic: 'inet' };
    default:
      if (TEXT_DATA_TYPES.has(info.dataType)) return info.json ? { kind: 'json' } : { kind: 'string' };
      if (BINARY_DATA_TYPES.has(info.dataType)) return { kind: 'bytes' };
      if (GEOMETRY_DATA_TYPES.has(info.dataType)) return { kind: 'geometry' };
      return unsupported();
  }
}

/**
 * An ENUM column can always hold '' — the "error value" (index 0) the server stores for an invalid value outside
 * strict mode — so '' is appended to the symbols when it is not a declared label. The server itself prints both
 * as ''; so does logtap.
 */
function enumSymbols(labels: readonly string[]): string[] {
  return labels.includes('') ? [...labels] : [...labels, ''];
}

/** The column with what replay needs of its definition: character set and collation of text, ON UPDATE, AUTO_INCREMENT, generation. */
export function columnOf(table: Pick<MysqlTableInfo, 'database' | 'table'>, info: MysqlColumnInfo): Column {
  const column: Column = { name: info.name, type: columnTypeOf(table, info), nullable: info.nullable, sourceType: info.columnType };
  if (info.characterSet !== undefined && info.collation !== undefined) {
    column.charset = info.characterSet;
    column.collation = info.collation;
  }
  if (info.onUpdate !== undefined) column.onUpdate = info.onUpdate;
  if (info.autoIncrement) column.autoIncrement = true;
  if (info.generated) column.generated = { ...info.generated };
  const declared = info.default;
  if (declared) {
    column.defaultExpression = declared.expression;
    // A constant default is what rows written before an ADD COLUMN read (the server fills them with it).
    const missing = declared.kind === 'null' ? null : declared.kind === 'literal' ? constantDefaultValue(column.type, declared.text) : undefined;
    if (missing !== undefined) column.missingValue = missing;
  }
  return column;
}

export function tableSchemaOf(table: MysqlTableInfo): TableSchema {
  const schema: TableSchema = {
    id: { namespace: table.database, name: table.table },
    columns: table.columns.map((info) => columnOf(table, info)),
    key: [...table.primaryKey],
  };
  if (table.options) schema.options = { ...table.options };
  return schema;
}
