import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import type { ColumnType } from '../../src/model/column-type.js';
import type { Column, TableSchema } from '../../src/model/table-schema.js';
import { tableAvroSchemas } from '../../src/avro/table-avro-schema.js';
import { compileRowCodec } from '../../src/avro/row-codec.js';
import { EncodingError } from '../../src/errors.js';

const I64_MIN = -(1n << 63n);
const I64_MAX = (1n << 63n) - 1n;
const digits = (min: number, max: number) => fc.array(fc.constantFrom(...'0123456789'), { minLength: min, maxLength: max }).map((d) => d.join(''));
/** Decimal text as PostgreSQL and MySQL print it: no leading zeros, no "-0". Built here, independent of the codec. */
const decimalTextArb = (intDigits: number, scale: number | 'any') =>
  fc.tuple(fc.boolean(), fc.integer({ min: 0, max: intDigits }), scale === 'any' ? fc.integer({ min: 0, max: 40 }) : fc.constant(scale))
    .chain(([neg, n, s]) => fc.tuple(fc.constant(neg), n === 0 ? fc.constant('0') : fc.tuple(fc.constantFrom(...'123456789'), digits(n - 1, n - 1)).map(([a, b]) => a + b), digits(s, s)))
    .map(([neg, int, frac]) => {
      const text = frac ? `${int}.${frac}` : int;
      return neg && /[1-9]/.test(text) ? `-${text}` : text;
    });

const labels = ['happy', 'in progress', "it's", 'a b', 'a_b', '1st', 'ünïcode', ''];
const cases: Array<{ type: ColumnType; values: fc.Arbitrary<unknown> }> = [
  { type: { kind: 'boolean' }, values: fc.boolean() },
  { type: { kind: 'int', bits: 8 }, values: fc.integer({ min: -128, max: 127 }) },
  { type: { kind: 'int', bits: 16, unsigned: true }, values: fc.integer({ min: 0, max: 65535 }) },
  { type: { kind: 'int', bits: 24 }, values: fc.integer({ min: -8388608, max: 8388607 }) },
  { type: { kind: 'int', bits: 32 }, values: fc.integer({ min: -2147483648, max: 2147483647 }) },
  { type: { kind: 'int', bits: 32, unsigned: true }, values: fc.integer({ min: 0, max: 4294967295 }) },
  { type: { kind: 'long' }, values: fc.oneof(fc.bigInt({ min: I64_MIN, max: I64_MAX }), fc.constantFrom(I64_MIN, I64_MAX, 0n, -1n, 2n ** 53n + 1n)) },
  { type: { kind: 'long', unsigned32: true }, values: fc.bigInt({ min: 0n, max: 4294967295n }) },
  { type: { kind: 'float' }, values: fc.float() },
  { type: { kind: 'double' }, values: fc.double() },
  { type: { kind: 'decimal', precision: 12, scale: 2 }, values: decimalTextArb(10, 2) },
  { type: { kind: 'decimal', precision: 65, scale: 30 }, values: decimalTextArb(35, 30) },
  { type: { kind: 'decimal', precision: 20, scale: 0 }, values: fc.oneof(decimalTextArb(20, 0).filter((t) => !t.startsWith('-')), fc.constant('18446744073709551615')) },
  { type: { kind: 'decimal', precision: 10, scale: 3, specials: true }, values: fc.oneof(decimalTextArb(7, 3), fc.constantFrom('NaN', 'Infinity', '-Infinity')) },
  { type: { kind: 'variable-decimal', specials: true }, values: fc.oneof(decimalTextArb(60, 'any'), fc.constantFrom('NaN', 'Infinity', '-Infinity', '1.500', '0.000001')) },
  { type: { kind: 'string' }, values: fc.string({ unit: 'binary' }) },
  { type: { kind: 'string', semantic: 'inet' }, values: fc.ipV6() },
  { type: { kind: 'bytes' }, values: fc.uint8Array({ maxLength: 64 }).map((b) => Buffer.from(b)) },
  { type: { kind: 'bits' }, values: fc.array(fc.constantFrom('0', '1'), { maxLength: 80 }).map((b) => b.join('')) },
  { type: { kind: 'bits', length: 5 }, values: fc.array(fc.constantFrom('0', '1'), { minLength: 5, maxLength: 5 }).map((b) => b.join('')) },
  { type: { kind: 'date' }, values: fc.oneof(fc.integer({ min: -2147483647, max: 2147483646 }), fc.constantFrom(Infinity, -Infinity, 0, -719528)) },
  { type: { kind: 'time-micros' }, values: fc.bigInt({ min: 0n, max: 86_400_000_000n }) },
  { type: { kind: 'time-tz' }, values: fc.record({ micros: fc.bigInt({ min: 0n, max: 86_400_000_000n }), offsetSeconds: fc.integer({ min: -57599, max: 57599 }) }) },
  { type: { kind: 'duration-micros' }, values: fc.bigInt({ min: -3020399000000n, max: 3020399000000n }) },
  { type: { kind: 'interval' }, values: fc.record({ months: fc.integer({ min: -2147483648, max: 2147483647 }), days: fc.integer({ min: -2147483648, max: 2147483647 }), micros: fc.bigInt({ min: I64_MIN, max: I64_MAX }) }) },
  { type: { kind: 'timestamp-micros', zoned: true }, values: fc.oneof(fc.bigInt({ min: I64_MIN + 1n, max: I64_MAX - 1n }), fc.constantFrom(Infinity, -Infinity, -62135596800000000n, 253402300799999999n)) },
  { type: { kind: 'timestamp-micros', zoned: false }, values: fc.bigInt({ min: -210866803200000000n, max: 9224318015999999999n - 1n - (1n << 62n) }) },
  { type: { kind: 'json' }, values: fc.json() },
  { type: { kind: 'uuid' }, values: fc.uuid() },
  { type: { kind: 'enum', name: 'mood', symbols: labels }, values: fc.constantFrom(...labels) },
  { type: { kind: 'set', name: 'flags', symbols: labels }, values: fc.subarray(labels) },
  { type: { kind: 'array', element: { kind: 'int', bits: 32 }, dimensions: 1 }, values: fc.array(fc.option(fc.integer(), { nil: null })) },
  {
    type: { kind: 'array', element: { kind: 'string' }, dimensions: 2 },
    values: fc.integer({ min: 0, max: 4 }).chain((w) => fc.array(fc.array(fc.option(fc.string(), { nil: null }), { minLength: w, maxLength: w }), { maxLength: 4 })),
  },
  { type: { kind: 'array', element: { kind: 'decimal', precision: 5, scale: 2, specials: true }, dimensions: 1 }, values: fc.array(fc.option(fc.oneof(decimalTextArb(3, 2), fc.constant('NaN')), { nil: null })) },
  { type: { kind: 'year' }, values: fc.integer({ min: 0, max: 2155 }) },
  { type: { kind: 'geometry' }, values: fc.record({ srid: fc.option(fc.integer({ min: 0, max: 999999 }), { nil: null }), wkb: fc.uint8Array({ minLength: 1, maxLength: 40 }).map((b) => Buffer.from(b)) }) },
];

function tableOf(columns: Column[], key: string[] = ['id']): TableSchema {
  return { id: { namespace: 'public', name: 'things' }, columns: [{ name: 'id', type: { kind: 'long' }, nullable: false, sourceType: 'bigint' }, ...columns], key };
}

describe('row codec: every column type round-trips exactly through Avro', () => {
  for (const { type, values } of cases) {
    const label = JSON.stringify(type);
    it(`${label}, NOT NULL and nullable`, () => {
      const table = tableOf([
        { name: 'v', type, nullable: false, sourceType: 'x' },
        { name: 'maybe v', type, nullable: true, sourceType: 'x' },
      ]);
      const codec = compileRowCodec(table, tableAvroSchemas(table, 'shop.public.things').value);
      fc.assert(
        fc.property(values, fc.option(values, { nil: null }), fc.bigInt({ min: I64_MIN, max: I64_MAX }), (v, maybe, id) => {
          const row = { id, v, 'maybe v': maybe };
          expect(codec.decode(codec.encode(row))).toEqual(row);
        }),
        { numRuns: 200 },
      );
    });
  }
});

describe('row codec: names', () => {
  it('sanitizes column names into distinct Avro names and keeps the originals', () => {
    const table = tableOf([
      { name: 'order id', type: { kind: 'string' }, nullable: false, sourceType: 'text' },
      { name: 'order_id', type: { kind: 'string' }, nullable: false, sourceType: 'text' },
      { name: '1st', type: { kind: 'string' }, nullable: true, sourceType: 'text' },
    ]);
    const schemas = tableAvroSchemas(table, 'shop-eu.public.things');
    const value = schemas.value.schema as { name: string; namespace: string; fields: Array<Record<string, unknown>> };
    expect(value.namespace).toBe('shop_eu.public.things');
    expect(value.name).toBe('Value');
    expect(value.fields.map((f) => [f.name, f['logtap.column']])).toEqual([
      ['id', 'id'], ['order_id', 'order id'], ['order_id_2', 'order_id'], ['_1st', '1st'],
    ]);
    const codec = compileRowCodec(table, schemas.value);
    const row = { id: 1n, 'order id': 'a', order_id: 'b', '1st': null };
    expect(codec.decode(codec.encode(row))).toEqual(row);
  });

  it('builds the key record from the key columns only, in key order', () => {
    const table: TableSchema = {
      id: { namespace: 'shop', name: 'lines' },
      columns: [
        { name: 'qty', type: { kind: 'int', bits: 32 }, nullable: true, sourceType: 'int' },
        { name: 'line', type: { kind: 'int', bits: 16 }, nullable: false, sourceType: 'smallint' },
        { name: 'order', type: { kind: 'long' }, nullable: false, sourceType: 'bigint' },
      ],
      key: ['order', 'line'],
    };
    const schemas = tableAvroSchemas(table, 'shop.shop.lines');
    const key = schemas.key!.schema as { name: string; fields: Array<{ name: string; type: unknown }> };
    expect(key.name).toBe('Key');
    expect(key.fields.map((f) => [f.name, f.type])).toEqual([['order', 'long'], ['line', 'int']]);
    const codec = compileRowCodec(table, schemas.key!);
    expect(codec.decode(codec.encode({ order: 5n, line: 2 }))).toEqual({ order: 5n, line: 2 });
  });

  it('gives a keyless table no key record', () => {
    const table = tableOf([], []);
    expect(tableAvroSchemas(table, 't').key).toBeNull();
  });
});

describe('row codec: values that do not fit are refused, naming table, column and position', () => {
  const refuse = (type: ColumnType, value: unknown, reason: RegExp) => {
    const table = tableOf([{ name: 'v', type, nullable: false, sourceType: 'x' }]);
    const codec = compileRowCodec(table, tableAvroSchemas(table, 't').value);
    let error: unknown;
    try {
      codec.encode({ id: 1n, v: value }, '0/16B3748');
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(EncodingError);
    expect((error as EncodingError).code).toBe('ENCODING');
    expect((error as Error).message).toMatch(/^cannot encode public\.things\.v at 0\/16B3748: /);
    expect((error as Error).message).toMatch(reason);
  };

  it('a decimal with more fractional digits than its scale (never rounded)', () => refuse({ kind: 'decimal', precision: 10, scale: 2 }, '1.005', /at most 2 fractional digits/));
  it('a decimal with more digits than its precision', () => refuse({ kind: 'decimal', precision: 4, scale: 2 }, '123.45', /more than 4 digits/));
  it('NaN in a decimal that does not allow specials', () => refuse({ kind: 'decimal', precision: 4, scale: 2 }, 'NaN', /not a decimal/));
  it('a number where decimal text is expected', () => refuse({ kind: 'decimal', precision: 4, scale: 2 }, 1.5, /expected decimal text/));
  it('an unsafe JS number for a long', () => refuse({ kind: 'long' }, 2 ** 60, /BigInt/));
  it('an integer out of its width', () => refuse({ kind: 'int', bits: 16 }, 40000, /-32768…32767/));
  it('an unknown enum label', () => refuse({ kind: 'enum', name: 'e', symbols: ['a'] }, 'b', /not one of/));
  it('a time of day past 24:00', () => refuse({ kind: 'time-micros' }, 86_400_000_001n, /not a time of day/));
  it('a timestamp on the reserved infinity value', () => refuse({ kind: 'timestamp-micros', zoned: true }, I64_MAX, /representable range/));
  it('a one-dimensional value in a two-dimensional array', () => refuse({ kind: 'array', element: { kind: 'int', bits: 32 }, dimensions: 2 }, [1, 2], /array 2 deep/));
  it('null in a NOT NULL column', () => refuse({ kind: 'string' }, null, /null in a NOT NULL column/));
  it('a missing column', () => refuse({ kind: 'string' }, undefined, /missing/));
  it('bits of the wrong length', () => refuse({ kind: 'bits', length: 3 }, '0101', /expected 3 bits/));
  it('an upper-case uuid', () => refuse({ kind: 'uuid' }, 'A0EEBC99-9C0B-4EF8-BB6D-6BB9BD380A11', /lower-case UUID/));
});
