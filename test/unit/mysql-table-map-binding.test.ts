import { describe, expect, it } from 'vitest';
import { bindTableMap, type ZongjiTableMapEntry } from '../../connectors/mysql/table-map-binding.js';
import type { MysqlColumnInfo, MysqlTableInfo } from '../../connectors/mysql/mysql-column-info.js';
import { TableMapMismatchError } from '../../connectors/mysql/mysql-errors.js';
import { EXACT_ZONGJI_CONNECTION_OPTIONS, inexactDecodingOptions } from '../../connectors/mysql/zongji-options.js';

const column = (name: string, dataType: string, columnType: string, extra: Partial<MysqlColumnInfo> = {}): MysqlColumnInfo => ({
  name, ordinal: 0, dataType, columnType, unsigned: / unsigned/.test(columnType), zerofill: false, nullable: true, json: false, ...extra,
});

const table: MysqlTableInfo = {
  database: 'db',
  table: 't',
  primaryKey: ['id'],
  columns: [
    column('id', 'int', 'int(10) unsigned'),
    column('g', 'geometry', 'geometry'),
    column('u', 'uuid', 'uuid'),
    column('j', 'longtext', 'longtext', { json: true, characterSet: 'utf8mb4' }),
    column('l1', 'varchar', 'varchar(20)', { characterSet: 'latin1' }),
    column('bn', 'binary', 'binary(4)', { maxLength: 4 }),
    column('e', 'enum', "enum('a,b','c')", { labels: ['a,b', 'c'], characterSet: 'utf8mb4' }),
    column('st', 'set', "set('x','')", { labels: ['x', ''], characterSet: 'utf8mb4' }),
  ],
};

/**
 * zongji's tableMap entry for that table as zongji 0.9.0 built it from MariaDB 10.11's FULL row metadata (CAPTURED
 * shape and values: note `j` without charset — misassigned after the GEOMETRY column — and `u` as binary(16)).
 */
const capturedEntry = (): ZongjiTableMapEntry => ({
  columnSchemas: [
    { COLUMN_TYPE: 'int unsigned', CHARACTER_SET_NAME: null, UNSIGNED: true },
    { COLUMN_TYPE: 'geometry', CHARACTER_SET_NAME: null },
    { COLUMN_TYPE: 'binary(16)', CHARACTER_SET_NAME: null },
    { COLUMN_TYPE: 'longblob', CHARACTER_SET_NAME: null },
    { COLUMN_TYPE: 'varchar(20)', CHARACTER_SET_NAME: 'latin1' },
    { COLUMN_TYPE: 'binary(4)', CHARACTER_SET_NAME: null },
    { COLUMN_TYPE: "enum('a,b','c')", CHARACTER_SET_NAME: 'utf8mb4', ENUM_VALUES: ['a,b', 'c'] },
    { COLUMN_TYPE: "set('x','')", CHARACTER_SET_NAME: 'utf8mb4', SET_VALUES: ['x', ''] },
  ],
  columns: [
    { name: 'id', charset: null, type: 3 },
    { name: 'g', charset: null, type: 255 },
    { name: 'u', charset: null, type: 254 },
    { name: 'j', charset: null, type: 252 },
    { name: 'l1', charset: 'latin1', type: 15 },
    { name: 'bn', charset: null, type: 254 },
    { name: 'e', charset: 'utf8mb4', type: 247 },
    { name: 'st', charset: 'utf8mb4', type: 248 },
  ],
});

describe('bindTableMap', () => {
  it('rewrites exactly what zongji would decode lossily and returns the original binlog types', () => {
    const entry = capturedEntry();
    expect(bindTableMap(entry, table)).toEqual([3, 255, 254, 252, 15, 254, 247, 248]);
    expect(entry.columns!.map((c) => [c.name, c.type, c.charset])).toEqual([
      ['id', 3, null],
      ['g', 251, null], // GEOMETRY read as LONGBLOB: SRID + WKB bytes
      ['u', 254, null],
      ['j', 252, 'utf8mb4'], // charset from INFORMATION_SCHEMA, not zongji's misassigned one
      ['l1', 15, 'binary'], // latin1 one character per byte
      ['bn', 254, null],
      ['e', 247, 'utf8mb4'],
      ['st', 248, 'utf8mb4'],
    ]);
    expect(entry.columnSchemas.map((s) => s.COLUMN_TYPE)).toEqual(['int unsigned', 'geometry', 'binary(16)', 'longtext', 'varchar(20)', 'binary(4)', "enum('a,b','c')", "set('x','')"]);
    expect(entry.columnSchemas[0]!.UNSIGNED).toBe(true);
    expect(entry.columnSchemas[6]!.ENUM_VALUES).toEqual(['1', '2']);
    expect(entry.columnSchemas[7]!.SET_VALUES).toEqual(['0', '1']);
  });

  it('is idempotent (zongji reuses a cached entry when it fetched INFORMATION_SCHEMA itself)', () => {
    const entry = capturedEntry();
    bindTableMap(entry, table);
    const once = structuredClone(entry);
    bindTableMap(entry, table);
    expect(entry).toEqual(once);
  });

  it('detects a table map of another table version', () => {
    const renamed = capturedEntry();
    renamed.columns![4]!.name = 'l2';
    expect(() => bindTableMap(renamed, table)).toThrow(TableMapMismatchError);
    expect(() => bindTableMap(renamed, table)).toThrow(/column 5 is "l2" in the binlog, "l1" in INFORMATION_SCHEMA/);

    const retyped = capturedEntry();
    retyped.columns![0]!.type = 15;
    expect(() => bindTableMap(retyped, table)).toThrow(/column id \(int\(10\) unsigned\) arrives as binlog type 15/);

    const dateAsTime = capturedEntry();
    const withDate: MysqlTableInfo = { ...table, columns: table.columns.map((c, i) => (i === 0 ? column('id', 'date', 'date') : c)) };
    dateAsTime.columns![0]!.type = 19;
    expect(() => bindTableMap(dateAsTime, withDate)).toThrow(/column id \(date\) arrives as binlog type 19/);

    const shorter = capturedEntry();
    shorter.columns!.pop();
    shorter.columnSchemas.pop();
    expect(() => bindTableMap(shorter, table)).toThrow(/binlog has 7 columns, introspection 8/);

    expect(() => bindTableMap({ columnSchemas: [] }, table)).toThrow(/not resolved/);
  });
});

describe('zongji connection options', () => {
  it('names every option that would make values inexact', () => {
    expect(inexactDecodingOptions({ ...EXACT_ZONGJI_CONNECTION_OPTIONS })).toEqual([]);
    expect(inexactDecodingOptions({})).toEqual(['dateStrings must be true', "timezone must be 'Z'", 'jsonStrings must be true']);
    expect(inexactDecodingOptions({ ...EXACT_ZONGJI_CONNECTION_OPTIONS, timezone: 'local', decimalNumbers: true })).toEqual([
      "timezone must be 'Z'",
      'decimalNumbers must be false',
    ]);
  });
});
