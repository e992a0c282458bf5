import type { Column, TableSchema } from '../model/table-schema.js';
import { tableIdText } from '../model/table-schema.js';
import { avroNamespace, distinctAvroNames } from './avro-names.js';
import { type AvroSchema, NamedTypes, columnAvroType, orNull } from './column-avro-type.js';

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
 * Every field keeps the source column's name and type in `logtap.column` / `logtap.sourceType`.
 */
export function tableAvroSchemas(table: TableSchema, topic: string): TableAvroSchemas {
  const namespace = avroNamespace(topic.split('.'));
  const fieldNames = distinctAvroNames(table.columns.map((c) => c.name));
  const plans = table.columns.map((column, i): FieldPlan => ({ column, field: fieldNames[i]! }));

  const value = recordSchema('Value', namespace, table, plans, new NamedTypes());

  let key: TableAvroSchemas['key'] = null;
  if (table.key.length > 0) {
    const keyPlans = table.key.map((name) => {
      const plan = plans.find((p) => p.column.name === name);
      if (!plan) throw new Error(`key column ${name} is not a column of ${tableIdText(table.id)}`);
      // Key columns are never null (primary keys and replica-identity indexes require NOT NULL).
      return { column: { ...plan.column, nullable: false }, field: plan.field };
    });
    key = { schema: recordSchema('Key', namespace, table, keyPlans, new NamedTypes()), fields: keyPlans };
  }
  return { key, value: { schema: value, fields: plans }, namespace };
}

function recordSchema(name: string, namespace: string, table: TableSchema, plans: FieldPlan[], named: NamedTypes): AvroSchema {
  return {
    type: 'record',
    name,
    namespace,
    'logtap.table': tableIdText(table.id),
    fields: plans.map(({ column, field }) => {
      const type = columnAvroType(column.type, named, namespace);
      return {
        name: field,
        type: column.nullable ? orNull(type) : type,
        ...(column.nullable ? { default: null } : {}),
        'logtap.column': column.name,
        'logtap.sourceType': column.sourceType,
      };
    }),
  };
}
