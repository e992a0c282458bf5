import avro from 'avsc';
import { bigintLongType } from './bigint-long.js';
import type { AvroSchema } from './column-avro-type.js';

// Every long — bare `"long"` or `{type: "long", logicalType: …}` — becomes the BigInt long.
const isLong = (schema: unknown): boolean => schema === 'long' || (typeof schema === 'object' && schema !== null && (schema as { type?: unknown }).type === 'long');

/** An avsc type for one of logtap's schemas: every long is a BigInt, unions are unwrapped. */
export function avroType(schema: AvroSchema): avro.Type {
  return avro.Type.forSchema(schema as avro.Schema, {
    wrapUnions: 'auto',
    typeHook: (s: unknown) => (isLong(s) ? bigintLongType : undefined),
  } as Partial<avro.ForSchemaOptions>);
}
