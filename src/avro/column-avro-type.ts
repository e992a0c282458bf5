import type { ColumnType } from '../model/column-type.js';
import { DECIMAL_SPECIALS } from '../model/column-type.js';
import { avroName, distinctAvroNames } from './avro-names.js';

/** An Avro schema as JSON (what goes to the schema topic and into .avsc files). */
export type AvroSchema = string | AvroSchema[] | { [key: string]: unknown };

/** Namespace of logtap's own shared record types inside every table schema. */
export const LOGTAP_NAMESPACE = 'logtap';

/** Reserved values for the sources' infinite dates and timestamps (docs/types.md). */
export const DATE_POSITIVE_INFINITY = 2147483647;
export const DATE_NEGATIVE_INFINITY = -2147483648;
export const TIMESTAMP_POSITIVE_INFINITY = (1n << 63n) - 1n;
export const TIMESTAMP_NEGATIVE_INFINITY = -(1n << 63n);

/**
 * Named Avro types may be defined once per schema; later uses must name them. This keeps the first
 * definition of each full name and hands back the name for repeats.
 */
export class NamedTypes {
  private readonly defined = new Map<string, string>();

  use(fullName: string, definition: { [key: string]: unknown }): AvroSchema {
    const json = JSON.stringify(definition);
    const seen = this.defined.get(fullName);
    if (seen === undefined) {
      this.defined.set(fullName, json);
      return definition;
    }
    if (seen !== json) throw new Error(`two different Avro types want the name ${fullName}`);
    return fullName;
  }
}

const decimalSpecialEnum = (named: NamedTypes): AvroSchema =>
  named.use(`${LOGTAP_NAMESPACE}.DecimalSpecial`, {
    type: 'enum',
    name: 'DecimalSpecial',
    namespace: LOGTAP_NAMESPACE,
    doc: 'A non-finite value of a source decimal that allows them (PostgreSQL numeric).',
    symbols: ['NaN', 'POSITIVE_INFINITY', 'NEGATIVE_INFINITY'],
  });

/** Avro enum symbols of the decimal specials, in DECIMAL_SPECIALS order. */
export const DECIMAL_SPECIAL_SYMBOLS: Record<(typeof DECIMAL_SPECIALS)[number], string> = {
  NaN: 'NaN',
  Infinity: 'POSITIVE_INFINITY',
  '-Infinity': 'NEGATIVE_INFINITY',
};

const record = (named: NamedTypes, name: string, doc: string, fields: Array<{ name: string; type: AvroSchema; doc?: string; default?: null }>): AvroSchema =>
  named.use(`${LOGTAP_NAMESPACE}.${name}`, { type: 'record', name, namespace: LOGTAP_NAMESPACE, doc, fields });

/**
 * The one Avro type of each column type (docs/types.md is the table of these). `namespace` places
 * source-named types (enums) next to the table's records.
 */
export function columnAvroType(type: ColumnType, named: NamedTypes, namespace: string): AvroSchema {
  switch (type.kind) {
    case 'boolean':
      return 'boolean';
    case 'int':
      // An unsigned 32-bit integer does not fit Avro's signed int.
      return type.bits === 32 && type.unsigned ? 'long' : 'int';
    case 'long':
      return 'long';
    case 'float':
      return 'float';
    case 'double':
      return 'double';
    case 'decimal': {
      const decimal = { type: 'bytes', logicalType: 'decimal', precision: type.precision, scale: type.scale };
      return type.specials ? [decimal, decimalSpecialEnum(named)] : decimal;
    }
    case 'variable-decimal': {
      // Field names as Debezium's VariableScaleDecimal has them.
      const variable = record(named, 'VariableDecimal', 'An exact decimal of any scale: value × 10^-scale.', [
        { name: 'scale', type: 'int' },
        { name: 'value', type: 'bytes', doc: 'the unscaled value, big-endian two\'s complement' },
      ]);
      return type.specials ? [variable, decimalSpecialEnum(named)] : variable;
    }
    case 'string':
      return type.semantic ? { type: 'string', 'logtap.type': type.semantic } : 'string';
    case 'bytes':
      return 'bytes';
    case 'bits':
      return record(named, 'Bits', 'A bit string: `length` bits, first bit in the high bit of the first byte.', [
        { name: 'length', type: 'int' },
        { name: 'bits', type: 'bytes' },
      ]);
    case 'date':
      return { type: 'int', logicalType: 'date' };
    case 'time-micros':
      return { type: 'long', logicalType: 'time-micros' };
    case 'time-tz':
      return record(named, 'TimeTz', 'A time of day with its UTC offset.', [
        { name: 'micros', type: { type: 'long', logicalType: 'time-micros' } },
        { name: 'offsetSeconds', type: 'int', doc: 'east of UTC' },
      ]);
    case 'duration-micros':
      return { type: 'long', 'logtap.type': 'duration-micros' };
    case 'interval':
      return record(named, 'Interval', 'An exact interval: months, days and microseconds, each signed.', [
        { name: 'months', type: 'int' },
        { name: 'days', type: 'int' },
        { name: 'micros', type: 'long' },
      ]);
    case 'timestamp-micros':
      return { type: 'long', logicalType: type.zoned ? 'timestamp-micros' : 'local-timestamp-micros' };
    case 'json':
      return { type: 'string', 'logtap.type': 'json' };
    case 'uuid':
      return { type: 'string', logicalType: 'uuid' };
    case 'enum':
      return enumType(type.name, type.symbols, named, namespace);
    case 'set':
      return { type: 'array', items: enumType(type.name, type.symbols, named, namespace) };
    case 'array': {
      // Elements may be null; sub-arrays of a multi-dimensional array may not (arrays are rectangular).
      let array: AvroSchema = { type: 'array', items: orNull(columnAvroType(type.element, named, namespace)) };
      for (let d = 1; d < type.dimensions; d++) array = { type: 'array', items: array };
      return array;
    }
    case 'year':
      return { type: 'int', 'logtap.type': 'year' };
    case 'geometry':
      return record(named, 'Geometry', 'A geometry as well-known binary, with its spatial reference id.', [
        { name: 'srid', type: ['null', 'int'], default: null },
        { name: 'wkb', type: 'bytes' },
      ]);
  }
}

/** `["null", …]` of a type; a union gains a null branch (Avro forbids a union directly inside a union). */
export function orNull(type: AvroSchema): AvroSchema[] {
  return ['null', ...(Array.isArray(type) ? type : [type])];
}

function enumType(sourceName: string, labels: string[], named: NamedTypes, namespace: string): AvroSchema {
  const name = avroName(sourceName);
  return named.use(`${namespace}.${name}`, {
    type: 'enum',
    name,
    namespace,
    symbols: distinctAvroNames(labels),
    'logtap.labels': labels,
  });
}
