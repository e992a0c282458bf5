import avro from 'avsc';
import type { Column } from '../model/table-schema.js';
import { avroType } from './avro-type.js';
import { NamedTypes, columnAvroType } from './column-avro-type.js';
import { columnCodec } from './column-codec.js';

class NotRepresentable extends Error {}

const MAX_JSON_LONG = 9007199254740990n;

/**
 * The value a column's Avro field defaults to, in Avro's JSON default form, when the column has a non-null
 * missing value (the value rows written before the column existed read): a reader of the new schema then reads
 * it from records written before the change (schema resolution). Undefined when there is none, or when Avro's
 * JSON default cannot say it: a union default must be a value of the union's FIRST branch (so NaN/±Infinity of a
 * numeric, an array with non-null elements, a geometry with an SRID), and JSON numbers carry no NaN, ±Infinity or
 * long beyond ±2^53.
 */
export function fieldDefault(column: Column, namespace: string): { json: unknown } | undefined {
  const value = column.missingValue;
  if (value === undefined || value === null) return undefined;
  try {
    // The column's type on its own, every named type defined inline (no reference to another field's).
    const schema = columnAvroType(column.type, new NamedTypes(), namespace);
    const json = defaultJson(avroType(schema), columnCodec(column.type).lower(value));
    // Checked as every schema is when its fingerprint is taken (plain avsc), so that a default never stops a publish.
    avro.Type.forSchema({ type: 'record', name: 'DefaultCheck', namespace, fields: [{ name: 'f', type: schema, default: json }] } as avro.Schema);
    return { json };
  } catch {
    return undefined;
  }
}

/** A lowered value (what avsc writes) of `type` as Avro's JSON default form. */
function defaultJson(type: avro.Type, value: unknown): unknown {
  if (type instanceof avro.types.UnwrappedUnionType || type instanceof avro.types.WrappedUnionType) {
    const first = type.types[0]!;
    if (value === null) {
      if (first.typeName === 'null') return null;
      throw new NotRepresentable('null is not of the union\'s first branch');
    }
    if (first.typeName === 'null' || !first.isValid(value)) throw new NotRepresentable('not a value of the union\'s first branch');
    return defaultJson(first, value);
  }
  if (type instanceof avro.types.RecordType) {
    const record = value as Record<string, unknown>;
    return Object.fromEntries(type.fields.map((f) => [f.name, defaultJson(f.type, record[f.name])]));
  }
  if (type instanceof avro.types.ArrayType) return (value as unknown[]).map((item) => defaultJson(type.itemsType, item));
  if (typeof value === 'bigint') {
    // logtap's longs are BigInts (an avsc `abstract:long`); JSON parsers read numbers as doubles, and avsc's
    // plain long (the fingerprint's parser) takes defaults within ±(2^53 − 2) only.
    if (value < -MAX_JSON_LONG || value > MAX_JSON_LONG) throw new NotRepresentable('long beyond ±2^53');
    return Number(value);
  }
  switch (type.typeName) {
    case 'float':
    case 'double':
      if (!Number.isFinite(value)) throw new NotRepresentable('no JSON number');
      return value;
    case 'bytes':
      // Avro's JSON form of bytes: one character per byte, code points 0–255.
      return Buffer.from(value as Uint8Array).toString('latin1');
    default:
      return value;
  }
}

/** The canonical value a field's default stands for (the inverse of fieldDefault), via avsc's reading of it. */
export function defaultOfField(record: avro.Type, field: string, column: Column): unknown {
  const read = (record as avro.types.RecordType).field(field)?.defaultValue();
  return read === undefined || read === null ? undefined : columnCodec(column.type).raise(read);
}
