import type { Row } from '../../src/model/change-event.js';
import type { TableSchema } from '../../src/model/table-schema.js';
import { qualifiedColumnName, type MysqlTableInfo } from './mysql-column-info.js';
import { ValueDecodeError } from './mysql-errors.js';
import { compileValueDecoder, type DecodeOptions, type ValueDecoder } from './value-decoders.js';

/** zongji's row (column name → value) → canonical row; one per table version, reused for every row. */
export type RowDecoder = (zongjiRow: Record<string, unknown>) => Row;

/**
 * Compiles the decoder of one table version: `schema` must be `tableSchemaOf(table)` and `binlogTypes` what
 * `bindTableMap` returned for the same version. The rows must come from a zongji whose connection has
 * EXACT_ZONGJI_CONNECTION_OPTIONS and whose table map was bound, on a server writing full row images (zongji
 * reports a column absent from a minimal image as null).
 */
export function compileRowDecoder(table: MysqlTableInfo, schema: TableSchema, binlogTypes: readonly number[], options: DecodeOptions = {}): RowDecoder {
  const count = table.columns.length;
  if (schema.columns.length !== count || binlogTypes.length !== count) {
    throw new Error(`schema or binlog types of ${table.database}.${table.table} do not match its column info`);
  }
  const names: string[] = [];
  const decoders: ValueDecoder[] = [];
  const acceptsUndefined: boolean[] = [];
  for (let i = 0; i < count; i++) {
    const info = table.columns[i]!;
    const column = schema.columns[i]!;
    if (column.name !== info.name) throw new Error(`schema column ${column.name} is not ${info.name}`);
    names.push(info.name);
    decoders.push(compileValueDecoder(info, column.type, binlogTypes[i]!, qualifiedColumnName(table, info.name), options));
    acceptsUndefined.push(column.type.kind === 'enum');
  }
  return (zongjiRow) => {
    const row: Row = {};
    for (let i = 0; i < count; i++) {
      const name = names[i]!;
      const raw = zongjiRow[name];
      if (raw === null) {
        row[name] = null;
      } else if (raw === undefined && !acceptsUndefined[i]) {
        throw new ValueDecodeError(qualifiedColumnName(table, name), 'zongji delivered no value (column missing from its row)');
      } else {
        row[name] = decoders[i]!(raw);
      }
    }
    return row;
  };
}
