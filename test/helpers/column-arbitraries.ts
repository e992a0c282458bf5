import fc from 'fast-check';
import type { ColumnType } from '../../src/model/column-type.js';

// Arbitraries of canonical values for every column type, with the edge values each type must carry.
export const I64_MIN = -(1n << 63n);
export const I64_MAX = (1n << 63n) - 1n;
const digits = (min: number, max: number) => fc.array(fc.constantFrom(...'0123456789'), { minLength: min, maxLength: max }).map((d) => d.join(''));
/** Decimal text as PostgreSQL and MySQL print it: no leading zeros, no "-0". Built here, independent of the codec. */
export const decimalTextArb = (intDigits: number, scale: number | 'any') =>
  fc.tuple(fc.boolean(), fc.integer({ min: 0, max: intDigits }), scale === 'any' ? fc.integer({ min: 0, max: 40 }) : fc.constant(scale))
    .chain(([neg, n, s]) => fc.tuple(fc.constant(neg), n === 0 ? fc.constant('0') : fc.tuple(fc.constantFrom(...'123456789'), digits(n - 1, n - 1)).map(([a, b]) => a + b), digits(s, s)))
    .map(([neg, int, frac]) => {
      const text = frac ? `${int}.${frac}` : int;
      return neg && /[1-9]/.test(text) ? `-${text}` : text;
    });

export const labels = ['happy', 'in progress', "it's", 'a b', 'a_b', '1st', 'ünïcode', ''];
export const columnCases: Array<{ type: ColumnType; values: fc.Arbitrary<unknown> }> = [
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

