import { describe, expect, it } from 'vitest';
import { PgChunkQueries } from '../../connectors/postgres/snapshot-chunks.js';
import type { PgMappedColumn } from '../../connectors/postgres/column-mapping.js';
import { MysqlChunkQueries } from '../../connectors/mysql/snapshot-chunks.js';
import type { MysqlColumnInfo, MysqlTableInfo } from '../../connectors/mysql/mysql-column-info.js';
import { tableSchemaOf } from '../../connectors/mysql/column-mapping.js';

const pgColumn = (name: string, sourceType: string): PgMappedColumn => ({ name, type: { kind: 'string' }, nullable: false, sourceType, arrayDelimiter: ',', money: false });

describe('PostgreSQL chunk queries', () => {
  const columns = [pgColumn('tenant', 'text'), pgColumn('Id', 'bigint'), pgColumn('note', 'text')];
  const queries = new PgChunkQueries({ schema: { id: { namespace: 'public', name: 'Order"s' }, columns, key: ['tenant', 'Id'] }, columns });

  it('reads a key range in key order, bounds as typed literals compared as row values', () => {
    expect(queries.selectRange({ after: null, upTo: null })).toBe('SELECT "tenant", "Id", "note" FROM ONLY "public"."Order""s" ORDER BY "tenant", "Id"');
    expect(queries.selectRange({ after: ["o'brien", '7'], upTo: ['z', '1'] })).toBe(
      `SELECT "tenant", "Id", "note" FROM ONLY "public"."Order""s" WHERE ("tenant", "Id") > ('o''brien'::text, '7'::bigint) AND ("tenant", "Id") <= ('z'::text, '1'::bigint) ORDER BY "tenant", "Id"`,
    );
  });

  it('finds the upper bound of the next chunk of n rows', () => {
    expect(queries.boundary(['a', '1'], 500)).toBe(`SELECT "tenant", "Id" FROM ONLY "public"."Order""s" WHERE ("tenant", "Id") > ('a'::text, '1'::bigint) ORDER BY "tenant", "Id" OFFSET 499 LIMIT 1`);
    expect(queries.keyOf({ tenant: 'a', Id: '9', note: 'x' })).toEqual(['a', '9']);
  });

  it('reads a partitioned table with its partitions, any other table without its inheritance children (published as tables of their own)', () => {
    const partitioned = new PgChunkQueries({ schema: { id: { namespace: 's', name: 'm' }, columns, key: ['Id'] }, columns, partitioned: true });
    expect(partitioned.selectRange({ after: null, upTo: null })).toBe('SELECT "tenant", "Id", "note" FROM "s"."m" ORDER BY "Id"');
    expect(queries.selectRange({ after: null, upTo: null })).toMatch(/ FROM ONLY "public"/);
  });

  it('reads a keyless table whole, in no order', () => {
    const keyless = new PgChunkQueries({ schema: { id: { namespace: 's', name: 't' }, columns, key: [] }, columns });
    expect(keyless.keyed).toBe(false);
    expect(keyless.selectRange({ after: null, upTo: null })).toBe('SELECT "tenant", "Id", "note" FROM ONLY "s"."t"');
  });
});

const myColumn = (name: string, ordinal: number, dataType: string, extra: Partial<MysqlColumnInfo> = {}): MysqlColumnInfo => ({
  name, ordinal, dataType, columnType: dataType, unsigned: false, zerofill: false, nullable: false, json: false, ...extra,
});

describe('MySQL chunk queries', () => {
  const table: MysqlTableInfo = {
    database: 'shop',
    table: 'lines',
    columns: [
      myColumn('order_id', 1, 'bigint', { unsigned: true, columnType: 'bigint(20) unsigned' }),
      myColumn('code', 2, 'varchar', { characterSet: 'utf8mb4', maxLength: 10 }),
      myColumn('price', 3, 'decimal', { numericPrecision: 12, numericScale: 2 }),
      myColumn('weight', 4, 'float'),
      myColumn('tag', 5, 'enum', { labels: ['a', 'b'], columnType: "enum('a','b')" }),
    ],
    primaryKey: ['order_id', 'code'],
  };
  const queries = new MysqlChunkQueries(table, tableSchemaOf(table));

  it('selects each column in the form the binlog decoders take, and bounds a composite key exactly', () => {
    const { sql, values } = queries.selectRange({ after: ['18446744073709551615', 'x'], upTo: null });
    expect(sql).toBe('SELECT `order_id` AS c0, `code` AS c1, `price` AS c2, CAST(`weight` AS DOUBLE) AS c3, `tag`+0 AS c4 FROM `shop`.`lines`'
      + ' WHERE (`order_id` > CAST(? AS UNSIGNED) OR `order_id` = CAST(? AS UNSIGNED) AND `code` > ?) ORDER BY `order_id`, `code`');
    expect(values).toEqual(['18446744073709551615', '18446744073709551615', 'x']);
    const range = queries.selectRange({ after: ['1', 'a'], upTo: ['2', 'b'] });
    expect(range.sql).toContain('WHERE (`order_id` > CAST(? AS UNSIGNED) OR `order_id` = CAST(? AS UNSIGNED) AND `code` > ?) AND NOT (`order_id` > CAST(? AS UNSIGNED) OR `order_id` = CAST(? AS UNSIGNED) AND `code` > ?)');
    expect(range.values).toEqual(['1', '1', 'a', '2', '2', 'b']);
    expect(queries.boundary(null, 100)).toEqual({ sql: 'SELECT CAST(`order_id` AS CHAR) AS k0, CAST(`code` AS CHAR) AS k1 FROM `shop`.`lines` ORDER BY `order_id`, `code` LIMIT 1 OFFSET 99', values: [] });
  });

  it('reads a table whose key cannot be bounded exactly (FLOAT, ENUM) as one chunk', () => {
    for (const key of ['weight', 'tag']) {
      const q = new MysqlChunkQueries({ ...table, primaryKey: [key] }, tableSchemaOf({ ...table, primaryKey: [key] }));
      expect(q.keyed, key).toBe(false);
      expect(q.selectRange({ after: null, upTo: null }).sql).not.toContain('ORDER BY');
    }
  });

  it('decodes a row of the select into canonical values, as the binlog decoders do', () => {
    const { row } = queries.decode({ c0: '18446744073709551615', c1: 'x', c2: '12.50', c3: 0.10000000149011612, c4: 2 });
    expect(row).toEqual({ order_id: '18446744073709551615', code: 'x', price: '12.50', weight: 0.10000000149011612, tag: 'b' });
  });
});
