import type { ColumnType } from '../model/column-type.js';
import type { Column, TableId, TableOptions, TableSchema, UnpublishedColumn } from '../model/table-schema.js';
import { COLUMN_DEFINITION_KEYS, tableIdText } from '../model/table-schema.js';
import { avroNamespace, distinctAvroNames } from './avro-names.js';
import { type AvroSchema, NamedTypes, columnAvroType, orNull } from './column-avro-type.js';
import { avroType } from './avro-type.js';
import { defaultOfField, fieldDefault } from './avro-default.js';

/** The Avro field of each column, in column order. */
export interface FieldPlan {
  column: Column;
  field: string;
}

export interface TableAvroSchemas {
  /** Key record (the key columns); null for a table without a key. */
  key: { schema: AvroSchema; fields: FieldPlan[] } | null;
  /** Value record (every column). */
  value: { schema: AvroSchema; fields: FieldPlan[] };
  /** Namespace of the records: the topic name, each part a valid Avro name. */
  namespace: string;
}

/**
 * A table's key and value records, named `<topic>.Key` and `<topic>.Value` as Debezium names them.
 * Every field keeps the source column's name, source type and column type (`logtap.column`,
 * `logtap.sourceType`, `logtap.columnType`), so that a reader can rebuild the table from the schema alone.
 * The value record also carries the definition beyond the types where there is one (`logtap.collation`,
 * `logtap.identity`, …, `logtap.tableOptions`, `logtap.unpublishedColumns`; docs/events.md). Attributes are
 * not part of the Parsing Canonical Form, so they change no schema fingerprint.
 */
export function tableAvroSchemas(table: TableSchema, topic: string): TableAvroSchemas {
  const namespace = avroNamespace(topic.split('.'));
  const fieldNames = distinctAvroNames(table.columns.map((c) => c.name));
  const plans = table.columns.map((column, i): FieldPlan => ({ column, field: fieldNames[i]! }));

  const value = recordSchema('Value', namespace, table, plans, new NamedTypes(), true);

  let key: TableAvroSchemas['key'] = null;
  if (table.key.length > 0) {
    const keyPlans = table.key.map((name) => {
      const plan = plans.find((p) => p.column.name === name);
      if (!plan) throw new Error(`key column ${name} is not a column of ${tableIdText(table.id)}`);
      // Key columns are never null (primary keys and replica-identity indexes require NOT NULL).
      return { column: { ...plan.column, nullable: false }, field: plan.field };
    });
    key = { schema: recordSchema('Key', namespace, table, keyPlans, new NamedTypes(), false), fields: keyPlans };
  }
  return { key, value: { schema: value, fields: plans }, namespace };
}

interface FieldJson { name: string; type: unknown; default?: unknown; 'logtap.default'?: string; 'logtap.column'?: string; 'logtap.sourceType'?: string; 'logtap.columnType'?: ColumnType; [attribute: string]: unknown }
interface RecordJson {
  fields?: FieldJson[];
  'logtap.tableId'?: TableId;
  'logtap.tableOptions'?: TableOptions;
  'logtap.unpublishedColumns'?: UnpublishedColumn[];
}

/** The `logtap.<key>` attributes of a column's definition that it has. */
function definitionAttributes(column: Column): Record<string, unknown> {
  const attributes: Record<string, unknown> = {};
  for (const key of COLUMN_DEFINITION_KEYS) if (column[key] !== undefined) attributes[`logtap.${key}`] = column[key];
  return attributes;
}

function definitionOf(field: FieldJson): Partial<Column> {
  const definition: Record<string, unknown> = {};
  for (const key of COLUMN_DEFINITION_KEYS) if (field[`logtap.${key}`] !== undefined) definition[key] = field[`logtap.${key}`];
  return definition as Partial<Column>;
}

/**
 * The table a logtap record schema was made from, with each column's field: the inverse of
 * tableAvroSchemas, for readers of the topics (replay, tests, tools). For a key record, every column is key.
 */
export function readTableRecord(schema: AvroSchema, part: 'key' | 'value'): { table: TableSchema; fields: FieldPlan[] } {
  const record = schema as RecordJson;
  const id = record['logtap.tableId'];
  if (!record.fields || !id) throw new Error('not a logtap table record (no logtap.tableId attribute)');
  let type: ReturnType<typeof avroType> | undefined;
  const fields = record.fields.map((f): FieldPlan => {
    if (!f['logtap.columnType'] || f['logtap.column'] === undefined) throw new Error(`field ${f.name} of ${tableIdText(id)} carries no logtap column attributes`);
    // A nullable column's union has the null branch first, or last when its default is a value (Avro: a union's default is of its first branch).
    const nullable = Array.isArray(f.type) && (f.type[0] === 'null' || f.type.at(-1) === 'null');
    const column: Column = { name: f['logtap.column'], type: f['logtap.columnType'], nullable, sourceType: f['logtap.sourceType'] ?? '', ...definitionOf(f) };
    if (f.default !== undefined && f.default !== null) {
      type ??= avroType(schema);
      const missingValue = defaultOfField(type, f.name, column);
      if (missingValue !== undefined) column.missingValue = missingValue;
    }
    if (f['logtap.default'] !== undefined) column.defaultExpression = f['logtap.default'];
    return { field: f.name, column };
  });
  const columns = fields.map((f) => f.column);
  const table: TableSchema = { id: { namespace: id.namespace, name: id.name }, columns, key: part === 'key' ? columns.map((c) => c.name) : [] };
  if (record['logtap.tableOptions']) table.options = record['logtap.tableOptions'];
  if (record['logtap.unpublishedColumns']) table.unpublished = record['logtap.unpublishedColumns'];
  return { table, fields };
}

/**
 * A value record's field carries the column's missing value as its default (`value`, a value record): a nullable column with a
 * value default has the null branch last, since a union's default is of its first branch. A column without a
 * missing value has the field it always had. The value record also carries the column definitions (replay).
 */
function recordSchema(name: string, namespace: string, table: TableSchema, plans: FieldPlan[], named: NamedTypes, value: boolean): AvroSchema {
  return {
    type: 'record',
    name,
    namespace,
    'logtap.table': tableIdText(table.id),
    'logtap.tableId': table.id,
    ...(value && table.options ? { 'logtap.tableOptions': table.options } : {}),
    ...(value && table.unpublished?.length ? { 'logtap.unpublishedColumns': table.unpublished } : {}),
    fields: plans.map(({ column, field }) => {
      const type = columnAvroType(column.type, named, namespace);
      const carried = value ? fieldDefault(column, namespace) : undefined;
      let fieldType: AvroSchema = type;
      if (column.nullable) fieldType = carried ? [...(Array.isArray(type) ? type : [type]), 'null'] : orNull(type);
      return {
        name: field,
        type: fieldType,
        ...(carried ? { default: carried.json } : column.nullable ? { default: null } : {}),
        ...(value && column.mask !== undefined ? { doc: `masked by logtap (${column.mask}): not the source's values` } : {}),
        'logtap.column': column.name,
        'logtap.sourceType': column.sourceType,
        'logtap.columnType': column.type,
        ...(value ? definitionAttributes(column) : {}),
        ...(value && column.defaultExpression !== undefined ? { 'logtap.default': column.defaultExpression } : {}),
      };
    }),
  };
}
