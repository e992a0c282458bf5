import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import { LogicalReplicationService } from 'pg-logical-replication';
import type { ColumnType } from '../../src/model/column-type.js';
import { testBed } from '../helpers/test-bed.js';
import { uniqueName } from '../helpers/names.js';
import { waitFor } from '../helpers/wait.js';
import { introspectTable } from '../../connectors/postgres/introspect-columns.js';
import { mapTable } from '../../connectors/postgres/column-mapping.js';
import type { PgMappedColumn } from '../../connectors/postgres/column-mapping.js';
import type { PgTableInfo } from '../../connectors/postgres/pg-column-info.js';
import { compileRowDecoder } from '../../connectors/postgres/text-decoder.js';
import type { RawTuple } from '../../connectors/postgres/text-decoder.js';
import { REQUIRED_SESSION_SETTINGS, withSessionOptions } from '../../connectors/postgres/session-settings.js';
import { RawPgoutputPlugin } from '../../connectors/postgres/raw-pgoutput-plugin.js';
import type { RawPgoutputMessage } from '../../connectors/postgres/raw-pgoutput-plugin.js';

/*
 * Every type of the PostgreSQL type matrix, with edge values, written by one session, read back through a
 * real pgoutput slot as raw text, decoded, and compared with what PostgreSQL ITSELF computes from the stored
 * value (exact SQL: date arithmetic, extract(...) on numerics, float8send, encode(…,'hex'), to_json, …).
 */

const enumName = uniqueName('mood');
const posint = uniqueName('posint');
const price = uniqueName('price');
const LABELS = ['sad', 'ok so-so', 'it\'s "great"', 'back\\slash', ',{} x', 'NULL'];
const sqlString = (s: string): string => `'${s.replace(/'/g, "''")}'`;

// ----- how PostgreSQL computes the reference value of a column `c` (always as text or json text) -----
const ref = {
  text: (c: string) => `${c}::text`,
  json: (c: string) => `to_json(${c})::text`,
  days: (c: string) => `CASE WHEN isfinite(${c}) THEN (${c} - date '1970-01-01')::text ELSE ${c}::text END`,
  micros: (c: string) =>
    `CASE WHEN isfinite(${c}) THEN ((${c}::date - date '1970-01-01')::numeric * 86400000000 + extract(epoch from ${c}::time) * 1000000)::numeric(30,0)::text ELSE ${c}::text END`,
  timeMicros: (c: string) => `(extract(epoch from ${c}) * 1000000)::numeric(30,0)::text`,
  timetz: (c: string) => `CASE WHEN ${c} IS NOT NULL THEN json_build_object('micros', (extract(epoch from ${c}::time) * 1000000)::numeric(30,0)::text, 'offset', extract(timezone from ${c})::int)::text END`,
  interval: (c: string) =>
    `CASE WHEN ${c} IS NOT NULL THEN json_build_object('months', (extract(year from ${c}) * 12 + extract(month from ${c}))::int, 'days', extract(day from ${c})::int, ` +
    `'micros', ((extract(hour from ${c}) * 3600 + extract(minute from ${c}) * 60) * 1000000 + extract(microseconds from ${c}))::numeric(30,0)::text)::text END`,
  float4: (c: string) => `encode(float4send(${c}), 'hex')`,
  float8: (c: string) => `encode(float8send(${c}), 'hex')`,
  hex: (c: string) => `encode(${c}, 'hex')`,
  money: (c: string) => `${c}::numeric::text`,
  arrayJson: (c: string) => `array_to_json(${c})::text`,
  arrayTextJson: (c: string) => `array_to_json(${c}::text[])::text`,
  /** 1-D arrays: an SQL expression per element `e`, in order. */
  arrayOf: (elementSql: (e: string) => string) => (c: string) =>
    `CASE WHEN ${c} IS NULL THEN NULL ELSE array_to_json(ARRAY(SELECT ${elementSql('e')} FROM unnest(${c}) WITH ORDINALITY AS u(e, o) ORDER BY o))::text END`,
};

// ----- how the reference text becomes the canonical value (JS built-ins only) -----
const nested = (value: unknown, f: (x: unknown) => unknown): unknown => (Array.isArray(value) ? value.map((x) => nested(x, f)) : value === null ? null : f(value));
const infOr = <T>(s: string, f: (s: string) => T): T | number => (s === 'infinity' ? Infinity : s === '-infinity' ? -Infinity : f(s));
const expect_ = {
  same: (s: string) => s,
  number: (s: string) => Number(s),
  bigint: (s: string) => BigInt(s),
  boolean: (s: string) => s === 'true',
  json: (s: string) => JSON.parse(s) as unknown,
  days: (s: string) => infOr(s, Number),
  micros: (s: string) => infOr(s, BigInt),
  timetz: (s: string) => {
    const o = JSON.parse(s) as { micros: string; offset: number };
    return { micros: BigInt(o.micros), offsetSeconds: o.offset };
  },
  interval: (s: string) => {
    const o = JSON.parse(s) as { months: number; days: number; micros: string };
    return { months: o.months, days: o.days, micros: BigInt(o.micros) };
  },
  jsonArray: (f: (x: unknown) => unknown) => (s: string) => nested(JSON.parse(s), f),
};
const bits32 = (x: unknown): string => {
  const view = new DataView(new ArrayBuffer(4));
  view.setFloat32(0, x as number);
  return view.getUint32(0).toString(16).padStart(8, '0');
};
const bits64 = (x: unknown): string => {
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, x as number);
  return view.getBigUint64(0).toString(16).padStart(16, '0');
};
const hexOf = (x: unknown): string => Buffer.from(x as Uint8Array).toString('hex');

interface Spec {
  name: string;
  ddl: string;
  type: ColumnType;
  /** SQL expressions for the rows ROW_IDS, in order (row 4 is all NULL). */
  values: string[];
  ref: (c: string) => string;
  expected: (refText: string) => unknown;
  /** Applied to the decoded value before comparing (e.g. float → IEEE bits). */
  view?: (decoded: unknown) => unknown;
}

const serverMajor = await (async () => {
  const client = new pg.Client({ connectionString: testBed().pgUrl });
  await client.connect();
  try {
    return Math.floor((await client.query<{ v: number }>(`SELECT current_setting('server_version_num')::int AS v`)).rows[0]!.v / 10000);
  } finally {
    await client.end();
  }
})();

const ROW_IDS = [1, 2, 3, 5, 6, 7];
const NULL_ROW = 4;
const s = (semantic: 'xml' | 'inet' | 'cidr' | 'macaddr' | 'macaddr8' | 'geometric' | 'range' | 'text-search' | 'other'): ColumnType => ({ kind: 'string', semantic });
const strings = (ddl: string, type: ColumnType, values: string[]): Omit<Spec, 'name'> => ({ ddl, type, values, ref: ref.json, expected: expect_.json });

const SPECS: Spec[] = Object.entries({
  c_bool: { ddl: 'bool', type: { kind: 'boolean' }, values: ['true', 'false', 'true', 'false', 'true', 'false'], ref: ref.text, expected: expect_.boolean },
  c_int2: { ddl: 'int2', type: { kind: 'int', bits: 16 }, values: ['32767', '-32768', '0', '42', '-1', '1'], ref: ref.text, expected: expect_.number },
  c_int4: { ddl: 'int4', type: { kind: 'int', bits: 32 }, values: ['2147483647', '-2147483648', '0', '42', '-1', '1'], ref: ref.text, expected: expect_.number },
  c_int8: {
    ddl: 'int8',
    type: { kind: 'long' },
    values: ['9223372036854775807', '-9223372036854775808', '0', '9007199254740993', '-9007199254740993', '1'],
    ref: ref.text,
    expected: expect_.bigint,
  },
  c_float4: {
    ddl: 'float4',
    type: { kind: 'float' },
    values: [`'3.4028235e38'`, `'-Infinity'`, `'NaN'`, `'0.1'`, `'-0'`, `'1e-45'`],
    ref: ref.float4,
    expected: expect_.same,
    view: bits32,
  },
  c_float8: {
    ddl: 'float8',
    type: { kind: 'double' },
    values: [`'1.7976931348623157e308'`, `'-Infinity'`, `'NaN'`, `'0.1'`, `'5e-324'`, `'Infinity'`],
    ref: ref.float8,
    expected: expect_.same,
    view: bits64,
  },
  c_numeric_ps: {
    ddl: 'numeric(50,10)',
    type: { kind: 'decimal', precision: 50, scale: 10, specials: true },
    values: [`'9999999999999999999999999999999999999999.9999999999'`, `'-1234567890123456789012345678901234567890.0000000001'`, `'NaN'`, `'1.5'`, `'0'`, `'-0.00000000005'`],
    ref: ref.text,
    expected: expect_.same,
  },
  c_numeric: {
    ddl: 'numeric',
    type: { kind: 'variable-decimal', specials: true },
    values: [
      `'123456789012345678901234567890123456789012345678901234567890.123456789012345678901234567890'`,
      `'-0.000000000000000000000000000000000000001'`,
      `'NaN'`,
      `'Infinity'`,
      `'-Infinity'`,
      `'100.000'`,
    ],
    ref: ref.text,
    expected: expect_.same,
  },
  c_numeric_neg_scale: { ddl: 'numeric(5,-2)', type: { kind: 'decimal', precision: 7, scale: 0, specials: true }, values: ['9999949', '-12345', `'NaN'`, '0', '50', '149'], ref: ref.text, expected: expect_.same },
  c_money: {
    ddl: 'money',
    type: { kind: 'decimal', precision: 19, scale: 2 },
    values: [`'92233720368547758.07'`, `'-92233720368547758.08'`, '0', `'1234.5'`, `'-0.01'`, `'1000000'`],
    ref: ref.money,
    expected: expect_.same,
  },
  c_text: strings('text', { kind: 'string' }, [`$$it's "quoted" \\ back\\slash$$`, `''`, `E'ü€😀\\n\\t{},NULL'`, `'NULL'`, `'   '`, `E'\\\\x00'`]),
  c_varchar: strings('varchar(20)', { kind: 'string' }, [`'x'`, `''`, `'αβγ'`, `'NULL'`, `'abc '`, `'"'`]),
  c_bpchar: strings('char(5)', { kind: 'string' }, [`'ab'`, `''`, `'abcde'`, `'a b'`, `'z'`, `'€'`]),
  c_name: strings('name', { kind: 'string' }, [`'n'`, `'a'`, `'Name With Space'`, `'x'`, `'y'`, `'z'`]),
  c_char: strings('"char"', { kind: 'string' }, [`'a'`, `'\\377'`, `' '`, `'Z'`, `''`, `'\\001'`]),
  c_bytea: {
    ddl: 'bytea',
    type: { kind: 'bytes' },
    values: [`'\\x00ff00'`, `'\\x'`, `'\\x00'`, `decode(repeat('ab00', 100), 'hex')`, `'\\xdeadbeef'`, `convert_to('ü', 'UTF8')`],
    ref: ref.hex,
    expected: expect_.same,
    view: hexOf,
  },
  c_bit: { ddl: 'bit(8)', type: { kind: 'bits', length: 8 }, values: [`B'11111111'`, `B'00000000'`, `B'10101010'`, `B'00000001'`, `B'10000000'`, `B'01111111'`], ref: ref.text, expected: expect_.same },
  c_varbit: { ddl: 'varbit', type: { kind: 'bits' }, values: [`B''`, `B'1'`, `B'0101010101010101010101'`, `B'0'`, `B'11'`, `B'${'10'.repeat(100)}'`], ref: ref.text, expected: expect_.same },
  c_date: {
    ddl: 'date',
    type: { kind: 'date' },
    values: [`'5874897-12-31'`, `'4713-01-01 BC'`, `'infinity'`, `'2020-02-29'`, `'-infinity'`, `'0044-03-15 BC'`],
    ref: ref.days,
    expected: expect_.days,
  },
  c_time: {
    ddl: 'time',
    type: { kind: 'time-micros' },
    values: [`'24:00:00'`, `'00:00:00'`, `'23:59:59.999999'`, `'12:34:56.789'`, `'00:00:00.000001'`, `'13:00'`],
    ref: ref.timeMicros,
    expected: expect_.bigint,
  },
  c_timetz: {
    ddl: 'timetz',
    type: { kind: 'time-tz' },
    values: [`'24:00:00-15:59'`, `'00:00:00+15:59'`, `'12:00:00+05:30:15'`, `'12:34:56.789+05:45'`, `'01:02:03-00:00:30'`, `'10:00:00+00'`],
    ref: ref.timetz,
    expected: expect_.timetz,
  },
  c_ts: {
    ddl: 'timestamp',
    type: { kind: 'timestamp-micros', zoned: false },
    values: [`'294276-12-31 23:59:59.999999'`, `'4714-11-24 00:00:00 BC'`, `'infinity'`, `'2020-06-01 12:00:00.000001'`, `'-infinity'`, `'10000-01-01 00:00:00.5'`],
    ref: ref.micros,
    expected: expect_.micros,
  },
  c_tstz: {
    ddl: 'timestamptz',
    type: { kind: 'timestamp-micros', zoned: true },
    values: [`'294276-12-31 23:59:59.999999+00'`, `'4714-11-24 00:00:00+00 BC'`, `'infinity'`, `'2020-06-01 12:00:00.000001+05:45'`, `'-infinity'`, `'1900-01-01 00:00:00+00'`],
    ref: ref.micros,
    expected: expect_.micros,
  },
  c_interval: {
    ddl: 'interval',
    type: { kind: 'interval' },
    // The extremes but one microsecond: from PostgreSQL 17 every field at its limit is ±infinity, which has no
    // interval value (text-datetime.ts refuses it). PostgreSQL 14 reads no time part beyond ±2147483647 hours.
    values: [
      serverMajor >= 15 ? `'178956970 years 7 months 2147483647 days 2562047788 hours 54.775806 seconds'` : `'178956970 years 7 months 2147483647 days 2147483647 hours 54.775806 seconds'`,
      serverMajor >= 15 ? `'-178956970 years -8 months -2147483648 days -2562047788 hours -54.775807 seconds'` : `'-178956970 years -8 months -2147483648 days -2147483647 hours -54.775807 seconds'`,
      `'0'`,
      `'1 year 2 mons 3 days 04:05:06.789'`,
      `'-1 year -2 mons +3 days -04:05:06.789'`,
      `'-0.5 seconds'`,
    ],
    ref: ref.interval,
    expected: expect_.interval,
  },
  c_json: { ddl: 'json', type: { kind: 'json' }, values: [`'{"b":1, "a" : [1.50, 2e5]}'`, `'""'`, `'null'`, `'[]'`, `'"\\u00e9 ü"'`, `' {"k" : "v"} '`], ref: ref.text, expected: expect_.same },
  c_jsonb: { ddl: 'jsonb', type: { kind: 'json' }, values: [`'{"b":1, "a" : [1.50, 2e5]}'`, `'""'`, `'null'`, `'[]'`, `'"\\u00e9 ü"'`, `' {"k" : "v"} '`], ref: ref.text, expected: expect_.same },
  c_uuid: {
    ddl: 'uuid',
    type: { kind: 'uuid' },
    values: [`'ffffffff-ffff-ffff-ffff-ffffffffffff'`, `'00000000-0000-0000-0000-000000000000'`, `'A0EEBC99-9C0B-4EF8-BB6D-6BB9BD380A11'`, `'{a0eebc99-9c0b4ef8-bb6d6bb9-bd380a12}'`, 'gen_random_uuid()', 'gen_random_uuid()'],
    ref: ref.text,
    expected: expect_.same,
  },
  c_xml: strings('xml', s('xml'), [`'<a>x</a>'`, `'<b/>'`, `'text only'`, `'<c attr="1">&amp;</c>'`, `'<d>ü</d>'`, `'<e/><f/>'`]),
  c_inet: strings('inet', s('inet'), [`'192.168.0.1/24'`, `'::1'`, `'10.0.0.1'`, `'fe80::1/64'`, `'0.0.0.0/0'`, `'255.255.255.255'`]),
  c_cidr: strings('cidr', s('cidr'), [`'192.168.0.0/24'`, `'::/0'`, `'10.0.0.0/8'`, `'fe80::/64'`, `'0.0.0.0/0'`, `'1.2.3.4/32'`]),
  c_macaddr: strings('macaddr', s('macaddr'), [`'08:00:2b:01:02:03'`, `'00:00:00:00:00:00'`, `'FF-FF-FF-FF-FF-FF'`, `'0800.2b01.0203'`, `'08002b010203'`, `'08:00:2b:01:02:04'`]),
  c_macaddr8: strings('macaddr8', s('macaddr8'), [`'08:00:2b:01:02:03:04:05'`, `'08:00:2b:01:02:03'`, `'00:00:00:00:00:00:00:00'`, `'ff:ff:ff:ff:ff:ff:ff:ff'`, `'0800.2b01.0203.0405'`, `'08-00-2b-01-02-03-04-05'`]),
  c_point: strings('point', s('geometric'), [`'(1,2)'`, `'(-1.5,1e300)'`, `'(0.1,NaN)'`, `'(Infinity,-0)'`, `'(3,4)'`, `'(5,6)'`]),
  c_line: strings('line', s('geometric'), [`'{1,2,3}'`, `'{1,-1,0}'`, `'{0.1,1,0}'`, `'{1,0,-5}'`, `'{2,3,4}'`, `'{5,6,7}'`]),
  c_lseg: strings('lseg', s('geometric'), [`'[(1,2),(3,4)]'`, `'[(0,0),(0,0)]'`, `'[(0.1,0.2),(0.3,0.4)]'`, `'[(1,1),(2,2)]'`, `'[(5,5),(6,6)]'`, `'[(7,7),(8,8)]'`]),
  c_box: strings('box', s('geometric'), [`'((1,2),(3,4))'`, `'((0,0),(0,0))'`, `'((0.1,0.2),(0.3,0.4))'`, `'((1,1),(2,2))'`, `'((5,5),(6,6))'`, `'((7,7),(8,8))'`]),
  c_path: strings('path', s('geometric'), [`'[(1,2),(3,4)]'`, `'((0,0),(1,1),(1,0))'`, `'[(0.1,0.2)]'`, `'[(1,1),(2,2)]'`, `'[(5,5),(6,6)]'`, `'[(7,7),(8,8)]'`]),
  c_polygon: strings('polygon', s('geometric'), [`'((0,0),(1,1),(1,0))'`, `'((0,0))'`, `'((0.1,0.2),(0.3,0.4),(0.5,0.6))'`, `'((1,1),(2,2),(3,1))'`, `'((5,5),(6,6),(7,5))'`, `'((7,7),(8,8),(9,7))'`]),
  c_circle: strings('circle', s('geometric'), [`'<(1,2),3>'`, `'<(0,0),0>'`, `'<(0.1,0.2),0.3>'`, `'<(1,1),2>'`, `'<(5,5),6>'`, `'<(7,7),8>'`]),
  c_int4range: strings('int4range', s('range'), [`'[1,5)'`, `'empty'`, `'(,)'`, `'[-2147483648,2147483647)'`, `'[1,2]'`, `'(3,7)'`]),
  c_tstzrange: strings('tstzrange', s('range'), [`'[2020-01-01 00:00:00.000001+05:45,infinity)'`, `'empty'`, `'(,)'`, `'[-infinity,2020-01-01)'`, `'[1900-01-01 00:00:00+00,1900-01-02 00:00:00+00]'`, `'(,2020-01-01)'`]),
  c_multirange: strings('int4multirange', s('range'), [`'{[1,3), [5,7)}'`, `'{}'`, `'{(,)}'`, `'{[1,2]}'`, `'{[10,20)}'`, `'{[-5,-1)}'`]),
  c_tsvector: strings('tsvector', s('text-search'), [`'a fat cat'`, `''`, `$$'it''s' 'back\\\\slash'$$`, `'a:1A b:2,3'`, `'x'`, `'y z'`]),
  c_tsquery: strings('tsquery', s('text-search'), [`'fat & rat'`, `''`, `'!a | (b & c:*)'`, `'x <-> y'`, `'z'`, `'w'`]),
  c_enum: { ddl: enumName, type: { kind: 'enum', name: enumName, symbols: LABELS }, values: LABELS.map(sqlString), ref: ref.text, expected: expect_.same },
  c_domain: { ddl: posint, type: { kind: 'int', bits: 32 }, values: ['2147483647', '1', '42', '7', '8', '9'], ref: ref.text, expected: expect_.number },
  c_price: {
    ddl: price,
    type: { kind: 'decimal', precision: 10, scale: 2, specials: true },
    values: [`'99999999.99'`, `'-99999999.99'`, `'NaN'`, `'0.10'`, `'1'`, `'2.5'`],
    ref: ref.text,
    expected: expect_.same,
  },
  c_lsn: strings('pg_lsn', s('other'), [`'FFFFFFFF/FFFFFFFF'`, `'0/0'`, `'16/B374D848'`, `'1/1'`, `'2/2'`, `'3/3'`]),
  a_int4: {
    ddl: 'int4[]',
    type: { kind: 'array', element: { kind: 'int', bits: 32 }, dimensions: 1 },
    values: [`'{1,2,3}'`, `'{}'`, `'{NULL}'`, `'{-2147483648,2147483647,NULL}'`, `'{0}'`, `ARRAY[]::int4[]`],
    ref: ref.arrayJson,
    expected: expect_.json,
  },
  a_int2d: {
    ddl: 'int4[][]',
    type: { kind: 'array', element: { kind: 'int', bits: 32 }, dimensions: 2 },
    values: [`'{{1,NULL},{3,4}}'`, `'{}'`, `'{{NULL,NULL}}'`, `'{{1},{2},{3}}'`, `'{{5,6}}'`, `'{{7,8},{9,NULL}}'`],
    ref: ref.arrayJson,
    expected: expect_.json,
  },
  a_text: {
    ddl: 'text[]',
    type: { kind: 'array', element: { kind: 'string' }, dimensions: 1 },
    values: [
      `ARRAY['a b', 'x"y', 'NULL', NULL, '', 'back\\slash', '{}', ',', ' lead', 'ü€😀', 'null', E'tab\\there', E'new\\nline', 'semi;colon']`,
      `'{}'`,
      `ARRAY[NULL, 'NULL', 'null', '']`,
      `ARRAY[$$it's$$, '\\\\', '"']`,
      `ARRAY['plain']`,
      `ARRAY[repeat('x', 1000)]`,
    ],
    ref: ref.arrayJson,
    expected: expect_.json,
  },
  a_int8: {
    ddl: 'int8[]',
    type: { kind: 'array', element: { kind: 'long' }, dimensions: 1 },
    values: [`'{9223372036854775807,-9223372036854775808,NULL}'`, `'{}'`, `'{0}'`, `'{9007199254740993}'`, `'{1,2}'`, `'{-1}'`],
    ref: ref.arrayTextJson,
    expected: expect_.jsonArray((x) => BigInt(x as string)),
  },
  a_numeric: {
    ddl: 'numeric[]',
    type: { kind: 'array', element: { kind: 'variable-decimal', specials: true }, dimensions: 1 },
    values: [`'{NaN,Infinity,-Infinity,1.50,NULL}'`, `'{}'`, `'{-0.000000000000000000000000000001}'`, `'{123456789012345678901234567890123456789012}'`, `'{0}'`, `'{1.0}'`],
    ref: ref.arrayTextJson,
    expected: expect_.json,
  },
  a_tstz: {
    ddl: 'timestamptz[]',
    type: { kind: 'array', element: { kind: 'timestamp-micros', zoned: true }, dimensions: 1 },
    values: [`'{infinity,-infinity,"2020-06-01 12:00:00.000001+05:45",NULL,"0044-03-15 12:00:00+00 BC"}'`, `'{}'`, `'{"1900-01-01 00:00:00+00"}'`, `'{"294276-12-31 23:59:59.999999+00"}'`, `'{NULL}'`, `'{"1970-01-01 00:00:00+00"}'`],
    ref: ref.arrayOf(ref.micros),
    expected: expect_.jsonArray((x) => expect_.micros(x as string)),
  },
  a_bytea: {
    ddl: 'bytea[]',
    type: { kind: 'array', element: { kind: 'bytes' }, dimensions: 1 },
    values: [`ARRAY['\\x00'::bytea, NULL, '\\x'::bytea, '\\xdeadbeef'::bytea]`, `'{}'`, `ARRAY['\\x22'::bytea]`, `ARRAY['\\x5c'::bytea]`, `ARRAY[NULL::bytea]`, `ARRAY['\\x7b7d'::bytea]`],
    ref: ref.arrayOf(ref.hex),
    expected: expect_.json,
    view: (x) => nested(x, hexOf),
  },
  a_enum: {
    ddl: `${enumName}[]`,
    type: { kind: 'array', element: { kind: 'enum', name: enumName, symbols: LABELS }, dimensions: 1 },
    values: [`ARRAY[${LABELS.map(sqlString).join(', ')}]::${enumName}[]`, `'{}'`, `ARRAY[NULL, 'NULL']::${enumName}[]`, `ARRAY[${sqlString(LABELS[2]!)}]::${enumName}[]`, `ARRAY[${sqlString(LABELS[3]!)}]::${enumName}[]`, `ARRAY[${sqlString(LABELS[4]!)}]::${enumName}[]`],
    ref: ref.arrayJson,
    expected: expect_.json,
  },
  a_domain: {
    ddl: `${posint}[]`,
    type: { kind: 'array', element: { kind: 'int', bits: 32 }, dimensions: 1 },
    values: [`'{1,2,NULL}'`, `'{}'`, `'{2147483647}'`, `'{5}'`, `'{6}'`, `'{7}'`],
    ref: ref.arrayJson,
    expected: expect_.json,
  },
  a_box: {
    ddl: 'box[]',
    type: { kind: 'array', element: s('geometric'), dimensions: 1 },
    values: [`ARRAY[box '((1,1),(0,0))', box '((2,2),(3,3))']`, `'{}'`, `ARRAY[NULL::box]`, `ARRAY[box '((0.1,0.2),(0.3,0.4))']`, `ARRAY[box '((1,1),(1,1))']`, `ARRAY[box '((1e300,1),(-1e300,-1))']`],
    ref: ref.arrayOf((e) => `${e}::text`),
    expected: expect_.json,
  },
  a_bool: { ddl: 'bool[]', type: { kind: 'array', element: { kind: 'boolean' }, dimensions: 1 }, values: [`'{t,f,NULL}'`, `'{}'`, `'{t}'`, `'{f}'`, `'{NULL}'`, `'{t,t}'`], ref: ref.arrayJson, expected: expect_.json },
  a_date: {
    ddl: 'date[]',
    type: { kind: 'array', element: { kind: 'date' }, dimensions: 1 },
    values: [`ARRAY['infinity'::date, '0044-03-15 BC', '2020-01-01', NULL, '-infinity']`, `'{}'`, `'{5874897-12-31}'`, `'{"4713-01-01 BC"}'`, `'{1970-01-01}'`, `'{NULL}'`],
    ref: ref.arrayOf(ref.days),
    expected: expect_.jsonArray((x) => expect_.days(x as string)),
  },
  a_float8: {
    ddl: 'float8[]',
    type: { kind: 'array', element: { kind: 'double' }, dimensions: 1 },
    values: [`'{NaN,-0,Infinity,0.1,NULL}'`, `'{}'`, `'{5e-324}'`, `'{-1.7976931348623157e308}'`, `'{1e21}'`, `'{1e-7}'`],
    ref: ref.arrayOf(ref.float8),
    expected: expect_.json,
    view: (x) => nested(x, bits64),
  },
} satisfies Record<string, Omit<Spec, 'name'>>).map(([name, spec]) => ({ name, ...spec }) as Spec)
  // A negative numeric scale is PostgreSQL 15+ (the version matrix runs this file on 14 too).
  .filter((spec) => spec.name !== 'c_numeric_neg_scale' || serverMajor >= 15);

const ERROR_ROWS = { lowerBound: 90, undeclaredDimensions: 91 };

interface Capture {
  inserts: Map<number, RawTuple>;
  relation?: RawPgoutputMessage;
}

/** Reads `count` INSERTs from `slot` through pgoutput with raw text values, connecting with `url`. */
async function readInserts(url: string, slot: string, publication: string, count: number): Promise<Capture> {
  const capture: Capture = { inserts: new Map() };
  const service = new LogicalReplicationService({ connectionString: url }, { acknowledge: { auto: false, timeoutSeconds: 0 } });
  let failure: Error | undefined;
  service.on('data', (_lsn: string, message: RawPgoutputMessage) => {
    if (message.tag === 'relation') capture.relation = message;
    if (message.tag === 'insert') capture.inserts.set(Number(message.new.id), message.new);
  });
  service.on('error', (err: Error) => {
    failure = err;
  });
  void service.subscribe(new RawPgoutputPlugin({ protoVersion: 1, publicationNames: [publication] }), slot).catch((err: Error) => {
    failure = err;
  });
  try {
    await waitFor(`${count} inserts from slot ${slot}`, () => {
      if (failure) throw failure;
      return capture.inserts.size >= count ? true : undefined;
    });
  } finally {
    await service.stop();
  }
  return capture;
}

describe('PostgreSQL type matrix through a pgoutput slot', () => {
  const { pgUrl } = testBed();
  const table = uniqueName('types');
  const publication = uniqueName('pub');
  const slot = uniqueName('slot');
  const slotOther = uniqueName('slot_other');
  // The writing session uses another time zone, so nothing below can depend on it.
  const sql = new pg.Client({ connectionString: withSessionOptions(pgUrl, { TimeZone: 'Asia/Kathmandu' }) });
  // References are computed under the required settings (string types' text, timestamptz::date in UTC).
  const reference = new pg.Client({ connectionString: withSessionOptions(pgUrl) });
  const rowCount = ROW_IDS.length + 1 + Object.keys(ERROR_ROWS).length;

  let info: PgTableInfo;
  let mapped: PgMappedColumn[] = [];
  let viaRequired: Capture;
  let viaOther: Capture;
  let references: Map<number, Record<string, string | null>>;

  beforeAll(async () => {
    await sql.connect();
    await reference.connect();
    await sql.query(`CREATE TYPE ${enumName} AS ENUM (${LABELS.map(sqlString).join(', ')})`);
    await sql.query(`CREATE DOMAIN ${posint} AS integer CHECK (VALUE > 0)`);
    await sql.query(`CREATE DOMAIN ${price} AS numeric(10,2)`);
    await sql.query(`CREATE TABLE ${table} (id int PRIMARY KEY, ${SPECS.map((c) => `${c.name} ${c.ddl}`).join(', ')})`);
    await sql.query(`CREATE PUBLICATION ${publication} FOR TABLE ${table}`);
    await sql.query(`SELECT pg_create_logical_replication_slot($1, 'pgoutput')`, [slot]);
    await sql.query(`SELECT pg_create_logical_replication_slot($1, 'pgoutput')`, [slotOther]);

    const names = SPECS.map((c) => c.name).join(', ');
    for (const [index, id] of ROW_IDS.entries()) {
      await sql.query(`INSERT INTO ${table} (id, ${names}) VALUES (${id}, ${SPECS.map((c) => c.values[index]!).join(', ')})`);
    }
    await sql.query(`INSERT INTO ${table} (id) VALUES (${NULL_ROW})`);
    await sql.query(`INSERT INTO ${table} (id, a_int4) VALUES (${ERROR_ROWS.lowerBound}, '[0:1]={1,2}')`);
    await sql.query(`INSERT INTO ${table} (id, a_int2d) VALUES (${ERROR_ROWS.undeclaredDimensions}, '{1,2}')`);

    info = await introspectTable(sql, { namespace: 'public', name: table });
    mapped = mapTable(info).columns;

    const { rows } = await reference.query<Record<string, string | null> & { id: number }>(
      `SELECT id, ${SPECS.map((c) => `${c.ref(c.name)} AS ${c.name}`).join(', ')} FROM ${table} WHERE id <= ${NULL_ROW + ROW_IDS.length} ORDER BY id`,
    );
    references = new Map(rows.map((r) => [r.id, r]));

    viaRequired = await readInserts(withSessionOptions(pgUrl), slot, publication, rowCount);
    viaOther = await readInserts(withSessionOptions(pgUrl, { TimeZone: 'Asia/Kathmandu', IntervalStyle: 'postgres' }), slotOther, publication, rowCount);
  });

  afterAll(async () => {
    for (const name of [slot, slotOther]) {
      await sql.query(`SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE slot_name = $1 AND NOT active`, [name]).catch(() => {});
    }
    await sql.query(`DROP PUBLICATION IF EXISTS ${publication}`).catch(() => {});
    await sql.query(`DROP TABLE IF EXISTS ${table}`).catch(() => {});
    await sql.query(`DROP DOMAIN IF EXISTS ${posint}, ${price}`).catch(() => {});
    await sql.query(`DROP TYPE IF EXISTS ${enumName}`).catch(() => {});
    await sql.end();
    await reference.end();
  });

  it('introspection maps every column onto the documented column type', () => {
    const byName = Object.fromEntries(mapped.map((c) => [c.name, c.type]));
    expect(byName).toEqual({ id: { kind: 'int', bits: 32 }, ...Object.fromEntries(SPECS.map((c) => [c.name, c.type])) });
    expect(mapped.find((c) => c.name === 'a_box')?.arrayDelimiter).toBe(';');
    expect(mapped.find((c) => c.name === 'c_money')?.money).toBe(true);
    expect(info.primaryKey).toEqual(['id']);
  });

  it('the Relation message names the same columns, type oids and typmods as the catalog', () => {
    const relation = viaRequired.relation;
    expect(relation).toBeDefined();
    if (relation?.tag !== 'relation') return;
    expect(relation.columns.map((c) => [c.name, c.typeOid, c.typeMod])).toEqual(info.columns.map((c) => [c.name, c.type.oid, c.typmod]));
    expect(relation.keyColumns).toEqual(['id']);
  });

  it('options in the connection string reach the walsender that formats pgoutput values', () => {
    const required = viaRequired.inserts.get(5)!;
    const other = viaOther.inserts.get(5)!;
    // required settings: timestamptz in UTC, interval in ISO 8601, money in the C locale
    expect(required.c_tstz).toBe('2020-06-01 06:15:00.000001+00');
    expect(required.c_interval).toBe('P1Y2M3DT4H5M6.789S');
    expect(required.c_money).toBe('$1,234.50');
    expect(viaRequired.inserts.get(7)!.c_tstz).toBe('1900-01-01 00:00:00+00');
    // the same rows through a connection with TimeZone=Asia/Kathmandu and IntervalStyle=postgres
    expect(other.c_tstz).toBe('2020-06-01 12:00:00.000001+05:45');
    expect(other.c_interval).toBe('1 year 2 mons 3 days 04:05:06.789');
    expect(viaOther.inserts.get(7)!.c_tstz).toBe('1900-01-01 05:41:16+05:41:16');
  });

  it('every value decoded from the slot equals what PostgreSQL computes from the stored value', () => {
    const decodeRow = compileRowDecoder(mapped);
    const mismatches: string[] = [];
    let compared = 0;
    for (const id of [...ROW_IDS, NULL_ROW]) {
      const raw = viaRequired.inserts.get(id);
      expect(raw, `row ${id} arrived`).toBeDefined();
      const row = decodeRow(raw!);
      const refs = references.get(id)!;
      for (const spec of SPECS) {
        const refText = refs[spec.name] ?? null;
        const expected = refText === null ? null : spec.expected(refText);
        const decoded = row[spec.name];
        const actual = decoded === null ? null : spec.view ? spec.view(decoded) : decoded;
        compared++;
        try {
          expect(actual).toEqual(expected);
          if (typeof expected === 'number' && Object.is(expected, -0)) expect(Object.is(actual, -0)).toBe(true);
        } catch {
          mismatches.push(`row ${id} ${spec.name}: raw ${JSON.stringify(raw![spec.name])} decoded ${String(actual)} expected ${String(expected)} (reference ${refText})`);
        }
      }
    }
    expect(mismatches).toEqual([]);
    expect(compared).toBe(SPECS.length * (ROW_IDS.length + 1));
  });

  it('timestamptz written at other offsets (incl. seconds offsets) decodes to the same instants', () => {
    const decodeRow = compileRowDecoder(mapped.filter((c) => c.name === 'c_tstz' || c.name === 'a_tstz' || c.name === 'c_ts'));
    for (const id of ROW_IDS) {
      expect(decodeRow(viaOther.inserts.get(id)!), `row ${id}`).toEqual(decodeRow(viaRequired.inserts.get(id)!));
    }
  });

  it('an interval in another IntervalStyle is refused, naming the column and the setting', () => {
    const decodeRow = compileRowDecoder(mapped);
    expect(() => decodeRow(viaOther.inserts.get(5)!)).toThrow(/column "c_interval" \(interval\).*IntervalStyle must be iso_8601/);
  });

  it('explicit lower bounds and undeclared dimensions are errors naming the column', () => {
    const decodeRow = compileRowDecoder(mapped);
    expect(viaRequired.inserts.get(ERROR_ROWS.lowerBound)!.a_int4).toBe('[0:1]={1,2}');
    expect(() => decodeRow(viaRequired.inserts.get(ERROR_ROWS.lowerBound)!)).toThrow(/column "a_int4" \(integer\[\]\).*explicit bounds/);
    expect(() => decodeRow(viaRequired.inserts.get(ERROR_ROWS.undeclaredDimensions)!)).toThrow(/column "a_int2d" \(integer\[\]\).*1 dimension\(s\); the column declares 2/);
  });

  it('the required settings are what the walsender session reports', async () => {
    const walsender = new pg.Client({ connectionString: withSessionOptions(pgUrl), replication: 'database' } as pg.ClientConfig);
    await walsender.connect();
    try {
      for (const [name, value] of Object.entries(REQUIRED_SESSION_SETTINGS)) {
        const { rows } = await walsender.query(`SHOW ${name}`);
        const shown = String(Object.values(rows[0] as Record<string, unknown>)[0]);
        expect(shown.startsWith(value), `${name} = ${shown}`).toBe(true);
      }
    } finally {
      await walsender.end();
    }
  });
});
