import type { AvroSchema } from '../avro/column-avro-type.js';
import { readTableRecord } from '../avro/table-avro-schema.js';
import type { TableSchema } from '../model/table-schema.js';
import { tableShapeText } from '../model/table-schema.js';

/**
 * The table with each column's missing value as the previous version of its value schema has it. The value that
 * records written before a column existed stand for is fixed when the column is added: PostgreSQL forgets it when
 * it rewrites the table (attmissingval is cleared, the rows now hold it), and a MySQL column's default may be
 * changed later while the rows from before the ADD COLUMN keep the first one. A column that the previous version
 * has with the same type keeps that version's missing value; a new or retyped column takes its own.
 */
export function keepMissingValues(table: TableSchema, previousValueSchema: AvroSchema | undefined): TableSchema {
  if (previousValueSchema === undefined) return table;
  let before: TableSchema;
  try {
    before = readTableRecord(previousValueSchema, 'value').table;
  } catch {
    return table; // not a logtap table record (another envelope)
  }
  const earlier = new Map(before.columns.map((c) => [c.name, c]));
  let changed = false;
  const columns = table.columns.map((column) => {
    const was = earlier.get(column.name);
    if (was?.missingValue === undefined || was.missingValue === null) return column;
    if (JSON.stringify(was.type) !== JSON.stringify(column.type)) return column;
    if (tableShapeText(column.missingValue) === tableShapeText(was.missingValue)) return column;
    changed = true;
    return { ...column, missingValue: was.missingValue };
  });
  return changed ? { ...table, columns } : table;
}
