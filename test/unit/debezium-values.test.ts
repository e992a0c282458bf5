import { describe, expect, it } from 'vitest';
import type { ChangeEvent, Row } from '../../src/model/change-event.js';
import type { Column, TableSchema } from '../../src/model/table-schema.js';
import { EventEncoder } from '../../src/events/event-encoder.js';
import { SchemaCatalog, type SchemaEntry } from '../../src/schema/schema-catalog.js';
import { singleObjectWire } from '../../src/schema/wire-format.js';
import { readSingleObjectHeader } from '../../src/avro/single-object.js';
import { avroType } from '../../src/avro/avro-type.js';
import { EncodingError } from '../../src/errors.js';
import { microDuration, zonedTimeText, zonedTimestampText } from '../../src/avro/debezium-temporal.js';

/**
 * Each Debezium semantic type's value, as Debezium 3.x computes it. Expected values are written by hand or,
 * for the java.time formats and MicroDuration's double arithmetic, were computed with Java 17 (java.time
 * formatters, Debezium's formula), never by logtap.
 */

const col = (name: string, type: Column['type'], sourceType: string, nullable = true): Column => ({ name, type, sourceType, nullable });

/** Encodes one insert of `row` into `column` and returns the `after` record as avsc decodes the Envelope. */
async function after(connector: 'postgresql' | 'mysql', columns: Column[], row: Row): Promise<Record<string, unknown>> {
  const table: TableSchema = { id: { namespace: 'public', name: 't' }, columns: [col('id', { kind: 'int', bits: 32 }, 'integer', false), ...columns], key: ['id'] };
  const published: SchemaEntry[] = [];
  const encoder = new EventEncoder({
    topicPrefix: 'p', envelope: 'debezium', source: { connector, database: 'db', version: '0.1.0' },
    catalog: new SchemaCatalog('fail'), wire: singleObjectWire,
  });
  await encoder.prepare(table, async (e) => {
    published.push(e);
  });
  const event: ChangeEvent = { table, op: 'c', after: { id: 1, ...row }, position: { token: 'pos-1', display: 'pos 1' }, snapshot: false };
  const [record] = encoder.encode(event);
  const envelope = avroType(published.find((e) => e.subject.endsWith('-value'))!.schema).fromBuffer(readSingleObjectHeader(record!.value!).body) as { after: Record<string, unknown> };
  return envelope.after;
}

const one = async (connector: 'postgresql' | 'mysql', column: Column, value: unknown): Promise<unknown> => (await after(connector, [column], { [column.name]: value }))[column.name];

describe('temporal semantic types', () => {
  it('MicroTimestamp is µs since the epoch as a long; Timestamp (precision ≤ 3) ms', async () => {
    expect(await one('postgresql', col('c', { kind: 'timestamp-micros', zoned: false }, 'timestamp without time zone'), 1529507596945104n)).toBe(1529507596945104n);
    expect(await one('postgresql', col('c', { kind: 'timestamp-micros', zoned: false }, 'timestamp(3) without time zone'), 1529507596945000n)).toBe(1529507596945n);
    expect(await one('mysql', col('c', { kind: 'timestamp-micros', zoned: false }, 'datetime'), 1529476623000000n)).toBe(1529476623000n);
    expect(await one('mysql', col('c', { kind: 'timestamp-micros', zoned: false }, 'datetime(6)'), -30610224000000000n)).toBe(-30610224000000000n);
  });

  it('ZonedTimestamp is the instant in UTC as ISO-8601, with the column\'s fraction digits', async () => {
    const tstz = col('c', { kind: 'timestamp-micros', zoned: true }, 'timestamp with time zone');
    expect(await one('postgresql', tstz, 1592655423000001n)).toBe('2020-06-20T12:17:03.000001Z');
    expect(await one('postgresql', col('c', { kind: 'timestamp-micros', zoned: true }, 'timestamp(3) with time zone'), 1592655423120000n)).toBe('2020-06-20T12:17:03.120Z');
    expect(await one('mysql', col('c', { kind: 'timestamp-micros', zoned: true }, 'timestamp'), 1592655423000000n)).toBe('2020-06-20T12:17:03Z');
    expect(zonedTimestampText(1592655423500000n, null)).toBe('2020-06-20T12:17:03.5Z');
    expect(zonedTimestampText(-62167219200000000n, 6)).toBe('0000-01-01T00:00:00.000000Z');
    expect(zonedTimestampText(-62198755200000000n, 6)).toBe('-0001-01-01T00:00:00.000000Z');
    expect(zonedTimestampText(253402300800000000n, 6)).toBe('+10000-01-01T00:00:00.000000Z');
    expect(zonedTimestampText(-1n, 6)).toBe('1969-12-31T23:59:59.999999Z');
  });

  it('ZonedTime is the time moved to UTC as ISO-8601', async () => {
    expect(await one('postgresql', col('c', { kind: 'time-tz' }, 'time with time zone'), { micros: 43_200_000_000n, offsetSeconds: 19_800 })).toBe('06:30:00Z');
    expect(zonedTimeText(3_600_500_000n, 7_200)).toBe('23:00:00.5Z');
    expect(zonedTimeText(86_399_999_999n, -3_600)).toBe('00:59:59.999999Z');
  });

  it('Date is days since the epoch; Time (precision ≤ 3) ms and MicroTime µs since midnight; MySQL TIME a signed MicroTime; Year an int', async () => {
    expect(await one('postgresql', col('c', { kind: 'date' }, 'date'), 17702)).toBe(17702);
    expect(await one('postgresql', col('c', { kind: 'time-micros' }, 'time(3) without time zone'), 45_296_789_000n)).toBe(45_296_789);
    expect(await one('postgresql', col('c', { kind: 'time-micros' }, 'time without time zone'), 86_400_000_000n)).toBe(86_400_000_000n);
    expect(await one('mysql', col('c', { kind: 'duration-micros' }, 'time(6)'), -3_020_399_000_000n)).toBe(-3_020_399_000_000n);
    expect(await one('mysql', col('c', { kind: 'year' }, 'year(4)'), 2155)).toBe(2155);
  });

  it('MicroDuration approximates an interval in µs with 30.4375-day months, as Debezium does', async () => {
    // P1Y2M3DT4H5M6.789S
    expect(await one('postgresql', col('c', { kind: 'interval' }, 'interval'), { months: 14, days: 3, micros: 14_706_789_000n })).toBe(37091106789000n);
    expect(microDuration({ months: -1, days: -2, micros: -11_045_000_001n })).toBe(-2813645000001n);
  });

  it('carries PostgreSQL infinities as Debezium does', async () => {
    const date = col('c', { kind: 'date' }, 'date');
    expect(await one('postgresql', date, Infinity)).toBe(-2147472692);
    expect(await one('postgresql', date, -Infinity)).toBe(-2147472691);
    const ts = col('c', { kind: 'timestamp-micros', zoned: false }, 'timestamp without time zone');
    expect(await one('postgresql', ts, Infinity)).toBe(9223372036825200000n);
    expect(await one('postgresql', ts, -Infinity)).toBe(-9223372036832400000n);
    expect(await one('postgresql', col('c', { kind: 'timestamp-micros', zoned: false }, 'timestamp(0) without time zone'), Infinity)).toBe(9223372036825200n);
    const tstz = col('c', { kind: 'timestamp-micros', zoned: true }, 'timestamp with time zone');
    expect(await one('postgresql', tstz, Infinity)).toBe('infinity');
    expect(await one('postgresql', tstz, -Infinity)).toBe('-infinity');
  });

  it('carries MySQL zero dates (zeroDates: negative-infinity) as Debezium does: null when nullable, else the epoch', async () => {
    expect(await one('mysql', col('c', { kind: 'date' }, 'date'), -Infinity)).toBeNull();
    expect(await one('mysql', col('c', { kind: 'date' }, 'date', false), -Infinity)).toBe(0);
    expect(await one('mysql', col('c', { kind: 'timestamp-micros', zoned: true }, 'timestamp', false), -Infinity)).toBe('1970-01-01T00:00:00Z');
    expect(await one('mysql', col('c', { kind: 'timestamp-micros', zoned: false }, 'datetime', false), -Infinity)).toBe(0n);
  });
});

describe('numeric semantic types', () => {
  it('Decimal is the unscaled value in big-endian two\'s complement bytes', async () => {
    const price = col('c', { kind: 'decimal', precision: 12, scale: 2, specials: true }, 'numeric(12,2)');
    expect(await one('postgresql', price, '19.99')).toEqual(Buffer.from([0x07, 0xcf]));
    expect(await one('postgresql', price, '-0.01')).toEqual(Buffer.from([0xff]));
    expect(await one('postgresql', col('c', { kind: 'decimal', precision: 19, scale: 2 }, 'money'), '-92233720368547758.08')).toEqual(Buffer.from('8000000000000000', 'hex'));
  });

  it('VariableScaleDecimal is {scale: int, value: bytes} with trailing zeros stripped, as Debezium does', async () => {
    const amount = col('c', { kind: 'variable-decimal', specials: true }, 'numeric');
    expect(await one('postgresql', amount, '1.500')).toEqual({ scale: 1, value: Buffer.from([0x0f]) });
    expect(await one('postgresql', amount, '-100')).toEqual({ scale: 0, value: Buffer.from([0x9c]) });
    expect(await one('postgresql', amount, '0.000')).toEqual({ scale: 0, value: Buffer.from([0x00]) });
    expect(await one('postgresql', amount, '123456789012345678901234567890.000000000000000000001')).toEqual({ scale: 21, value: Buffer.from('5478f9e220adb25e4d21808cc70680d062df400001', 'hex') });
  });

  it('refuses NaN and ±Infinity, which Debezium\'s precise decimals cannot carry, naming table, column and position', async () => {
    const price = col('c', { kind: 'decimal', precision: 12, scale: 2, specials: true }, 'numeric(12,2)');
    await expect(one('postgresql', price, 'NaN')).rejects.toThrow(EncodingError);
    await expect(one('postgresql', col('c', { kind: 'variable-decimal', specials: true }, 'numeric'), '-Infinity')).rejects.toThrow(/public\.t\.c at pos-1 \(debezium envelope\): string "-Infinity" cannot be carried by Debezium's precise decimal.*envelope: entity/);
  });

  it('integers: INT16 for SMALLINT/TINYINT, INT64 for INT UNSIGNED, BIGINT UNSIGNED as Java\'s long (wrapping above 2^63-1)', async () => {
    expect(await one('postgresql', col('c', { kind: 'int', bits: 16 }, 'smallint'), -32768)).toBe(-32768);
    expect(await one('mysql', col('c', { kind: 'long', unsigned32: true }, 'int(10) unsigned'), 4294967295n)).toBe(4294967295n);
    const bu = col('c', { kind: 'decimal', precision: 20, scale: 0 }, 'bigint(20) unsigned');
    expect(await one('mysql', bu, '9223372036854775807')).toBe(9223372036854775807n);
    expect(await one('mysql', bu, '18446744073709551615')).toBe(-1n);
    expect(await one('mysql', bu, '9223372036854775808')).toBe(-9223372036854775808n);
  });
});

describe('other semantic types', () => {
  it('Bits: little-endian bytes, padded to the length on MySQL, sized by the value on PostgreSQL; BIT(1) a boolean', async () => {
    expect(await one('postgresql', col('c', { kind: 'bits' }, 'bit varying'), '101')).toEqual(Buffer.from([0x05]));
    expect(await one('postgresql', col('c', { kind: 'bits', length: 16 }, 'bit(16)'), '0000000100000000')).toEqual(Buffer.from([0x00, 0x01]));
    expect(await one('postgresql', col('c', { kind: 'bits', length: 4 }, 'bit(4)'), '0000')).toEqual(Buffer.alloc(0));
    expect(await one('mysql', col('c', { kind: 'bits', length: 10 }, 'bit(10)'), '0000000101')).toEqual(Buffer.from([0x05, 0x00]));
    expect(await one('mysql', col('c', { kind: 'bits', length: 64 }, 'bit(64)'), '1'.repeat(64))).toEqual(Buffer.alloc(8, 0xff));
    expect(await one('mysql', col('c', { kind: 'bits', length: 1 }, 'bit(1)'), '1')).toBe(true);
    expect(await one('postgresql', col('c', { kind: 'bits', length: 1 }, 'bit(1)'), '0')).toBe(false);
  });

  it('Enum is the label, EnumSet the members joined by commas, Json/Uuid/Xml the text', async () => {
    const values = await after('mysql', [
      col('e', { kind: 'enum', name: 't_e', symbols: ['small', 'large', ''] }, "enum('small','large')"),
      col('s', { kind: 'set', name: 't_s', symbols: ['a', 'b', 'c'] }, "set('a','b','c')"),
      col('j', { kind: 'json' }, 'json'),
      col('u', { kind: 'uuid' }, 'uuid'),
    ], { e: 'large', s: ['a', 'c'], j: '{"a": 1.50}', u: '123e4567-e89b-12d3-a456-426614174000' });
    expect(values).toEqual({ id: 1, e: 'large', s: 'a,c', j: '{"a": 1.50}', u: '123e4567-e89b-12d3-a456-426614174000' });
    expect(await one('postgresql', col('x', { kind: 'string', semantic: 'xml' }, 'xml'), '<a/>')).toBe('<a/>');
  });

  it('Geometry is {wkb, srid} with MySQL\'s SRID 0 as null, Point adds x and y; arrays keep null elements', async () => {
    const wkb = Buffer.from('0101000000000000000000f03f0000000000000040', 'hex'); // POINT(1 2), little-endian
    expect(await one('mysql', col('g', { kind: 'geometry' }, 'geometry'), { srid: 0, wkb })).toEqual({ wkb, srid: null });
    expect(await one('mysql', col('g', { kind: 'geometry' }, 'geometry'), { srid: 4326, wkb })).toEqual({ wkb, srid: 4326 });
    expect(await one('mysql', col('g', { kind: 'geometry' }, 'point'), { srid: 4326, wkb })).toEqual({ x: 1, y: 2, wkb, srid: 4326 });
    const bigEndian = Buffer.from('00000000014008000000000000c010000000000000', 'hex'); // POINT(3 -4), big-endian
    expect(await one('mysql', col('g', { kind: 'geometry' }, 'point'), { srid: 0, wkb: bigEndian })).toEqual({ x: 3, y: -4, wkb: bigEndian, srid: null });
    expect(await one('postgresql', col('p', { kind: 'string', semantic: 'geometric' }, 'point'), '(1.5,-2)'))
      .toEqual({ x: 1.5, y: -2, wkb: Buffer.from('0101000000000000000000f83f00000000000000c0', 'hex'), srid: null });
    expect(await one('postgresql', col('a', { kind: 'array', element: { kind: 'int', bits: 32 }, dimensions: 1 }, 'integer[]'), [1, null, 3])).toEqual([1, null, 3]);
  });
});
