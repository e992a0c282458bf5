import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { WIRE } from '../../connectors/mysql/binlog-column-types.js';
import { columnTypeOf } from '../../connectors/mysql/column-mapping.js';
import type { MysqlColumnInfo } from '../../connectors/mysql/mysql-column-info.js';
import { bindTableMap, type ZongjiColumn, type ZongjiTableMapEntry } from '../../connectors/mysql/table-map-binding.js';
import { compileValueDecoder, type DecodeOptions } from '../../connectors/mysql/value-decoders.js';
import { EXACT_ZONGJI_CONNECTION_OPTIONS } from '../../connectors/mysql/zongji-options.js';

/**
 * DATETIME2, TIMESTAMP2 and DECIMAL read from their bytes (table map bound to hand the bytes over) must decode to
 * exactly what the text path gives: zongji 0.9.0's own readMysqlValue on the unbound column (the reference: the
 * library's decoding, as the connector used it before), then the value decoder on that text. Both run on the same
 * random, well-formed row images; a value is an error on one path exactly when it is on the other.
 */

// zongji exports only its entry point; its value reader is read from the installed package's file.
const zongjiRoot = dirname(createRequire(import.meta.url).resolve('@vlasky/zongji'));
const { readMysqlValue } = (await import(pathToFileURL(join(zongjiRoot, 'lib', 'common.js')).href)) as {
  readMysqlValue(parser: unknown, column: unknown, schema: unknown, tableMap: unknown, zongji: unknown): unknown;
};
const zongji = { connection: { config: { ...EXACT_ZONGJI_CONNECTION_OPTIONS } }, emit: (_: string, err: unknown) => { throw err; } };

const column = (dataType: string, columnType: string, extra: Partial<MysqlColumnInfo>): MysqlColumnInfo => ({
  name: 'c', ordinal: 1, dataType, columnType, unsigned: false, zerofill: false, nullable: true, json: false, ...extra,
});

/** zongji reading one value of `zcolumn` from `bytes` (the whole image must be consumed). */
function zongjiRead(bytes: Buffer, zcolumn: ZongjiColumn, schema: ZongjiTableMapEntry['columnSchemas'][number]): unknown {
  const parser = { _buffer: bytes, _offset: 0 };
  const value = readMysqlValue(parser, zcolumn, schema, { tableName: 't', parentSchema: 'db' }, zongji);
  expect(parser._offset).toBe(bytes.length);
  return value;
}

type Outcome = { value: unknown } | { error: true };
const outcome = (decode: () => unknown): Outcome => {
  try {
    return { value: decode() };
  } catch {
    return { error: true };
  }
};

/** Decodes `bytes` both ways; returns [text path, bytes path]. */
function bothWays(info: MysqlColumnInfo, wireType: number, metadata: Record<string, unknown>, bytes: Buffer, options: DecodeOptions = {}): [Outcome, Outcome] {
  const schema = { COLUMN_TYPE: info.columnType, CHARACTER_SET_NAME: null };
  const decoder = compileValueDecoder(info, columnTypeOf({ database: 'db', table: 't' }, info), wireType, 'db.t.c', options);
  const text = outcome(() => decoder(zongjiRead(bytes, { name: 'c', charset: null, type: wireType, metadata }, schema)));
  const entry: ZongjiTableMapEntry = { columnSchemas: [{ ...schema }], columns: [{ name: 'c', charset: null, type: wireType, metadata }] };
  const binlogTypes = bindTableMap(entry, { database: 'db', table: 't', primaryKey: [], columns: [info] });
  expect(binlogTypes).toEqual([wireType]);
  expect(entry.columns![0]!.type).toBe(WIRE.BIT); // the binding hands the bytes over
  const raw = zongjiRead(bytes, entry.columns![0]!, entry.columnSchemas[0]!);
  expect(raw).toBeInstanceOf(Uint8Array);
  return [text, outcome(() => decoder(raw))];
}

const be = (value: number, size: number): number[] => Array.from({ length: size }, (_, i) => Math.floor(value / 256 ** (size - 1 - i)) % 256);

/** A DECIMAL image from its digit groups (MySQL's format: big-endian groups, sign bit set, all bits flipped when negative). */
function decimalImage(negative: boolean, groups: Array<{ value: number; size: number }>): Buffer {
  const bytes = groups.flatMap((g) => be(g.value, g.size));
  bytes[0]! ^= 0x80;
  return Buffer.from(negative ? bytes.map((b) => b ^ 0xff) : bytes);
}

const GROUP_BYTES = [0, 1, 1, 2, 2, 3, 3, 4, 4];
const groupsOf = (digits: number, leadingPartial: boolean): number[] => {
  const sizes = Array<number>(Math.floor(digits / 9)).fill(9);
  if (digits % 9) return leadingPartial ? [digits % 9, ...sizes] : [...sizes, digits % 9];
  return sizes;
};

const decimalCase = fc.integer({ min: 1, max: 65 }).chain((precision) => fc.integer({ min: 0, max: Math.min(30, precision) }).chain((scale) => {
  const digitGroups = [...groupsOf(precision - scale, true), ...groupsOf(scale, false)];
  return fc.record({
    precision: fc.constant(precision),
    scale: fc.constant(scale),
    negative: fc.boolean(),
    // Zeros are frequent in real values (leading-zero stripping, negative zero).
    groups: fc.tuple(...digitGroups.map((digits) => fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 10 ** digits - 1 }), fc.constant(10 ** digits - 1))
      .map((value) => ({ value, size: digits === 9 ? 4 : GROUP_BYTES[digits]! })))),
  });
}));

/** A fraction as stored for `fsp` digits: odd fsp store one more (zero) digit. */
const fraction = (fsp: number) => (fsp === 0 ? fc.constant(0) : fc.integer({ min: 0, max: 10 ** fsp - 1 }).map((v) => (fsp % 2 === 1 ? v * 10 : v)));
const FRACTION_BYTES = [0, 1, 1, 2, 2, 3, 3];

function datetime2Image(p: { year: number; month: number; day: number; hour: number; minute: number; second: number; fsp: number; fraction: number }): Buffer {
  const packed = 2 ** 39 + (p.year * 13 + p.month) * 2 ** 22 + p.day * 2 ** 17 + p.hour * 2 ** 12 + p.minute * 2 ** 6 + p.second;
  return Buffer.from([...be(packed, 5), ...be(p.fraction, FRACTION_BYTES[p.fsp]!)]);
}

const datetimeCase = fc.integer({ min: 0, max: 6 }).chain((fsp) => fc.record({
  fsp: fc.constant(fsp),
  year: fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 9999 }), fc.constantFrom(1000, 1970, 2000, 2100, 9999)),
  month: fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 12 }), fc.constant(2)),
  day: fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 31 }), fc.constantFrom(28, 29, 30, 31)),
  hour: fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 31 })),
  minute: fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 63 })),
  second: fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 63 })),
  fraction: fc.oneof(fc.constant(0), fraction(fsp)),
}));

const timestampCase = fc.integer({ min: 0, max: 6 }).chain((fsp) => fc.record({
  fsp: fc.constant(fsp),
  seconds: fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 2 ** 32 - 1 }), fc.constantFrom(1, 2 ** 31 - 1, 2 ** 31, 2 ** 32 - 1)),
  fraction: fc.oneof(fc.constant(0), fraction(fsp)),
}));

describe('binlog values read from their bytes', () => {
  it('decode every DECIMAL exactly as zongji\'s text does', () => {
    fc.assert(fc.property(decimalCase, ({ precision, scale, negative, groups }) => {
      const info = column('decimal', `decimal(${precision},${scale})`, { numericPrecision: precision, numericScale: scale });
      const [text, bytes] = bothWays(info, WIRE.NEWDECIMAL, { precision, decimals: scale }, decimalImage(negative, groups));
      expect(bytes).toEqual(text);
    }), { numRuns: 3000 });
  });

  it('decode the DECIMAL extremes', () => {
    const info = column('decimal', 'decimal(65,30)', { numericPrecision: 65, numericScale: 30 });
    const nines = [{ value: 99_999_999, size: 4 }, ...Array(3).fill({ value: 999_999_999, size: 4 }), ...Array(3).fill({ value: 999_999_999, size: 4 }), { value: 999, size: 2 }];
    const [text, bytes] = bothWays(info, WIRE.NEWDECIMAL, { precision: 65, decimals: 30 }, decimalImage(true, nines));
    expect(bytes).toEqual({ value: `-${'9'.repeat(35)}.${'9'.repeat(30)}` });
    expect(text).toEqual(bytes);
  });

  it('decode every DATETIME2 exactly as zongji\'s text does, zero dates and invalid dates included', () => {
    for (const zeroDates of ['error', 'negative-infinity'] as const) {
      fc.assert(fc.property(datetimeCase, (p) => {
        const info = column('datetime', p.fsp ? `datetime(${p.fsp})` : 'datetime', { datetimePrecision: p.fsp });
        const [text, bytes] = bothWays(info, WIRE.DATETIME2, { decimals: p.fsp }, datetime2Image(p), { zeroDates });
        expect(bytes).toEqual(text);
      }), { numRuns: 3000 });
    }
  });

  it('decode the DATETIME2 edges', () => {
    const info = column('datetime', 'datetime(6)', { datetimePrecision: 6 });
    const at = (p: Partial<Parameters<typeof datetime2Image>[0]>) => bothWays(info, WIRE.DATETIME2, { decimals: 6 },
      datetime2Image({ year: 0, month: 0, day: 0, hour: 0, minute: 0, second: 0, fsp: 6, fraction: 0, ...p }), { zeroDates: 'negative-infinity' });
    expect(at({})).toEqual([{ value: Number.NEGATIVE_INFINITY }, { value: Number.NEGATIVE_INFINITY }]);
    expect(at({ year: 9999, month: 12, day: 31, hour: 23, minute: 59, second: 59, fraction: 999_999 })[1]).toEqual({ value: 253_402_300_799_999_999n });
    expect(at({ year: 1970, month: 1, day: 1 })[1]).toEqual({ value: 0n });
    expect(at({ year: 2024, month: 2, day: 29, fraction: 1 })[1]).toEqual({ value: 1_709_164_800_000_001n });
    expect(at({ year: 2023, month: 2, day: 29 })).toEqual([{ error: true }, { error: true }]);
    expect(at({ year: 2020, month: 0, day: 15 })).toEqual([{ error: true }, { error: true }]);
    expect(at({ fraction: 5 })).toEqual([{ error: true }, { error: true }]); // zero date, non-zero time
  });

  it('decode every TIMESTAMP2 exactly as zongji\'s text does, seconds beyond 2^31 included', () => {
    fc.assert(fc.property(timestampCase, (p) => {
      const info = column('timestamp', p.fsp ? `timestamp(${p.fsp})` : 'timestamp', { datetimePrecision: p.fsp });
      const image = Buffer.from([...be(p.seconds, 4), ...be(p.fraction, FRACTION_BYTES[p.fsp]!)]);
      const [text, bytes] = bothWays(info, WIRE.TIMESTAMP2, { decimals: p.fsp }, image, { zeroDates: 'negative-infinity' });
      expect(bytes).toEqual(text);
    }), { numRuns: 3000 });
  });

  it('leaves a column to zongji when the binlog\'s precision is not the introspected one', () => {
    const info = column('decimal', 'decimal(12,2)', { numericPrecision: 12, numericScale: 2 });
    const entry: ZongjiTableMapEntry = {
      columnSchemas: [{ COLUMN_TYPE: 'decimal(12,4)', CHARACTER_SET_NAME: null }],
      columns: [{ name: 'c', charset: null, type: WIRE.NEWDECIMAL, metadata: { precision: 12, decimals: 4 } }],
    };
    bindTableMap(entry, { database: 'db', table: 't', primaryKey: [], columns: [info] });
    expect(entry.columns![0]).toMatchObject({ type: WIRE.NEWDECIMAL, metadata: { precision: 12, decimals: 4 } });
  });

  it('binds an entry again from its original types (zongji keeps a bound entry while the table keeps its shape)', () => {
    const info = column('datetime', 'datetime(3)', { datetimePrecision: 3 });
    const table = { database: 'db', table: 't', primaryKey: [], columns: [info] };
    const entry: ZongjiTableMapEntry = {
      columnSchemas: [{ COLUMN_TYPE: 'datetime(3)', CHARACTER_SET_NAME: null }],
      columns: [{ name: 'c', charset: null, type: WIRE.DATETIME2, metadata: { decimals: 3 } }],
    };
    expect(bindTableMap(entry, table)).toEqual([WIRE.DATETIME2]);
    expect(bindTableMap(entry, table)).toEqual([WIRE.DATETIME2]);
    expect(entry.columns![0]).toMatchObject({ type: WIRE.BIT, metadata: { bits: 56 } });
    // Introspected again with another precision: the column goes back to zongji's own reading.
    bindTableMap(entry, { ...table, columns: [{ ...info, datetimePrecision: 6 }] });
    expect(entry.columns![0]).toMatchObject({ type: WIRE.DATETIME2, metadata: { decimals: 3 } });
  });
});
