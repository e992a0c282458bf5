import type { AvroSchema } from './column-avro-type.js';

/**
 * What Debezium writes into a NOT NULL field of a before-image that lacks the column (PostgreSQL's default
 * replica identity sends only the key columns of a deleted row): its converters' fallback for a null in a
 * non-optional field — 0, "", false, epoch, empty bytes and arrays — in the form the Avro writer takes.
 * Measured against Debezium 3.2.0 (docs/events.md, Before-images); Debezium prefers a column's DEFAULT where its
 * schema carries one, which logtap's Debezium schema does not.
 */
export function debeziumPlaceholder(schema: AvroSchema, defined: Map<string, AvroSchema> = new Map()): unknown {
  if (typeof schema === 'string') return defined.has(schema) ? debeziumPlaceholder(defined.get(schema)!, defined) : primitivePlaceholder(schema);
  if (Array.isArray(schema)) return null;
  const node = schema as Record<string, unknown> & { type: AvroSchema };
  switch (node['connect.name']) {
    case 'io.debezium.time.ZonedTimestamp':
      return '1970-01-01T00:00:00Z';
    case 'io.debezium.time.ZonedTime':
      return '00:00:00Z';
    case 'org.apache.kafka.connect.data.Decimal':
      // BigDecimal.ZERO: one zero byte of unscaled value.
      return Buffer.alloc(1);
    case 'io.debezium.data.VariableScaleDecimal':
      return { scale: 0, value: Buffer.alloc(1) };
    default:
  }
  switch (node.type) {
    case 'record':
      // Later fields may refer to this record by its full name (Avro defines each name once).
      defined.set(node.namespace ? `${node.namespace as string}.${node.name as string}` : node.name as string, node);
      return Object.fromEntries((node.fields as Array<{ name: string; type: AvroSchema }>).map((f) => [f.name, debeziumPlaceholder(f.type, defined)]));
    case 'array':
      return [];
    case 'map':
      return {};
    case 'enum':
      return (node.symbols as string[])[0];
    case 'fixed':
      return Buffer.alloc(node.size as number);
    default:
      return typeof node.type === 'string' ? primitivePlaceholder(node.type) : debeziumPlaceholder(node.type, defined);
  }
}

function primitivePlaceholder(type: string): unknown {
  switch (type) {
    case 'boolean':
      return false;
    case 'int':
    case 'float':
    case 'double':
      return 0;
    case 'long':
      return 0n;
    case 'string':
      return '';
    case 'bytes':
      return Buffer.alloc(0);
    default:
      return null;
  }
}
