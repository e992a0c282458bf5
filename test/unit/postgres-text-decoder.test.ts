import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import type { ColumnType } from '../../src/model/column-type.js';
import { compileParser, compileRowDecoder, compileTextDecoder } from '../../connectors/postgres/text-decoder.js';
import { PgValueDecodeError } from '../../connectors/postgres/decode-error.js';
import type { PgMappedColumn } from '../../connectors/postgres/column-mapping.js';

/*
 * Fixtures: every `text` below was CAPTURED from the test bed's PostgreSQL 15.20 (psql, 2026-11-22) under
 * PGOPTIONS='-c DateStyle=ISO -c TimeZone=UTC -c IntervalStyle=iso_8601 -c extra_float_digits=3
 * -c bytea_output=hex -c lc_monetary=C' (plus TimeZone=Europe/Amsterdam, America/St_Johns and Asia/Kathmandu
 * where noted, to get other offsets), and every expected value beside it was computed BY POSTGRESQL from the
 * same stored value, with the SQL named in each block — never by the decoder under test.
 */

const decode = (type: ColumnType, text: string, context: { arrayDelimiter?: string; money?: boolean } = {}): unknown =>
  compileTextDecoder(type, { column: 'c', ...context })(text);

const TIMESTAMP: ColumnType = { kind: 'timestamp-micros', zoned: false };
const TIMESTAMPTZ: ColumnType = { kind: 'timestamp-micros', zoned: true };

describe('timestamps → microseconds since the epoch', () => {
  // expected: ((v::date - date '1970-01-01')::numeric * 86400000000 + extract(epoch from v::time) * 1000000)
  // (extract(epoch from v) itself goes through float8 near the top of the range: 9224318016000000000 for the maximum)
  it.each([
    ['4714-11-24 00:00:00 BC', -210866803200000000n],
    ['294276-12-31 23:59:59.999999', 9224318015999999999n],
    ['0001-01-01 00:00:00 BC', -62167219200000000n],
    ['0001-12-31 23:59:59.999999 BC', -62135596800000001n],
    ['0001-01-01 00:00:00', -62135596800000000n],
    ['10000-01-01 00:00:00.5', 253402300800500000n],
    ['1969-12-31 23:59:59.999999', -1n],
    ['1970-01-01 00:00:00', 0n],
    ['2000-02-29 12:34:56.789012', 951827696789012n],
    ['0044-03-15 12:00:00 BC', -63517780800000000n],
    ['1582-10-10 00:00:00', -12219724800000000n],
    ['1900-02-28 23:00:00', -2203894800000000n],
  ])('timestamp %s', (text, micros) => {
    expect(decode(TIMESTAMP, text)).toBe(micros);
  });

  it.each([
    ['4714-11-24 00:00:00+00 BC', -210866803200000000n],
    ['294276-12-31 23:59:59.999999+00', 9224318015999999999n],
    ['2020-06-01 06:15:00.000001+00', 1590992100000001n], // inserted as '2020-06-01 12:00:00.000001+05:45'
    ['0044-03-15 12:00:00+00 BC', -63517780800000000n],
    // TimeZone=Europe/Amsterdam (local mean time +00:19:32 before 1909, +01:20 in 1937)
    ['1900-01-01 00:19:32+00:19:32', -2208988800000000n],
    ['0044-03-15 12:19:32+00:19:32 BC', -63517780800000000n],
    ['1937-07-01 01:20:00+01:20', -1025740800000000n],
    // TimeZone=America/St_Johns
    ['2020-06-01 09:30:00.25-02:30', 1591012800250000n],
    ['1899-12-31 20:29:08-03:30:52', -2208988800000000n],
    // TimeZone=Asia/Kathmandu
    ['2020-06-01 12:00:00.000001+05:45', 1590992100000001n],
    ['1900-01-01 05:41:16+05:41:16', -2208988800000000n],
  ])('timestamptz %s', (text, micros) => {
    expect(decode(TIMESTAMPTZ, text)).toBe(micros);
  });

  it('infinity and -infinity are ±Infinity', () => {
    expect(decode(TIMESTAMP, 'infinity')).toBe(Infinity);
    expect(decode(TIMESTAMP, '-infinity')).toBe(-Infinity);
    expect(decode(TIMESTAMPTZ, 'infinity')).toBe(Infinity);
    expect(decode(TIMESTAMPTZ, '-infinity')).toBe(-Infinity);
  });

  it('refuses other DateStyles and malformed text, naming the column', () => {
    for (const text of ['06/01/2020 12:00:00', 'Mon Jun 01 12:00:00 2020', '2020-06-01T12:00:00', '2020-06-01 12:00', '2020-13-01 00:00:00', '2020-06-01 12:00:00.1234567', '']) {
      expect(() => decode(TIMESTAMP, text), text).toThrow(PgValueDecodeError);
    }
    expect(() => decode(TIMESTAMPTZ, '2020-06-01 12:00:00')).toThrow(/column "c".*UTC offset/);
    expect(() => decode(TIMESTAMP, '2020-06-01 12:00:00+00')).toThrow(/unexpected text/);
  });
});

describe('dates → days since 1970-01-01', () => {
  // expected: v - date '1970-01-01'
  it.each([
    ['4713-01-01 BC', -2440550],
    ['5874897-12-31', 2145042905],
    ['0001-01-01 BC', -719528],
    ['0001-01-01', -719162],
    ['1969-12-31', -1],
    ['1970-01-01', 0],
    ['2000-03-01', 11017],
    ['0044-03-15 BC', -735160],
    ['10000-01-01', 2932897],
  ])('%s', (text, days) => {
    expect(decode({ kind: 'date' }, text)).toBe(days);
  });

  it('infinity and -infinity are ±Infinity', () => {
    expect(decode({ kind: 'date' }, 'infinity')).toBe(Infinity);
    expect(decode({ kind: 'date' }, '-infinity')).toBe(-Infinity);
  });
});

describe('time and timetz', () => {
  // expected: extract(epoch from v) * 1000000
  it.each([
    ['24:00:00', 86400000000n],
    ['00:00:00', 0n],
    ['23:59:59.999999', 86399999999n],
    ['12:34:56.7', 45296700000n],
    ['00:00:00.000001', 1n],
  ])('time %s', (text, micros) => {
    expect(decode({ kind: 'time-micros' }, text)).toBe(micros);
  });

  // expected: extract(epoch from v::time) * 1000000, extract(timezone from v) (seconds east of UTC)
  it.each([
    ['24:00:00-15:59', 86400000000n, -57540],
    ['00:00:00+15:59', 0n, 57540],
    ['12:34:56.789+05:45', 45296789000n, 20700],
    ['12:00:00+05:30:15', 43200000000n, 19815],
    ['01:02:03-00:00:30', 3723000000n, -30],
    ['10:00:00+00', 36000000000n, 0],
  ])('timetz %s', (text, micros, offsetSeconds) => {
    expect(decode({ kind: 'time-tz' }, text)).toEqual({ micros, offsetSeconds });
  });

  it('refuses times past 24:00:00', () => {
    expect(() => decode({ kind: 'time-micros' }, '24:00:00.000001')).toThrow(/past 24:00:00/);
    expect(() => decode({ kind: 'time-micros' }, '25:00:00')).toThrow(/out of range/);
  });
});

describe('interval (IntervalStyle=iso_8601) → { months, days, micros }', () => {
  // expected: extract(year)*12 + extract(month), extract(day),
  //           (extract(hour)*3600 + extract(minute)*60)*1000000 + extract(microseconds)
  it.each([
    ['P1Y2M3DT4H5M6.789S', 14, 3, 14706789000n],
    ['P-1Y-2M3DT-4H-5M-6.789S', -14, 3, -14706789000n],
    ['PT0S', 0, 0, 0n],
    ['PT-0.5S', 0, 0, -500000n],
    ['P-178956970Y-8M-2147483648DT-2562047788H-54.775808S', -2147483648, -2147483648, -9223372036854775808n],
    ['P178956970Y7M2147483647DT2562047788H54.775807S', 2147483647, 2147483647, 9223372036854775807n],
    ['P1M-1D', 1, -1, 0n],
    ['P-1DT1H', 0, -1, 3600000000n],
    ['P-11M', -11, 0, 0n],
    ['P1Y', 12, 0, 0n],
    ['PT100H0.000001S', 0, 0, 360000000001n],
    ['PT-1.000001S', 0, 0, -1000001n],
    ['PT59M', 0, 0, 3540000000n],
  ])('%s', (text, months, days, micros) => {
    expect(decode({ kind: 'interval' }, text)).toEqual({ months, days, micros });
  });

  it('refuses the postgres IntervalStyle with a hint', () => {
    // captured with IntervalStyle=postgres
    expect(() => decode({ kind: 'interval' }, '-1 years -2 mons +3 days -04:05:06.789')).toThrow(/IntervalStyle must be iso_8601/);
  });
});

describe('numbers', () => {
  it('int2 / int4 / int8 at their limits', () => {
    expect(decode({ kind: 'int', bits: 16 }, '-32768')).toBe(-32768);
    expect(decode({ kind: 'int', bits: 16 }, '32767')).toBe(32767);
    expect(decode({ kind: 'int', bits: 32 }, '-2147483648')).toBe(-2147483648);
    expect(decode({ kind: 'int', bits: 32 }, '2147483647')).toBe(2147483647);
    expect(decode({ kind: 'long' }, '9223372036854775807')).toBe(9223372036854775807n);
    expect(decode({ kind: 'long' }, '-9223372036854775808')).toBe(-9223372036854775808n);
    expect(decode({ kind: 'long' }, '0')).toBe(0n);
    expect(() => decode({ kind: 'int', bits: 16 }, '32768')).toThrow(/int2 range/);
    expect(() => decode({ kind: 'long' }, '9223372036854775808')).toThrow(/int8 range/);
    expect(() => decode({ kind: 'long' }, '')).toThrow(PgValueDecodeError);
    expect(() => decode({ kind: 'long' }, '0x10')).toThrow(PgValueDecodeError);
  });

  const bitsOf64 = (x: number): string => {
    const view = new DataView(new ArrayBuffer(8));
    view.setFloat64(0, x);
    return view.getBigUint64(0).toString(16).padStart(16, '0');
  };
  const bitsOf32 = (x: number): string => {
    const view = new DataView(new ArrayBuffer(4));
    view.setFloat32(0, x);
    return view.getUint32(0).toString(16).padStart(8, '0');
  };

  // expected: encode(float8send(v), 'hex') — the IEEE 754 bits PostgreSQL stores
  it.each([
    ['0.1', '3fb999999999999a'],
    ['1e+308', '7fe1ccf385ebc8a0'],
    ['5e-324', '0000000000000001'],
    ['-0', '8000000000000000'],
    ['NaN', '7ff8000000000000'],
    ['Infinity', '7ff0000000000000'],
    ['-Infinity', 'fff0000000000000'],
    ['3.141592653589793', '400921fb54442d18'],
    ['1.7976931348623157e+308', '7fefffffffffffff'],
    ['2.2250738585072014e-308', '0010000000000000'],
    ['1.2345678901234568e+20', '441ac53a7e04bcda'],
    ['1e+21', '444b1ae4d6e2ef50'],
    ['1e-07', '3e7ad7f29abcaf48'],
    ['9.007199254740992e+15', '4340000000000000'],
  ])('float8 %s', (text, bits) => {
    expect(bitsOf64(decode({ kind: 'double' }, text) as number)).toBe(bits);
  });

  // expected: encode(float4send(v), 'hex'); the decoded number is the float32 value exactly
  it.each([
    ['0.1', '3dcccccd'],
    ['3.4028235e+38', '7f7fffff'],
    ['1e-45', '00000001'],
    ['-0', '80000000'],
    ['NaN', '7fc00000'],
    ['Infinity', '7f800000'],
    ['-Infinity', 'ff800000'],
    ['1.6777216e+07', '4b800000'],
    ['1.1754944e-38', '00800000'],
    ['3.1415927', '40490fdb'],
    ['1e+10', '501502f9'],
    ['0.3', '3e99999a'],
  ])('float4 %s', (text, bits) => {
    const value = decode({ kind: 'float' }, text) as number;
    expect(bitsOf32(value)).toBe(bits);
    expect(Math.fround(value)).toBe(value);
  });

  it('float4: a decimal just off a float32 midpoint is rounded once, not twice', () => {
    // 1 + 2^-24 is halfway between the float32 values 1 and 1 + 2^-23; Number() rounds these texts onto it.
    expect(decode({ kind: 'float' }, '1.00000005960464477539062500000000001')).toBe(1 + 2 ** -23);
    expect(decode({ kind: 'float' }, '1.00000005960464477539062499999999999')).toBe(1);
    expect(decode({ kind: 'float' }, '1.000000059604644775390625')).toBe(1); // exactly halfway: to even
    expect(decode({ kind: 'float' }, '-1.00000005960464477539062500000000001')).toBe(-(1 + 2 ** -23));
  });

  // captured: v::text of numeric values (the text IS the canonical value)
  it.each(['NaN', 'Infinity', '-Infinity', '123.4500', '-0.00000000000000000001', '12345678901234567890123456789012345678901234567890.123', '12300'])(
    'numeric %s stays its exact text',
    (text) => {
      expect(decode({ kind: 'variable-decimal', specials: true }, text)).toBe(text);
    },
  );

  it('numeric without specials refuses NaN; malformed text is refused', () => {
    expect(() => decode({ kind: 'decimal', precision: 10, scale: 2 }, 'NaN')).toThrow(PgValueDecodeError);
    expect(decode({ kind: 'decimal', precision: 10, scale: 2, specials: true }, 'NaN')).toBe('NaN');
    expect(() => decode({ kind: 'variable-decimal', specials: true }, '1.2.3')).toThrow(PgValueDecodeError);
    expect(() => decode({ kind: 'variable-decimal', specials: true }, 'nan')).toThrow(PgValueDecodeError);
  });

  // expected: v::numeric::text
  it.each([
    ['$92,233,720,368,547,758.07', '92233720368547758.07'],
    ['-$92,233,720,368,547,758.08', '-92233720368547758.08'],
    ['$0.00', '0.00'],
    ['-$1.50', '-1.50'],
    ['$1,234.50', '1234.50'],
    ['$0.01', '0.01'],
    ['-$0.01', '-0.01'],
    ['$1,000,000.00', '1000000.00'],
  ])('money %s (lc_monetary=C)', (text, decimal) => {
    expect(decode({ kind: 'decimal', precision: 19, scale: 2 }, text, { money: true })).toBe(decimal);
  });

  it('money in another locale is refused with a hint', () => {
    expect(() => decode({ kind: 'decimal', precision: 19, scale: 2 }, '1.234,50 €', { money: true })).toThrow(/lc_monetary must be C/);
  });
});

describe('bytes, bits, uuid, strings, json, enum', () => {
  // expected: encode(v, 'hex') / length(v)
  it.each([
    ['\\x00ff10', '00ff10'],
    ['\\x', ''],
    ['\\xdeadbeef', 'deadbeef'],
    [`\\x${'00ff'.repeat(40)}`, '00ff'.repeat(40)],
  ])('bytea %s', (text, hex) => {
    const value = decode({ kind: 'bytes' }, text);
    expect(value).toBeInstanceOf(Uint8Array);
    expect(Buffer.from(value as Uint8Array).toString('hex')).toBe(hex);
  });

  it('bytea: escape format and bad hex are refused', () => {
    expect(() => decode({ kind: 'bytes' }, '\\000\\377')).toThrow(/bytea_output must be hex/);
    expect(() => decode({ kind: 'bytes' }, '\\x0g')).toThrow(PgValueDecodeError);
    expect(() => decode({ kind: 'bytes' }, `\\x${'00'.repeat(20)}zz`)).toThrow(PgValueDecodeError);
  });

  it('bit strings keep their text; bit(n) checks the length', () => {
    expect(decode({ kind: 'bits', length: 4 }, '1010')).toBe('1010');
    expect(decode({ kind: 'bits' }, '')).toBe('');
    expect(() => decode({ kind: 'bits', length: 4 }, '101')).toThrow(/4 bits/);
    expect(() => decode({ kind: 'bits' }, '102')).toThrow(PgValueDecodeError);
  });

  it('uuid, json, jsonb and string kinds are the text unchanged', () => {
    // captured: 'A0EEBC99-9C0B-4EF8-BB6D-6BB9BD380A11'::uuid, json and jsonb of '{"b":1, "a" : [1.50, 2]}'
    expect(decode({ kind: 'uuid' }, 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11')).toBe('a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11');
    expect(decode({ kind: 'json' }, '{"b":1, "a" : [1.50, 2]}')).toBe('{"b":1, "a" : [1.50, 2]}');
    expect(decode({ kind: 'json' }, '{"a": [1.50, 2], "b": 1}')).toBe('{"a": [1.50, 2], "b": 1}');
    for (const text of ['ab  ', '\\377', '(3,4),(1,2)', "'a' 'cat' 'fat'", '{[1,3),[5,7)}', '08:00:2b:01:02:03', '<a>x</a>']) {
      expect(decode({ kind: 'string', semantic: 'other' }, text)).toBe(text);
    }
  });

  it('enum labels are checked against the introspected labels', () => {
    const mood: ColumnType = { kind: 'enum', name: 'mood', symbols: ['sad', 'it\'s "great"', ''] };
    expect(decode(mood, 'it\'s "great"')).toBe('it\'s "great"');
    expect(decode(mood, '')).toBe('');
    expect(() => decode(mood, 'happy')).toThrow(/not a label of enum "mood"/);
  });

  it('boolean', () => {
    expect(decode({ kind: 'boolean' }, 't')).toBe(true);
    expect(decode({ kind: 'boolean' }, 'f')).toBe(false);
    expect(() => decode({ kind: 'boolean' }, 'true')).toThrow(PgValueDecodeError);
  });
});

describe('arrays', () => {
  const array = (element: ColumnType, dimensions = 1): ColumnType => ({ kind: 'array', element, dimensions });

  // expected: array_to_json(v) (or of v::text[] / of per-element SQL where JSON cannot hold the value)
  it('text[] with quotes, backslashes, NULL vs "NULL", empty, braces, white space and unicode', () => {
    const text = '{"a b","x\\"y","NULL",NULL,"","back\\\\slash","{}",","," lead",ü€😀,"null","tab\there","new\nline",semi;colon}';
    const json = '["a b","x\\"y","NULL",null,"","back\\\\slash","{}",","," lead","ü€😀","null","tab\\there","new\\nline","semi;colon"]';
    expect(decode(array({ kind: 'string' }), text)).toEqual(JSON.parse(json));
  });

  it('multi-dimensional arrays with NULL elements', () => {
    expect(decode(array({ kind: 'string' }, 2), '{{NULL,a},{"b,c",NULL}}')).toEqual([[null, 'a'], ['b,c', null]]);
    expect(decode(array({ kind: 'int', bits: 32 }, 2), '{{1,NULL},{3,4}}')).toEqual([[1, null], [3, 4]]);
    expect(decode(array({ kind: 'int', bits: 32 }, 3), '{{{1,2}},{{3,4}}}')).toEqual([[[1, 2]], [[3, 4]]]);
    expect(decode(array({ kind: 'int', bits: 32 }), '{-2147483648,2147483647}')).toEqual([-2147483648, 2147483647]);
  });

  it('the empty array is [] whatever the declared dimensions', () => {
    expect(decode(array({ kind: 'string' }), '{}')).toEqual([]);
    expect(decode(array({ kind: 'int', bits: 32 }, 2), '{}')).toEqual([]);
  });

  it('elements are decoded by their type', () => {
    expect(decode(array({ kind: 'long' }), '{9223372036854775807,-9223372036854775808,NULL}')).toEqual([9223372036854775807n, -9223372036854775808n, null]);
    expect(decode(array(TIMESTAMPTZ), '{infinity,"2020-01-01 00:00:00.000001+00",NULL,"0044-03-15 12:00:00+00 BC"}')).toEqual([
      Infinity,
      1577836800000001n,
      null,
      -63517780800000000n,
    ]);
    const bytes = decode(array({ kind: 'bytes' }), '{"\\\\x00",NULL,"\\\\x","\\\\xdeadbeef"}') as Array<Uint8Array | null>;
    expect(bytes.map((b) => (b === null ? null : Buffer.from(b).toString('hex')))).toEqual(['00', null, '', 'deadbeef']);
    expect(decode(array({ kind: 'variable-decimal', specials: true }), '{NaN,1.50,-0.001,Infinity,NULL}')).toEqual(['NaN', '1.50', '-0.001', 'Infinity', null]);
    expect(decode(array({ kind: 'boolean' }), '{t,f,NULL}')).toEqual([true, false, null]);
    expect(decode(array({ kind: 'json' }), '{"\\"a\\"","{\\"a\\": [1, 2]}","null",NULL}')).toEqual(['"a"', '{"a": [1, 2]}', 'null', null]);
    expect(decode(array({ kind: 'date' }), '{-infinity,2000-03-01,"0001-01-01 BC"}')).toEqual([-Infinity, 11017, -719528]);
    expect(decode(array({ kind: 'interval' }), '{P1D,P-1M}')).toEqual([
      { months: 0, days: 1, micros: 0n },
      { months: -1, days: 0, micros: 0n },
    ]);
    expect(decode(array({ kind: 'string', semantic: 'geometric' }), '{"(1,2)","(-1.5,1e+300)"}')).toEqual(['(1,2)', '(-1.5,1e+300)']);
    const floats = decode(array({ kind: 'double' }), '{NaN,0.1,-Infinity,-0}') as number[];
    expect(floats).toEqual([NaN, 0.1, -Infinity, -0]);
    expect(Object.is(floats[3], -0)).toBe(true);
  });

  it('box[] uses the box delimiter ";"', () => {
    expect(decode(array({ kind: 'string', semantic: 'geometric' }), '{(1,1),(0,0);(3,3),(2,2)}', { arrayDelimiter: ';' })).toEqual(['(1,1),(0,0)', '(3,3),(2,2)']);
  });

  it('refuses explicit lower bounds and dimension mismatches, naming the column', () => {
    // captured: '[0:1]={1,2}'::int[] and '[1:2][3:4]={{1,2},{3,4}}'::int[]
    expect(() => decode(array({ kind: 'int', bits: 32 }), '[0:1]={1,2}')).toThrow(/column "c".*explicit bounds/);
    expect(() => decode(array({ kind: 'int', bits: 32 }, 2), '[1:2][3:4]={{1,2},{3,4}}')).toThrow(/explicit bounds/);
    expect(() => decode(array({ kind: 'int', bits: 32 }), '{{1,2},{3,4}}')).toThrow(/2 dimension\(s\); the column declares 1/);
    expect(() => decode(array({ kind: 'int', bits: 32 }, 2), '{1,2}')).toThrow(/1 dimension\(s\); the column declares 2/);
  });

  it('refuses malformed literals', () => {
    for (const text of ['', '{', '{1,2', '{1,2}x', '{"a}', '{,}', '{1,,2}', '1,2']) {
      expect(() => decode(array({ kind: 'string' }), text), text).toThrow(PgValueDecodeError);
    }
  });
});

describe('row decoder', () => {
  const column = (name: string, type: ColumnType, extra: Partial<PgMappedColumn> = {}): PgMappedColumn => ({
    name,
    type,
    nullable: true,
    sourceType: 'x',
    arrayDelimiter: ',',
    money: false,
    ...extra,
  });
  const decodeRow = compileRowDecoder([
    column('id', { kind: 'long' }),
    column('__proto__', { kind: 'string' }),
    column('price', { kind: 'decimal', precision: 19, scale: 2 }, { money: true, sourceType: 'money' }),
    column('big', { kind: 'string' }),
    column('at', TIMESTAMPTZ, { sourceType: 'timestamp with time zone' }),
  ]);

  it('decodes each column, keeps NULL and leaves unchanged-TOAST (undefined) columns out', () => {
    const row = decodeRow({ id: '1', ['__proto__']: 'x', price: '-$1.50', big: undefined, at: null });
    expect({ ...row }).toEqual({ id: 1n, ['__proto__']: 'x', price: '-1.50', at: null });
    expect(Object.getPrototypeOf(row)).toBeNull();
    expect(Object.keys(row)).toEqual(['id', '__proto__', 'price', 'at']);
  });

  it('errors name the column and its source type', () => {
    expect(() => decodeRow({ id: '1', at: '2020-01-01 00:00:00' })).toThrow(/column "at" \(timestamp with time zone\): cannot decode "2020-01-01 00:00:00"/);
  });
});

describe('compileParser', () => {
  it('refuses kinds PostgreSQL never produces', () => {
    expect(() => compileParser({ kind: 'year' })).toThrow(/no reading/);
    expect(() => compileParser({ kind: 'int', bits: 8, unsigned: true })).toThrow(/no reading/);
  });
});

// -----------------------------------------------------------------------------------------------------------
// Property tests: values generated, formatted by independent means (JS built-ins, or the few lines of
// PostgreSQL's output rules written out in the test), decoded back.

describe('properties', () => {
  it('int8: String(bigint) reads back', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }), (v) => {
        expect(decode({ kind: 'long' }, String(v))).toBe(v);
      }),
    );
  });

  // String(-0) is "0"; PostgreSQL writes "-0".
  const shortest = (v: number): string => (Object.is(v, -0) ? '-0' : String(v));

  it('float8: the shortest round-trip text (as JS and PostgreSQL ≥ 12 write it) reads back bit for bit', () => {
    fc.assert(
      fc.property(fc.double(), (v) => {
        expect(Object.is(decode({ kind: 'double' }, shortest(v)), v)).toBe(true);
      }),
    );
  });

  it('float4: any decimal text of a float32 value reads back to that float32', () => {
    fc.assert(
      fc.property(fc.float({ noNaN: true }), fc.integer({ min: 1, max: 17 }), (v, digits) => {
        // String() of the double gives one text; toPrecision(9) always identifies a float32 as well.
        expect(Object.is(decode({ kind: 'float' }, shortest(v)), v)).toBe(true);
        if (Number.isFinite(v) && v !== 0 && digits >= 9) expect(Object.is(decode({ kind: 'float' }, v.toPrecision(digits)), v)).toBe(true);
      }),
    );
  });

  // JS Date uses the same proleptic Gregorian calendar; ISO strings carry extended years (+010000, -000044).
  const pgDateText = (ms: number): string => {
    const iso = new Date(ms).toISOString(); // [+-]YYYYYY-MM-DDTHH:MM:SS.mmmZ or YYYY-…
    const match = /^([+-]\d{6}|\d{4})-(\d\d)-(\d\d)T(\d\d:\d\d:\d\d)/.exec(iso)!;
    const astronomicalYear = Number(match[1]);
    const year = astronomicalYear <= 0 ? 1 - astronomicalYear : astronomicalYear;
    const bc = astronomicalYear <= 0 ? ' BC' : '';
    return `${String(year).padStart(4, '0')}-${match[2]}-${match[3]}|${match[4]}|${bc}`;
  };

  it('timestamp / timestamptz: micros formatted through JS Date read back', () => {
    const min = -210866803200000000n; // 4714-11-24 00:00:00 BC
    const max = 8640000000000000000n; // JS Date's end (year 275760)
    fc.assert(
      fc.property(fc.bigInt({ min, max }), fc.integer({ min: -15 * 3600 - 59 * 60, max: 15 * 3600 + 59 * 60 }), (micros, offset) => {
        const fraction = Number(((micros % 1_000_000n) + 1_000_000n) % 1_000_000n);
        const seconds = (micros - BigInt(fraction)) / 1_000_000n;
        const fractionText = fraction === 0 ? '' : `.${String(fraction).padStart(6, '0').replace(/0+$/, '')}`;
        const [date, clock, bc] = pgDateText(Number(seconds) * 1000).split('|') as [string, string, string];
        expect(decode(TIMESTAMP, `${date} ${clock}${fractionText}${bc}`)).toBe(micros);
        // the same instant written at a whole-minute offset east of UTC
        const offsetMinutes = Math.trunc(offset / 60);
        const abs = Math.abs(offsetMinutes);
        const offsetText = `${offsetMinutes < 0 ? '-' : '+'}${String(Math.floor(abs / 60)).padStart(2, '0')}${abs % 60 ? `:${String(abs % 60).padStart(2, '0')}` : ''}`;
        if (micros + BigInt(offsetMinutes) * 60_000_000n < max) {
          const local = pgDateText((Number(seconds) + offsetMinutes * 60) * 1000).split('|') as [string, string, string];
          expect(decode(TIMESTAMPTZ, `${local[0]} ${local[1]}${fractionText}${offsetText}${local[2]}`)).toBe(micros);
        }
      }),
    );
  });

  it('date: days formatted through JS Date read back', () => {
    fc.assert(
      fc.property(fc.integer({ min: -2440550, max: 100_000_000 }), (days) => {
        const [date, , bc] = pgDateText(days * 86_400_000).split('|') as [string, string, string];
        expect(decode({ kind: 'date' }, `${date}${bc}`)).toBe(days);
      }),
    );
  });

  // PostgreSQL's ISO 8601 interval output: Y and M from months, D, then H M S from the time, each with its
  // own sign, zero fields left out, PT0S for zero (EncodeInterval, IntervalStyle=iso_8601).
  const isoInterval = (months: number, days: number, micros: bigint): string => {
    const years = Math.trunc(months / 12);
    const restMonths = months % 12;
    const hours = micros / 3_600_000_000n;
    const minutes = (micros % 3_600_000_000n) / 60_000_000n;
    const secondsMicros = micros % 60_000_000n;
    let out = 'P';
    if (years) out += `${years}Y`;
    if (restMonths) out += `${restMonths}M`;
    if (days) out += `${days}D`;
    if (hours || minutes || secondsMicros) {
      out += 'T';
      if (hours) out += `${hours}H`;
      if (minutes) out += `${minutes}M`;
      if (secondsMicros) {
        const abs = secondsMicros < 0n ? -secondsMicros : secondsMicros;
        const whole = abs / 1_000_000n;
        const fraction = abs % 1_000_000n;
        const fractionText = fraction ? `.${String(fraction).padStart(6, '0').replace(/0+$/, '')}` : '';
        out += `${secondsMicros < 0n ? '-' : ''}${whole}${fractionText}S`;
      }
    }
    return out === 'P' ? 'PT0S' : out;
  };

  it('interval: generated months/days/micros in PostgreSQL ISO 8601 form read back', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: -2147483648, max: 2147483647 }),
        fc.integer({ min: -2147483648, max: 2147483647 }),
        fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }),
        (months, days, micros) => {
          expect(decode({ kind: 'interval' }, isoInterval(months, days, micros))).toEqual({ months, days, micros });
        },
      ),
    );
  });

  // array_out's quoting rule for one element.
  const pgArrayElement = (s: string | null): string => {
    if (s === null) return 'NULL';
    const needsQuotes = s === '' || s.toUpperCase() === 'NULL' || /[{},"\\\s]/.test(s);
    return needsQuotes ? `"${s.replace(/[\\"]/g, (c) => `\\${c}`)}"` : s;
  };

  it('text[] and text[][]: array_out-formatted arrays read back', () => {
    const element = fc.option(fc.string({ unit: 'grapheme' }), { nil: null });
    fc.assert(
      fc.property(fc.array(element, { minLength: 1 }), (values) => {
        const text = `{${values.map(pgArrayElement).join(',')}}`;
        expect(decode({ kind: 'array', element: { kind: 'string' }, dimensions: 1 }, text)).toEqual(values);
      }),
    );
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 4 }), fc.integer({ min: 1, max: 4 }), fc.infiniteStream(element), (rows, cols, stream) => {
        const matrix = Array.from({ length: rows }, () => Array.from({ length: cols }, () => stream.next().value as string | null));
        const text = `{${matrix.map((row) => `{${row.map(pgArrayElement).join(',')}}`).join(',')}}`;
        expect(decode({ kind: 'array', element: { kind: 'string' }, dimensions: 2 }, text)).toEqual(matrix);
      }),
    );
  });

  it('bytea: Buffer hex of random bytes reads back', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 100 }), (bytes) => {
        expect(decode({ kind: 'bytes' }, `\\x${Buffer.from(bytes).toString('hex')}`)).toEqual(bytes);
      }),
    );
  });
});
