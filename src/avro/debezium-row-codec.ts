import type { Row } from '../model/change-event.js';
import type { TableSchema } from '../model/table-schema.js';
import { tableIdText } from '../model/table-schema.js';
import { EncodingError } from '../errors.js';
import { type AvroSchema, NamedTypes } from './column-avro-type.js';
import { ValueMismatch } from './column-codec.js';
import { connectRecord } from './debezium-connect-schema.js';
import { type DebeziumConnector, debeziumColumn } from './debezium-column-type.js';
import { debeziumPlaceholder } from './debezium-placeholder.js';
import { type FieldPlan, tableAvroSchemas } from './table-avro-schema.js';

/** A table's Key or Value record as Debezium writes it, and the lowering of a row into it (for avsc). */
export interface DebeziumRecordCodec {
  readonly schema: AvroSchema;
  /** The record avsc writes for `row`; a value that does not fit fails naming table, column and position. */
  lower(row: Row, position: string): Record<string, unknown>;
  /**
   * A before-image that may lack columns (PostgreSQL's default replica identity sends the key columns only), as
   * Debezium writes it: the columns present, a missing NOT NULL column as Debezium's placeholder, a missing
   * nullable one as null.
   */
  lowerBefore(row: Row, position: string): Record<string, unknown>;
}

export interface DebeziumTableRecords {
  /** `<topic>` made a valid Avro namespace: Debezium's `<topic.prefix>.<schema>.<table>`. */
  namespace: string;
  key: DebeziumRecordCodec | null;
  value: DebeziumRecordCodec;
}

/** The `<topic>.Key` and `<topic>.Value` records of a table in Debezium's form (field names as logtap sanitizes them). */
export function debeziumTableRecords(table: TableSchema, topic: string, connector: DebeziumConnector): DebeziumTableRecords {
  const plans = tableAvroSchemas(table, topic);
  const { namespace } = plans;
  return {
    namespace,
    key: plans.key && recordCodec(`${namespace}.Key`, table, plans.key.fields, connector),
    value: recordCodec(`${namespace}.Value`, table, plans.value.fields, connector),
  };
}

function recordCodec(fullName: string, table: TableSchema, plans: FieldPlan[], connector: DebeziumConnector): DebeziumRecordCodec {
  const named = new NamedTypes();
  const defined = new Map<string, AvroSchema>();
  const fields = plans.map((plan) => {
    const mapping = debeziumColumn(plan.column, connector, named);
    // Computed for every field: a record type is defined at its first use and referenced by name after.
    const placeholder = debeziumPlaceholder(mapping.schema, defined);
    return { plan, mapping, placeholder: plan.column.nullable ? null : placeholder };
  });
  const schema = connectRecord(fullName, fields.map(({ plan, mapping }) => ({ name: plan.field, schema: mapping.schema, optional: plan.column.nullable })), {}, null);
  const tableText = tableIdText(table.id);
  const fail = (column: string, position: string, reason: string): never => {
    throw new EncodingError(`cannot encode ${tableText}.${column} at ${position} (debezium envelope): ${reason}`);
  };
  const lower = (row: Row, position: string, partial: boolean): Record<string, unknown> => {
    const record: Record<string, unknown> = {};
    for (const { plan, mapping, placeholder } of fields) {
      const { name, nullable } = plan.column;
      const value = row[name];
      if (value === undefined && partial) {
        record[plan.field] = placeholder;
        continue;
      }
      if (value === null || value === undefined) {
        if (!nullable) fail(name, position, value === undefined ? 'the value is missing' : 'null in a NOT NULL column');
        record[plan.field] = null;
        continue;
      }
      try {
        record[plan.field] = mapping.convert(value);
      } catch (err) {
        if (err instanceof ValueMismatch) fail(name, position, err.message);
        throw err;
      }
    }
    return record;
  };
  return {
    schema,
    lower: (row, position) => lower(row, position, false),
    lowerBefore: (row, position) => lower(row, position, true),
  };
}
