import { describe, expect, it } from 'vitest';
import { columnTypeOf, tableSchemaOf } from '../../connectors/mysql/column-mapping.js';
import type { MysqlColumnInfo } from '../../connectors/mysql/mysql-column-info.js';
import { UnsupportedColumnTypeError } from '../../connectors/mysql/mysql-errors.js';

const table = { database: 'shop', table: 'orders' };
const column = (dataType: string, columnType: string, extra: Partial<MysqlColumnInfo> = {}): MysqlColumnInfo => ({
  name: 'c', ordinal: 1, dataType, columnType, unsigned: /unsigned/.test(columnType), zerofill: false, nullable: true, json: false, ...extra,
});
const typeOf = (dataType: string, columnType = dataType, extra: Partial<MysqlColumnInfo> = {}) => columnTypeOf(table, column(dataType, columnType, extra));

describe('MySQL/MariaDB column → ColumnType', () => {
  it('maps the integer types by width and signedness; INT UNSIGNED to long, BIGINT UNSIGNED to DECIMAL(20,0)', () => {
    expect(typeOf('tinyint', 'tinyint(4)')).toEqual({ kind: 'int', bits: 8 });
    expect(typeOf('tinyint', 'tinyint(3) unsigned')).toEqual({ kind: 'int', bits: 8, unsigned: true });
    expect(typeOf('smallint', 'smallint(6)')).toEqual({ kind: 'int', bits: 16 });
    expect(typeOf('smallint', 'smallint(5) unsigned')).toEqual({ kind: 'int', bits: 16, unsigned: true });
    expect(typeOf('mediumint', 'mediumint(9)')).toEqual({ kind: 'int', bits: 24 });
    expect(typeOf('mediumint', 'mediumint(8) unsigned')).toEqual({ kind: 'int', bits: 24, unsigned: true });
    expect(typeOf('int', 'int(11)')).toEqual({ kind: 'int', bits: 32 });
    expect(typeOf('int', 'int(10) unsigned')).toEqual({ kind: 'long', unsigned32: true });
    expect(typeOf('int', 'int unsigned')).toEqual({ kind: 'long', unsigned32: true }); // MySQL 8 spelling
    expect(typeOf('bigint', 'bigint(20)')).toEqual({ kind: 'long' });
    expect(typeOf('bigint', 'bigint(20) unsigned')).toEqual({ kind: 'decimal', precision: 20, scale: 0 });
  });

  it('keeps TINYINT(1)/BOOLEAN an 8-bit int, since it holds −128…127', () => {
    expect(tableSchemaOf({ ...table, columns: [column('tinyint', 'tinyint(1)')], primaryKey: [] }).columns[0])
      .toEqual({ name: 'c', type: { kind: 'int', bits: 8 }, nullable: true, sourceType: 'tinyint(1)' });
  });

  it('maps floating point and DECIMAL up to (65,30)', () => {
    expect(typeOf('float', 'float')).toEqual({ kind: 'float' });
    expect(typeOf('float', 'float(7,3) unsigned')).toEqual({ kind: 'float' });
    expect(typeOf('double', 'double')).toEqual({ kind: 'double' });
    expect(typeOf('decimal', 'decimal(65,30)', { numericPrecision: 65, numericScale: 30 })).toEqual({ kind: 'decimal', precision: 65, scale: 30 });
    expect(typeOf('decimal', 'decimal(10,0)', { numericPrecision: 10, numericScale: 0 })).toEqual({ kind: 'decimal', precision: 10, scale: 0 });
    expect(() => typeOf('decimal', 'decimal(66,0)', { numericPrecision: 66, numericScale: 0 })).toThrow(UnsupportedColumnTypeError);
  });

  it('maps the temporal types: DATETIME unzoned, TIMESTAMP zoned (UTC), TIME as a duration', () => {
    expect(typeOf('date')).toEqual({ kind: 'date' });
    expect(typeOf('datetime', 'datetime(6)')).toEqual({ kind: 'timestamp-micros', zoned: false });
    expect(typeOf('timestamp', 'timestamp(6)')).toEqual({ kind: 'timestamp-micros', zoned: true });
    expect(typeOf('time', 'time(6)')).toEqual({ kind: 'duration-micros' });
    expect(typeOf('year', 'year(4)')).toEqual({ kind: 'year' });
  });

  it('maps text in any charset to string, binary to bytes, MariaDB JSON (LONGTEXT + json_valid) and MySQL JSON to json', () => {
    for (const t of ['char', 'varchar', 'tinytext', 'text', 'mediumtext', 'longtext']) expect(typeOf(t, t, { characterSet: 'latin1' })).toEqual({ kind: 'string' });
    for (const t of ['binary', 'varbinary', 'tinyblob', 'blob', 'mediumblob', 'longblob']) expect(typeOf(t)).toEqual({ kind: 'bytes' });
    expect(typeOf('longtext', 'longtext', { json: true })).toEqual({ kind: 'json' });
    expect(typeOf('json')).toEqual({ kind: 'json' });
  });

  it('maps BIT(n), ENUM, SET, geometry, UUID and INET', () => {
    expect(typeOf('bit', 'bit(1)', { bitLength: 1 })).toEqual({ kind: 'bits', length: 1 });
    expect(typeOf('bit', 'bit(64)', { bitLength: 64 })).toEqual({ kind: 'bits', length: 64 });
    expect(typeOf('enum', "enum('a','b')", { labels: ['a', 'b'] })).toEqual({ kind: 'enum', name: 'orders_c', symbols: ['a', 'b', ''] });
    expect(typeOf('enum', "enum('','b')", { labels: ['', 'b'] })).toEqual({ kind: 'enum', name: 'orders_c', symbols: ['', 'b'] });
    expect(typeOf('set', "set('a','')", { labels: ['a', ''] })).toEqual({ kind: 'set', name: 'orders_c', symbols: ['a', ''] });
    for (const t of ['geometry', 'point', 'linestring', 'polygon', 'multipoint', 'multilinestring', 'multipolygon', 'geometrycollection', 'geomcollection']) {
      expect(typeOf(t)).toEqual({ kind: 'geometry' });
    }
    expect(typeOf('uuid')).toEqual({ kind: 'uuid' });
    expect(typeOf('inet4')).toEqual({ kind: 'string', semantic: 'inet' });
    expect(typeOf('inet6')).toEqual({ kind: 'string', semantic: 'inet' });
  });

  it('refuses types it cannot carry, naming the column', () => {
    expect(() => typeOf('vector', 'vector(3)')).toThrow('column shop.orders.c: type vector(3) is not supported');
  });

  it('builds the table schema with the primary key in key order', () => {
    const schema = tableSchemaOf({
      ...table,
      columns: [column('int', 'int(11)', { name: 'b', nullable: false }), column('varchar', 'varchar(10)', { name: 'a', characterSet: 'utf8mb4' })],
      primaryKey: ['b', 'a'],
    });
    expect(schema).toEqual({
      id: { namespace: 'shop', name: 'orders' },
      columns: [
        { name: 'b', type: { kind: 'int', bits: 32 }, nullable: false, sourceType: 'int(11)' },
        { name: 'a', type: { kind: 'string' }, nullable: true, sourceType: 'varchar(10)' },
      ],
      key: ['b', 'a'],
    });
  });
});
