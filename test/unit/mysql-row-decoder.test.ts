import { describe, expect, it } from 'vitest';
import { tableSchemaOf } from '../../connectors/mysql/column-mapping.js';
import type { MysqlColumnInfo, MysqlTableInfo } from '../../connectors/mysql/mysql-column-info.js';
import { ValueDecodeError } from '../../connectors/mysql/mysql-errors.js';
import { compileRowDecoder } from '../../connectors/mysql/row-decoder.js';
import { WIRE } from '../../connectors/mysql/binlog-column-types.js';
import type { DecodeOptions } from '../../connectors/mysql/value-decoders.js';

const hex = (text: string): Buffer => Buffer.from(text, 'hex');
const column = (name: string, dataType: string, columnType: string, extra: Partial<MysqlColumnInfo> = {}): MysqlColumnInfo => ({
  name, ordinal: 0, dataType, columnType, unsigned: / unsigned/.test(columnType), zerofill: false, nullable: true, json: false, ...extra,
});

/**
 * One column of the capture table and what zongji handed over for each inserted literal. CAPTURED: MariaDB
 * 10.11.19 (binlog_row_metadata=FULL, mysql56_temporal_format=ON), @vlasky/zongji 0.9.0 with
 * EXACT_ZONGJI_CONNECTION_OPTIONS and bindTableMap applied, one INSERT per row; the raw value is zongji's row value
 * verbatim (Buffers as hex). The canonical values are worked out from the literal by hand (and, where noted, were
 * checked against the server's own TIMESTAMPDIFF/DATEDIFF/HEX/CAST output).
 */
interface Captured {
  info: MysqlColumnInfo;
  binlogType: number;
  samples: { literal: string; zongji: unknown; canonical: unknown }[];
}

const CAPTURED: Captured[] = [
  {
    info: column('tm0', 'time', 'time', { datetimePrecision: 0 }), binlogType: WIRE.TIME2, samples: [
      { literal: "'-838:59:59'", zongji: '-838:59:59', canonical: -3_020_399_000_000n },
      { literal: "'838:59:59'", zongji: '838:59:59', canonical: 3_020_399_000_000n },
      { literal: "'-01:00:00'", zongji: '-00:63:64', canonical: -3_600_000_000n },
      { literal: "'-00:01:00'", zongji: '-00:00:64', canonical: -60_000_000n },
      { literal: "'-10:00:00'", zongji: '-09:63:64', canonical: -36_000_000_000n },
      { literal: "'-100:59:00'", zongji: '-100:58:64', canonical: -363_540_000_000n },
      { literal: "'00:00:00'", zongji: '00:00:00', canonical: 0n },
    ],
  },
  {
    info: column('tm1', 'time', 'time(1)', { datetimePrecision: 1 }), binlogType: WIRE.TIME2, samples: [
      { literal: "'-00:00:00.5'", zongji: '-00:00:00.5', canonical: -500_000n },
      { literal: "'-01:00:00.0'", zongji: '-00:63:64.0', canonical: -3_600_000_000n },
    ],
  },
  {
    info: column('tm6', 'time', 'time(6)', { datetimePrecision: 6 }), binlogType: WIRE.TIME2, samples: [
      { literal: "'-838:59:59.000000'", zongji: '-838:59:59.000000', canonical: -3_020_399_000_000n },
      { literal: "'838:59:59.999999'", zongji: '838:59:59.999999', canonical: 3_020_399_999_999n },
      { literal: "'-00:00:00.000001'", zongji: '-00:00:00.000001', canonical: -1n },
      { literal: "'-01:00:00.000000'", zongji: '-00:63:64.000000', canonical: -3_600_000_000n },
      { literal: "'-00:59:00.000000'", zongji: '-00:58:64.000000', canonical: -3_540_000_000n },
    ],
  },
  {
    info: column('d', 'date', 'date'), binlogType: WIRE.DATE, samples: [
      { literal: "'1000-01-01'", zongji: '1000-01-01', canonical: -354_285 }, // server: DATEDIFF(d, '1970-01-01')
      { literal: "'9999-12-31'", zongji: '9999-12-31', canonical: 2_932_896 },
    ],
  },
  {
    info: column('dt6', 'datetime', 'datetime(6)', { datetimePrecision: 6 }), binlogType: WIRE.DATETIME2, samples: [
      // server: TIMESTAMPDIFF(MICROSECOND, '1970-01-01 00:00:00', dt6)
      { literal: "'1000-01-01 00:00:00.000000'", zongji: '1000-01-01 00:00:00.000000', canonical: -30_610_224_000_000_000n },
      { literal: "'9999-12-31 23:59:59.999999'", zongji: '9999-12-31 23:59:59.999999', canonical: 253_402_300_799_999_999n },
      { literal: "'1969-12-31 23:59:59.999999'", zongji: '1969-12-31 23:59:59.999999', canonical: -1n },
    ],
  },
  {
    info: column('dt0', 'datetime', 'datetime', { datetimePrecision: 0 }), binlogType: WIRE.DATETIME2, samples: [
      { literal: "'2024-02-29 12:34:56'", zongji: '2024-02-29 12:34:56', canonical: 1_709_210_096_000_000n },
    ],
  },
  {
    info: column('ts6', 'timestamp', 'timestamp(6)', { datetimePrecision: 6 }), binlogType: WIRE.TIMESTAMP2, samples: [
      { literal: "'1970-01-01 00:00:01.000000'", zongji: '1970-01-01 00:00:01.000000', canonical: 1_000_000n },
      { literal: "'2038-01-19 03:14:07.999999'", zongji: '2038-01-19 03:14:07.999999', canonical: 2_147_483_647_999_999n },
    ],
  },
  {
    info: column('ts0', 'timestamp', 'timestamp', { datetimePrecision: 0 }), binlogType: WIRE.TIMESTAMP2, samples: [
      { literal: "'2038-01-19 03:14:07'", zongji: '2038-01-19 03:14:07', canonical: 2_147_483_647_000_000n },
    ],
  },
  {
    info: column('yr', 'year', 'year(4)', { unsigned: true }), binlogType: WIRE.YEAR, samples: [
      { literal: '1901', zongji: 1901, canonical: 1901 },
      { literal: '2155', zongji: 2155, canonical: 2155 },
      { literal: "'0000'", zongji: 1900, canonical: 0 },
    ],
  },
  {
    info: column('bi', 'bigint', 'bigint(20)'), binlogType: WIRE.LONGLONG, samples: [
      { literal: '-9223372036854775808', zongji: '-9223372036854775808', canonical: -9_223_372_036_854_775_808n },
      { literal: '9223372036854775807', zongji: '9223372036854775807', canonical: 9_223_372_036_854_775_807n },
      { literal: '9007199254740993', zongji: '9007199254740993', canonical: 9_007_199_254_740_993n },
      { literal: '-1', zongji: -1, canonical: -1n },
    ],
  },
  {
    info: column('biu', 'bigint', 'bigint(20) unsigned'), binlogType: WIRE.LONGLONG, samples: [
      { literal: '18446744073709551615', zongji: '18446744073709551615', canonical: '18446744073709551615' },
      { literal: '9007199254740991', zongji: 9_007_199_254_740_991, canonical: '9007199254740991' },
      { literal: '0', zongji: 0, canonical: '0' },
    ],
  },
  {
    info: column('iu', 'int', 'int(10) unsigned'), binlogType: WIRE.LONG, samples: [
      { literal: '4294967295', zongji: 4_294_967_295, canonical: 4_294_967_295n },
    ],
  },
  {
    info: column('ti', 'tinyint', 'tinyint(1)'), binlogType: WIRE.TINY, samples: [
      { literal: '-128', zongji: -128, canonical: -128 },
      { literal: '127', zongji: 127, canonical: 127 },
    ],
  },
  {
    info: column('f', 'float', 'float'), binlogType: WIRE.FLOAT, samples: [
      { literal: '0.1', zongji: 0.10000000149011612, canonical: Math.fround(0.1) },
      { literal: '3.4028234663852886e38', zongji: 3.4028234663852886e38, canonical: 3.4028234663852886e38 },
      { literal: '16777217', zongji: 16_777_216, canonical: Math.fround(16_777_217) },
    ],
  },
  {
    info: column('dc', 'decimal', 'decimal(65,30)', { numericPrecision: 65, numericScale: 30 }), binlogType: WIRE.NEWDECIMAL, samples: [
      {
        literal: '-99999999999999999999999999999999999.999999999999999999999999999999',
        zongji: '-99999999999999999999999999999999999.999999999999999999999999999999',
        canonical: '-99999999999999999999999999999999999.999999999999999999999999999999',
      },
      { literal: '0.000000000000000000000000000001', zongji: '0.000000000000000000000000000001', canonical: '0.000000000000000000000000000001' },
      { literal: '12.5', zongji: '12.500000000000000000000000000000', canonical: '12.500000000000000000000000000000' },
    ],
  },
  { info: column('b1', 'bit', 'bit(1)', { bitLength: 1 }), binlogType: WIRE.BIT, samples: [{ literal: "b'1'", zongji: hex('01'), canonical: '1' }] },
  { info: column('b10', 'bit', 'bit(10)', { bitLength: 10 }), binlogType: WIRE.BIT, samples: [{ literal: "b'1000000001'", zongji: hex('0201'), canonical: '1000000001' }] },
  {
    info: column('b64', 'bit', 'bit(64)', { bitLength: 64 }), binlogType: WIRE.BIT, samples: [
      { literal: '0xFFFFFFFFFFFFFFFF', zongji: hex('ffffffffffffffff'), canonical: '1'.repeat(64) },
      { literal: '0x8000000000000001', zongji: hex('8000000000000001'), canonical: `1${'0'.repeat(62)}1` },
    ],
  },
  {
    info: column('e', 'enum', "enum('a,b','it''s','','x')", { labels: ['a,b', "it's", '', 'x'], characterSet: 'utf8mb4' }), binlogType: WIRE.ENUM, samples: [
      { literal: "'a,b'", zongji: '1', canonical: 'a,b' },
      { literal: "''", zongji: '3', canonical: '' },
      { literal: "'x'", zongji: '4', canonical: 'x' },
      { literal: "'nope' (non-strict: the error value, index 0)", zongji: undefined, canonical: '' },
    ],
  },
  {
    info: column('st', 'set', "set('x','y''z','ü','')", { labels: ['x', "y'z", 'ü', ''], characterSet: 'utf8mb4' }), binlogType: WIRE.SET, samples: [
      { literal: "''", zongji: '', canonical: [] },
      { literal: "'x,ü'", zongji: '0,2', canonical: ['x', 'ü'] },
      { literal: '8', zongji: '3', canonical: [''] },
      { literal: '15', zongji: '0,1,2,3', canonical: ['x', "y'z", 'ü', ''] },
    ],
  },
  {
    info: column('l1', 'varchar', 'varchar(20)', { characterSet: 'latin1' }), binlogType: WIRE.VARCHAR, samples: [
      // server: HEX(CONVERT(l1 USING utf8mb4)) = 41 C281 C28D C28F C290 C29D E282AC C3BF
      { literal: "UNHEX('41818D8F909D80FF')", zongji: 'A\x81\x8d\x8f\x90\x9d\x80\xff', canonical: 'A\u0081\u008d\u008f\u0090\u009d€ÿ' },
    ],
  },
  {
    info: column('u4', 'varchar', 'varchar(20)', { characterSet: 'utf8mb4' }), binlogType: WIRE.VARCHAR, samples: [
      { literal: "'héllo 😀'", zongji: 'héllo 😀', canonical: 'héllo 😀' },
    ],
  },
  { info: column('bn', 'binary', 'binary(4)', { maxLength: 4 }), binlogType: WIRE.STRING, samples: [{ literal: '0x0100', zongji: hex('01000000'), canonical: hex('01000000') }] },
  {
    info: column('g', 'geometry', 'geometry'), binlogType: WIRE.GEOMETRY, samples: [
      // server: ST_SRID(g), HEX(ST_AsWKB(g))
      {
        literal: "ST_GeomFromText('POINT(1.5 -2.25)', 4326)", zongji: hex('e61000000101000000000000000000f83f00000000000002c0'),
        canonical: { srid: 4326, wkb: hex('0101000000000000000000f83f00000000000002c0') },
      },
      {
        literal: "ST_GeomFromText('MULTIPOINT(1 2, 3 4)', 3857)",
        zongji: hex('110f00000104000000020000000101000000000000000000f03f0000000000000040010100000000000000000008400000000000001040'),
        canonical: { srid: 3857, wkb: hex('0104000000020000000101000000000000000000f03f0000000000000040010100000000000000000008400000000000001040') },
      },
    ],
  },
  {
    info: column('u', 'uuid', 'uuid'), binlogType: WIRE.STRING, samples: [
      { literal: "'6ccd780c-baba-1026-9564-5b8c656024db'", zongji: hex('6ccd780cbaba102695645b8c656024db'), canonical: '6ccd780c-baba-1026-9564-5b8c656024db' },
      { literal: "'01234567-89ab-4def-c123-456789abcdef'", zongji: hex('0123456789ab4defc123456789abcdef'), canonical: '01234567-89ab-4def-c123-456789abcdef' },
    ],
  },
  { info: column('i4', 'inet4', 'inet4'), binlogType: WIRE.STRING, samples: [{ literal: "'192.168.0.1'", zongji: hex('c0a80001'), canonical: '192.168.0.1' }] },
  {
    info: column('i6', 'inet6', 'inet6'), binlogType: WIRE.STRING, samples: [
      // server: CAST(i6 AS CHAR)
      { literal: "'::ffff:1.2.3.4'", zongji: hex('00000000000000000000ffff01020304'), canonical: '::ffff:1.2.3.4' },
      { literal: "'1:2:3:4:5:6:7:0'", zongji: hex('00010002000300040005000600070000'), canonical: '1:2:3:4:5:6:7::' },
      { literal: "'::0.0.0.2'", zongji: hex('00000000000000000000000000000002'), canonical: '::2' },
    ],
  },
  {
    info: column('j', 'longtext', 'longtext', { json: true, characterSet: 'utf8mb4' }), binlogType: WIRE.BLOB, samples: [
      { literal: `'{"a": 12345678901234567890123, "f": 1.50e10}'`, zongji: '{"a": 12345678901234567890123, "f": 1.50e10}', canonical: '{"a": 12345678901234567890123, "f": 1.50e10}' },
    ],
  },
];

const decoderFor = (columns: MysqlColumnInfo[], binlogTypes: number[], options?: DecodeOptions) => {
  const table: MysqlTableInfo = { database: 'db', table: 't', columns, primaryKey: [] };
  return compileRowDecoder(table, tableSchemaOf(table), binlogTypes, options);
};

describe('MySQL row decoder on values captured from zongji', () => {
  for (const { info, binlogType, samples } of CAPTURED) {
    it(`decodes ${info.columnType} exactly`, () => {
      const decode = decoderFor([info], [binlogType]);
      for (const sample of samples) {
        expect(decode({ [info.name]: sample.zongji }), sample.literal).toEqual({ [info.name]: sample.canonical });
      }
    });
  }

  it('decodes a whole row and passes NULL through', () => {
    const columns = CAPTURED.map((c) => c.info);
    const decode = decoderFor(columns, CAPTURED.map((c) => c.binlogType));
    const zongjiRow = Object.fromEntries(CAPTURED.map((c) => [c.info.name, c.samples[0]!.zongji]));
    const expected = Object.fromEntries(CAPTURED.map((c) => [c.info.name, c.samples[0]!.canonical]));
    expect(decode(zongjiRow)).toEqual(expected);
    expect(decode(Object.fromEntries(columns.map((c) => [c.name, null])))).toEqual(Object.fromEntries(columns.map((c) => [c.name, null])));
  });

  it('refuses zero dates by default, naming the column, and carries them as -Infinity on request (captured zero values)', () => {
    const columns = [column('d', 'date', 'date'), column('dt', 'datetime', 'datetime(6)'), column('ts', 'timestamp', 'timestamp(6)')];
    const types = [WIRE.DATE, WIRE.DATETIME2, WIRE.TIMESTAMP2];
    const zero = { d: '0000-00-00', dt: '0000-00-00 00:00:00.000000', ts: '0000-00-00 00:00:00.000000' };
    expect(() => decoderFor(columns, types)(zero)).toThrow(new ValueDecodeError('db.t.d', `zero date "0000-00-00" has no exact value (decode option zeroDates: 'negative-infinity' carries it as -Infinity)`));
    expect(() => decoderFor(columns, types)({ ...zero, d: null })).toThrow(/db\.t\.dt: zero date/);
    expect(decoderFor(columns, types, { zeroDates: 'negative-infinity' })(zero)).toEqual({ d: -Infinity, dt: -Infinity, ts: -Infinity });
  });

  it('refuses dates with a zero part or an impossible day whatever the policy (captured: ALLOW_INVALID_DATES inserts)', () => {
    const decode = decoderFor([column('d', 'date', 'date')], [WIRE.DATE], { zeroDates: 'negative-infinity' });
    expect(() => decode({ d: '2020-00-15' })).toThrow(/db\.t\.d: date "2020-00-15" is not a calendar date/);
    expect(() => decode({ d: '2004-02-31' })).toThrow(/db\.t\.d: date "2004-02-31" is not a calendar date/);
  });

  it('fails loudly on the lossy forms zongji hands over when the table map is not bound (captured unbound)', () => {
    const byName = new Map(CAPTURED.map((c) => [c.info.name, c]));
    const unbound: [string, unknown][] = [
      ['e', 'a,b'], // label instead of index token
      ['g', { x: 1.5, y: -2.25 }], // parsed WKB without SRID
      ['j', hex('7b2261223a20317d')], // JSON after a GEOMETRY column: charset misassigned, arrives as bytes
      ['l1', 'A\ufffd\ufffd\ufffd\ufffd\ufffd€ÿ'], // latin1 through iconv-lite's cp1252: five bytes lost
      ['u', '6ccd780c-baba-1026-9564-5b8c656024db'], // formatted by zongji instead of raw bytes
    ];
    for (const [name, value] of unbound) {
      const { info, binlogType } = byName.get(name)!;
      expect(() => decoderFor([info], [binlogType])({ [name]: value }), name).toThrow(ValueDecodeError);
    }
  });

  it('refuses a missing column rather than inventing NULL', () => {
    const decode = decoderFor([column('a', 'int', 'int(11)'), column('b', 'int', 'int(11)')], [WIRE.LONG, WIRE.LONG]);
    expect(() => decode({ a: 1 })).toThrow(/db\.t\.b: zongji delivered no value/);
  });

  it('compiles once per table version and rejects binlog types of another version', () => {
    expect(() => decoderFor([column('a', 'int', 'int(11)')], [WIRE.LONG, WIRE.LONG])).toThrow(/do not match/);
    expect(() => decoderFor([column('t', 'time', 'time')], [WIRE.DATETIME2])).toThrow(/TIME arrives as binlog type 18/);
  });
});

describe('MySQL row decoder on hand-built zongji values (not capturable on the MariaDB 10.11 test bed)', () => {
  it('HAND-BUILT: MySQL 8 JSON (binlog type 245) arrives as zongji’s text rendering and is carried unchanged', () => {
    // zongji renders MySQL binary JSON with ', ' and ': ' separators; docs/types-mysql.md lists what that rendering loses.
    const decode = decoderFor([column('j', 'json', 'json')], [WIRE.JSON]);
    expect(decode({ j: '{"a": 1, "b": [true, null, "x"]}' })).toEqual({ j: '{"a": 1, "b": [true, null, "x"]}' });
    expect(() => decode({ j: { a: 1 } })).toThrow(/expected JSON text from zongji, got Object/);
  });

  it('HAND-BUILT: TIMESTAMP beyond 2038 (MariaDB ≥ 11.5 stores it unsigned; zongji reads it as signed 32-bit)', () => {
    // What zongji prints under timezone 'Z' for 2^31 s and 2^32−1 s: new Date((s − 2^32) * 1000) in UTC.
    const decode = decoderFor([column('ts', 'timestamp', 'timestamp')], [WIRE.TIMESTAMP2]);
    expect(decode({ ts: '1901-12-13 20:45:52' })).toEqual({ ts: 2_147_483_648_000_000n });
    expect(decode({ ts: '1969-12-31 23:59:59' })).toEqual({ ts: 4_294_967_295_000_000n });
  });

  it('HAND-BUILT: pre-5.6 TIME (binlog type 11) with zongji’s decimal borrow, and MariaDB 5.3 hires TIME printed exactly', () => {
    expect(decoderFor([column('t', 'time', 'time', { datetimePrecision: 0 })], [WIRE.TIME])({ t: '-00:99:00' })).toEqual({ t: -3_600_000_000n });
    expect(decoderFor([column('t', 'time', 'time', { datetimePrecision: 0 })], [WIRE.TIME])({ t: '-00:00:00' })).toEqual({ t: -60_000_000n });
    const hires = decoderFor([column('t', 'time', 'time(6) /* mariadb-5.3 */', { datetimePrecision: 6 })], [WIRE.TIME]);
    expect(hires({ t: '-01:00:00.000000' })).toEqual({ t: -3_600_000_000n });
  });

  it('HAND-BUILT: BIGINT beyond 2^53 as zongji’s exact string, within as a number', () => {
    const decode = decoderFor([column('b', 'bigint', 'bigint')], [WIRE.LONGLONG]);
    expect(decode({ b: 9_007_199_254_740_991 })).toEqual({ b: 9_007_199_254_740_991n });
    expect(decode({ b: '-9007199254740993' })).toEqual({ b: -9_007_199_254_740_993n });
  });
});
