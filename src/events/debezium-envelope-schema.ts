import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { packageRoot } from '../package-root.js';
import type { AvroSchema } from '../avro/column-avro-type.js';
import type { DebeziumConnector } from '../avro/debezium-column-type.js';
import { fixedSchema } from '../schema/fixed-schemas.js';

const sources = new Map<DebeziumConnector, AvroSchema>();

/** Debezium's `source` block of a connector, `io.debezium.connector.<connector>.Source` (schemas/debezium-source-*.avsc). */
export function debeziumSourceSchema(connector: DebeziumConnector): AvroSchema {
  let schema = sources.get(connector);
  if (!schema) {
    schema = JSON.parse(readFileSync(join(packageRoot(), 'schemas', `debezium-source-${connector}.avsc`), 'utf8')) as AvroSchema;
    sources.set(connector, schema);
  }
  return schema;
}

/** Debezium's `transaction` block, `event.block` (schemas/transaction.avsc). */
export const debeziumTransactionBlockSchema = (): AvroSchema => fixedSchema('transaction').schema;

/** Version of Debezium's Envelope schema (its `connect.version`) since Debezium 2.x. */
const ENVELOPE_VERSION = 2;

/**
 * Debezium's value record around a table's Value record, `<topic>.Envelope`, field for field as Debezium 3.x
 * with Confluent's AvroConverter writes it: before, after, source, transaction, op, ts_ms, ts_us, ts_ns.
 */
export function debeziumEnvelopeSchema(namespace: string, valueSchema: AvroSchema, connector: DebeziumConnector): AvroSchema {
  // Inside the Envelope the Value record inherits the namespace, and Avro's JSON (as Debezium's registry holds it) leaves it out.
  const { namespace: _inherited, ...value } = valueSchema as Record<string, unknown>;
  return {
    type: 'record',
    name: 'Envelope',
    namespace,
    fields: [
      { name: 'before', type: ['null', value], default: null },
      { name: 'after', type: ['null', 'Value'], default: null },
      { name: 'source', type: debeziumSourceSchema(connector) },
      { name: 'transaction', type: ['null', debeziumTransactionBlockSchema()], default: null },
      { name: 'op', type: 'string' },
      { name: 'ts_ms', type: ['null', 'long'], default: null },
      { name: 'ts_us', type: ['null', 'long'], default: null },
      { name: 'ts_ns', type: ['null', 'long'], default: null },
    ],
    'connect.version': ENVELOPE_VERSION,
    'connect.name': `${namespace}.Envelope`,
  };
}
