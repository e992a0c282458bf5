import type { ColumnType } from '../model/column-type.js';
import { DECIMAL_SPECIALS } from '../model/column-type.js';
import type { Column } from '../model/table-schema.js';
import type { AvroSchema, NamedTypes } from './column-avro-type.js';
import { ValueMismatch, columnCodec, describe } from './column-codec.js';
import { unscaledAt, unscaledToBytes } from './decimal-bytes.js';
import { connectDecimal, connectInt16, connectPrimitive, connectRecord } from './debezium-connect-schema.js';
import { PG_INFINITY, microDuration, zonedTimeText, zonedTimestampText } from './debezium-temporal.js';

/** The Debezium connector whose output a column imitates. */
export type DebeziumConnector = 'postgresql' | 'mysql';

/**
 * A column as Debezium's connector writes it with its default settings (time.precision.mode adaptive /
 * adaptive_time_microseconds, decimal.handling.mode precise, binary.handling.mode bytes,
 * bigint.unsigned.handling.mode long, interval.handling.mode numeric): the Avro schema AvroData makes of
 * its Connect schema, and the conversion of logtap's canonical value (never null) into what avsc writes.
 * `convert` throws ValueMismatch for a value Debezium's form cannot carry; the row codec names table,
 * column and position. docs/events.md lists where this differs from the entity envelope.
 */
export interface DebeziumColumn {
  schema: AvroSchema;
  convert(value: unknown): unknown;
}

const semantic = (type: 'int' | 'long' | 'string' | 'bytes', name: string, parameters?: Record<string, string>): AvroSchema =>
  connectPrimitive(type, { name, version: 1, ...(parameters ? { parameters } : {}) });

const mismatch = (reason: string): never => {
  throw new ValueMismatch(reason);
};

/** The fractional-second precision in a source type (`timestamp(3) with time zone`, `datetime(6)`), if declared. */
function declaredPrecision(sourceType: string): number | null {
  const match = /\((\d+)\)/.exec(sourceType);
  return match ? Number(match[1]) : null;
}

const isSpecial = (v: unknown): boolean => typeof v === 'string' && (DECIMAL_SPECIALS as readonly string[]).includes(v);
const refuseSpecial = (v: unknown): never =>
  mismatch(`${describe(v)} cannot be carried by Debezium's precise decimal (Debezium itself stops at such a value); use envelope: entity to carry it`);

/** Bits as Debezium's Bits: the bit string's value in little-endian bytes, at least `minBytes` long. */
function littleEndianBits(bits: string, minBytes: number): Buffer {
  let highest = -1;
  for (let i = 0; i < bits.length; i++) if (bits.charCodeAt(bits.length - 1 - i) === 49) highest = i;
  const out = Buffer.alloc(Math.max(minBytes, Math.ceil((highest + 1) / 8)));
  for (let i = 0; i <= highest; i++) if (bits.charCodeAt(bits.length - 1 - i) === 49) out[i >> 3]! |= 1 << (i & 7);
  return out;
}

/** BigDecimal.stripTrailingZeros, then a negative scale back to 0: what Debezium does to an unconstrained numeric. */
function strippedDecimal(text: string): { scale: number; value: Buffer } {
  const stripped = text.includes('.') ? text.replace(/0+$/, '').replace(/\.$/, '') : text;
  const dot = stripped.indexOf('.');
  const scale = dot === -1 ? 0 : stripped.length - dot - 1;
  const unscaled = unscaledAt(stripped, scale);
  if (unscaled === null) return mismatch(`${describe(text)} is not decimal text`);
  return { scale, value: unscaledToBytes(unscaled) };
}

const TWO_64 = 1n << 64n;
const LONG_MAX = (1n << 63n) - 1n;

export function debeziumColumn(column: Column, connector: DebeziumConnector, named: NamedTypes): DebeziumColumn {
  return columnOf(column.type, column, connector, named);
}

function columnOf(type: ColumnType, column: Column, connector: DebeziumConnector, named: NamedTypes): DebeziumColumn {
  const codec = columnCodec(type);
  const { sourceType } = column;
  switch (type.kind) {
    case 'boolean':
    case 'long':
    case 'double':
    case 'bytes':
      return { schema: type.kind, convert: codec.lower };
    case 'int': {
      // Debezium: TINYINT/SMALLINT → INT16, SMALLINT UNSIGNED/MEDIUMINT/INT → INT32, INT UNSIGNED → INT64.
      const int16 = type.bits === 8 || (type.bits === 16 && !type.unsigned);
      const schema = int16 ? connectInt16 : type.bits === 32 && type.unsigned ? 'long' : 'int';
      return { schema, convert: codec.lower };
    }
    case 'float':
      // MySQL's nonstandard FLOAT(M,D) is a FLOAT64 for Debezium; every float32 value is exact as a double.
      return { schema: connector === 'mysql' && /^float\(\d+,\d+\)/i.test(sourceType) ? 'double' : 'float', convert: codec.lower };
    case 'decimal': {
      if (connector === 'mysql' && /^bigint\b.*\bunsigned\b/i.test(sourceType)) {
        // bigint.unsigned.handling.mode=long: Java's long, so values above 2^63-1 wrap (two's complement).
        return {
          schema: 'long',
          convert: (v) => {
            const n = typeof v === 'string' && /^\d+$/.test(v) ? BigInt(v) : mismatch(`expected an unsigned 64-bit integer, got ${describe(v)}`);
            return n > LONG_MAX ? n - TWO_64 : n;
          },
        };
      }
      const money = connector === 'postgresql' && sourceType === 'money';
      const exact = columnCodec({ kind: 'decimal', precision: type.precision, scale: type.scale });
      // PostgreSQL money: Decimal.builder(money.fraction.digits = 2), no precision parameter.
      return {
        schema: connectDecimal(type.scale, money ? null : type.precision),
        convert: (v) => (isSpecial(v) ? refuseSpecial(v) : exact.lower(v)),
      };
    }
    case 'variable-decimal':
      return {
        schema: connectRecord('io.debezium.data.VariableScaleDecimal', [
          { name: 'scale', schema: 'int', optional: false },
          { name: 'value', schema: 'bytes', optional: false },
        ], { version: 1, doc: 'Variable scaled decimal' }, named),
        convert: (v) => (isSpecial(v) ? refuseSpecial(v) : typeof v === 'string' ? strippedDecimal(v) : mismatch(`expected decimal text, got ${describe(v)}`)),
      };
    case 'string':
      if (connector === 'postgresql' && type.semantic === 'geometric' && sourceType === 'point') {
        return { schema: pointSchema(named), convert: (v) => pointOfText(codec.lower(v) as string) };
      }
      return { schema: stringSchema(type.semantic, sourceType, connector), convert: codec.lower };
    case 'json':
      return { schema: semantic('string', 'io.debezium.data.Json'), convert: codec.lower };
    case 'uuid':
      return { schema: semantic('string', 'io.debezium.data.Uuid'), convert: codec.lower };
    case 'bits': {
      // PostgreSQL varbit(n) has no fixed length in logtap's type; Debezium's parameter is the declared maximum.
      const length = type.length ?? declaredPrecision(sourceType) ?? 2147483647;
      if (length === 1) return { schema: 'boolean', convert: (v) => (codec.lower(v) as { bits: Buffer }).bits[0] !== 0 };
      // MySQL pads to the declared length; PostgreSQL sizes the bytes by the value (highest set bit).
      const minBytes = connector === 'mysql' ? Math.ceil(length / 8) : 0;
      return {
        schema: semantic('bytes', 'io.debezium.data.Bits', { length: String(length) }),
        convert: (v) => {
          codec.lower(v); // checks the 0/1 text and the declared length
          return littleEndianBits(v as string, minBytes);
        },
      };
    }
    case 'date':
      return {
        schema: semantic('int', 'io.debezium.time.Date'),
        convert: (v) => {
          if (v === Infinity) return PG_INFINITY.dateDays.positive;
          if (v === -Infinity) return connector === 'postgresql' ? PG_INFINITY.dateDays.negative : zeroDate(column);
          return codec.lower(v);
        },
      };
    case 'time-micros': {
      const precision = declaredPrecision(sourceType) ?? 6;
      if (precision <= 3) return { schema: semantic('int', 'io.debezium.time.Time'), convert: (v) => Number((codec.lower(v) as bigint) / 1000n) };
      return { schema: semantic('long', 'io.debezium.time.MicroTime'), convert: codec.lower };
    }
    case 'duration-micros':
      // adaptive_time_microseconds: every MySQL TIME is a MicroTime, the signed duration in µs.
      return { schema: semantic('long', 'io.debezium.time.MicroTime'), convert: codec.lower };
    case 'time-tz':
      return {
        schema: semantic('string', 'io.debezium.time.ZonedTime'),
        convert: (v) => {
          const t = codec.lower(v) as { micros: bigint; offsetSeconds: number };
          return zonedTimeText(t.micros, t.offsetSeconds);
        },
      };
    case 'interval':
      return { schema: semantic('long', 'io.debezium.time.MicroDuration'), convert: (v) => microDuration(codec.lower(v) as { months: number; days: number; micros: bigint }) };
    case 'timestamp-micros': {
      const declared = declaredPrecision(sourceType);
      if (type.zoned) {
        return {
          schema: semantic('string', 'io.debezium.time.ZonedTimestamp'),
          convert: (v) => {
            if (v === Infinity) return PG_INFINITY.zonedTimestamp.positive;
            if (v === -Infinity) return connector === 'postgresql' ? PG_INFINITY.zonedTimestamp.negative : zeroTimestamp(column, '1970-01-01T00:00:00Z');
            // PostgreSQL's timestamptz without a declared precision has 6 fraction digits.
            return zonedTimestampText(codec.lower(v) as bigint, declared ?? (connector === 'postgresql' ? 6 : null));
          },
        };
      }
      const precision = declared ?? (connector === 'postgresql' ? 6 : 0);
      const millis = precision <= 3;
      const infinity = millis
        ? { positive: PG_INFINITY.timestampMicros.positive / 1000n, negative: PG_INFINITY.timestampMicros.negative / 1000n }
        : PG_INFINITY.timestampMicros;
      return {
        schema: semantic('long', millis ? 'io.debezium.time.Timestamp' : 'io.debezium.time.MicroTimestamp'),
        convert: (v) => {
          if (v === Infinity) return infinity.positive;
          if (v === -Infinity) return connector === 'postgresql' ? infinity.negative : zeroTimestamp(column, 0n);
          const micros = codec.lower(v) as bigint;
          return millis ? micros / 1000n : micros;
        },
      };
    }
    case 'enum': {
      // logtap adds the MySQL error value '' to an ENUM's symbols; Debezium's `allowed` lists the declared labels.
      const labels = connector === 'mysql' && type.symbols.at(-1) === '' ? type.symbols.slice(0, -1) : type.symbols;
      const allowed = new Set(type.symbols);
      return {
        schema: semantic('string', 'io.debezium.data.Enum', { allowed: labels.join(',') }),
        convert: (v) => (typeof v === 'string' && allowed.has(v) ? v : mismatch(`${describe(v)} is not one of the enum's labels`)),
      };
    }
    case 'set':
      return {
        schema: semantic('string', 'io.debezium.data.EnumSet', { allowed: type.symbols.join(',') }),
        convert: (v) => {
          codec.lower(v); // checks every member
          return (v as string[]).join(',');
        },
      };
    case 'array': {
      const element = columnOf(type.element, column, connector, named);
      let schema: AvroSchema = { type: 'array', items: ['null', element.schema] };
      for (let d = 1; d < type.dimensions; d++) schema = { type: 'array', items: schema };
      const convertAt = (v: unknown, depth: number): unknown => {
        if (!Array.isArray(v)) return mismatch(`expected an array ${type.dimensions} deep, got ${describe(v)}`);
        return depth === 1 ? v.map((e) => (e === null ? null : element.convert(e))) : v.map((e) => convertAt(e, depth - 1));
      };
      return { schema, convert: (v) => convertAt(v, type.dimensions) };
    }
    case 'year':
      return { schema: semantic('int', 'io.debezium.time.Year'), convert: codec.lower };
    case 'geometry':
      // MySQL POINT columns are Debezium's Point (x, y besides the WKB); every other geometry type its Geometry.
      if (/^point\b/i.test(sourceType)) {
        return {
          schema: pointSchema(named),
          convert: (v) => {
            const g = codec.lower(v) as { srid: number | null; wkb: Buffer };
            return { ...pointOfWkb(g.wkb), srid: g.srid === 0 ? null : g.srid };
          },
        };
      }
      return {
        schema: connectRecord('io.debezium.data.geometry.Geometry', [
          { name: 'wkb', schema: 'bytes', optional: false },
          { name: 'srid', schema: 'int', optional: true },
        ], { version: 1, doc: 'Geometry' }, named),
        convert: (v) => {
          const g = codec.lower(v) as { srid: number | null; wkb: Buffer };
          // Debezium's MySQL geometry: SRID 0 (none set) is null.
          return { wkb: g.wkb, srid: g.srid === 0 ? null : g.srid };
        },
      };
  }
}

/** Text whose Debezium type has a name: xml, and PostgreSQL's tsvector and ltree (the extension type, in any schema). */
function stringSchema(semanticKind: string | undefined, sourceType: string, connector: DebeziumConnector): AvroSchema {
  if (semanticKind === 'xml') return semantic('string', 'io.debezium.data.Xml');
  if (connector === 'postgresql' && semanticKind === 'text-search' && sourceType === 'tsvector') return semantic('string', 'io.debezium.data.Tsvector');
  if (connector === 'postgresql' && semanticKind === 'other' && /^(?:\w+\.)?ltree$/.test(sourceType)) return semantic('string', 'io.debezium.data.Ltree');
  return 'string';
}

/** io.debezium.data.geometry.Point: a Geometry with the coordinates beside the WKB. */
const pointSchema = (named: NamedTypes): AvroSchema => connectRecord('io.debezium.data.geometry.Point', [
  { name: 'x', schema: 'double', optional: false },
  { name: 'y', schema: 'double', optional: false },
  { name: 'wkb', schema: 'bytes', optional: true },
  { name: 'srid', schema: 'int', optional: true },
], { version: 1, doc: 'Geometry (POINT)' }, named);

/** A 2D point's coordinates from its WKB (either byte order), as Debezium's Point.parseWKBPoint reads them. */
function pointOfWkb(wkb: Buffer): { x: number; y: number; wkb: Buffer } {
  const little = wkb[0] !== 0;
  if (wkb.length !== 21 || (little ? wkb.readUInt32LE(1) : wkb.readUInt32BE(1)) !== 1) return mismatch(`expected the WKB of a 2D point, got ${describe(wkb)}`);
  return { x: little ? wkb.readDoubleLE(5) : wkb.readDoubleBE(5), y: little ? wkb.readDoubleLE(13) : wkb.readDoubleBE(13), wkb };
}

/** A PostgreSQL point's text `(x,y)` as Debezium's Point: the coordinates, their little-endian WKB, no SRID. */
function pointOfText(text: string): { x: number; y: number; wkb: Buffer; srid: null } {
  const match = /^\(([^,()]+),([^,()]+)\)$/.exec(text);
  const x = match ? Number(match[1]) : NaN;
  const y = match ? Number(match[2]) : NaN;
  if (!match || (Number.isNaN(x) && match[1] !== 'NaN') || (Number.isNaN(y) && match[2] !== 'NaN')) return mismatch(`expected a point (x,y), got ${describe(text)}`);
  const wkb = Buffer.alloc(21);
  wkb[0] = 1;
  wkb.writeUInt32LE(1, 1);
  wkb.writeDoubleLE(x, 5);
  wkb.writeDoubleLE(y, 13);
  return { x, y, wkb, srid: null };
}

/** Debezium's MySQL zero date/time: null in a nullable column, else the epoch. */
function zeroDate(column: Column): number | null {
  return column.nullable ? null : 0;
}

function zeroTimestamp<T>(column: Column, epoch: T): T | null {
  return column.nullable ? null : epoch;
}
