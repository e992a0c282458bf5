import { describe, expect, it } from 'vitest';
import { columnInfoFromBinlog, columnsAgree, readBinlogTableMap, reconcileTable, type ZongjiEntrySchemas, type ZongjiTableMapEvent } from '../../connectors/mysql/binlog-table-info.js';
import type { MysqlColumnInfo, MysqlTableInfo } from '../../connectors/mysql/mysql-column-info.js';
import { tableSchemaOf } from '../../connectors/mysql/column-mapping.js';

const column = (name: string, dataType: string, columnType: string, extra: Partial<MysqlColumnInfo> = {}): MysqlColumnInfo => ({
  name, ordinal: 0, dataType, columnType, unsigned: / unsigned/.test(columnType), zerofill: false, nullable: false, json: false, ...extra,
});

/** A TableMap event and zongji's entry as built from MariaDB's FULL row metadata (shapes as zongji 0.9.0 makes them). */
function tableMap(columns: Array<{ name: string; type: number; meta?: Record<string, unknown>; schema: ZongjiEntrySchemas['columnSchemas'][number]; unsigned?: boolean }>, primaryKey?: number[]) {
  const event: ZongjiTableMapEvent = {
    schemaName: 'db',
    tableName: 't',
    columnTypes: columns.map((c) => c.type),
    columnsMetadata: columns.map((c) => c.meta),
    columnNames: columns.map((c) => c.name),
    signedness: columns.map((c) => c.unsigned),
    primaryKey,
    hasSelfDescribingMetadata: () => true,
  };
  return { event, entry: { columnSchemas: columns.map((c) => c.schema) } };
}

const ID = { name: 'id', type: 3, schema: { COLUMN_TYPE: 'int', CHARACTER_SET_NAME: null, UNSIGNED: false }, unsigned: false };
const V = { name: 'v', type: 15, meta: { max_length: 40 }, schema: { COLUMN_TYPE: 'varchar(10)', CHARACTER_SET_NAME: 'utf8mb4' } };
const OLD = { name: 'old', type: 3, schema: { COLUMN_TYPE: 'int unsigned', CHARACTER_SET_NAME: null, UNSIGNED: true }, unsigned: true };
const E = { name: 'e', type: 247, meta: { size: 1 }, schema: { COLUMN_TYPE: "enum('x','y😀')", CHARACTER_SET_NAME: 'utf8mb4', ENUM_VALUES: ['x', 'y😀'] } };
const D = { name: 'd', type: 246, meta: { precision: 12, decimals: 2 }, schema: { COLUMN_TYPE: 'decimal(12,2)', CHARACTER_SET_NAME: null } };
const TS = { name: 'ts', type: 17, meta: { decimals: 6 }, schema: { COLUMN_TYPE: 'timestamp(6)', CHARACTER_SET_NAME: null } };

const introspected: MysqlTableInfo = {
  database: 'db', table: 't', primaryKey: ['id'],
  columns: [
    column('id', 'int', 'int(11)'),
    column('v', 'varchar', 'varchar(10)', { characterSet: 'utf8mb4', maxLength: 10, nullable: true }),
    column('e', 'enum', "enum('x','y?')", { characterSet: 'utf8mb4', labels: ['x', 'y?'], labelsMayBeLossy: true }),
    column('d', 'decimal', 'decimal(12,2)', { numericPrecision: 12, numericScale: 2 }),
    column('ts', 'timestamp', 'timestamp(6)', { datetimePrecision: 6 }),
    column('w', 'int', 'int(11)', { nullable: true }),
  ],
};

describe('binlog table maps', () => {
  it('gives the same signature for the same description and another one when anything changes', () => {
    const a = tableMap([ID, V, E], [0]);
    const b = tableMap([ID, V, E], [0]);
    const c = tableMap([ID, { ...V, meta: { max_length: 80 }, schema: { ...V.schema, COLUMN_TYPE: 'varchar(20)' } }, E], [0]);
    const d = tableMap([ID, V, { ...E, schema: { ...E.schema, ENUM_VALUES: ['x', 'z'] } }], [0]);
    const sig = (m: ReturnType<typeof tableMap>) => readBinlogTableMap(m.event, m.entry).signature;
    expect(sig(a)).toBe(sig(b));
    expect(new Set([sig(a), sig(c), sig(d), sig(tableMap([ID, V, E]))]).size).toBe(4);
  });

  it('keeps INFORMATION_SCHEMA\'s description of the columns the binlog agrees with, and the binlog\'s exact labels', () => {
    const m = tableMap([ID, V, E, D, TS], [0]);
    const { info, fromBinlog } = reconcileTable(readBinlogTableMap(m.event, m.entry), introspected)!;
    expect(fromBinlog).toEqual([]);
    expect(info.columns.map((c) => c.name)).toEqual(['id', 'v', 'e', 'd', 'ts']); // w is later than this event
    expect(info.columns[0]).toEqual({ ...introspected.columns[0], ordinal: 1 });
    expect(info.columns[2]).toMatchObject({ labels: ['x', 'y😀'] });
    expect(info.columns[2]!.labelsMayBeLossy).toBeUndefined();
    expect(info.primaryKey).toEqual(['id']);
  });

  it('takes the binlog\'s description where INFORMATION_SCHEMA lacks a column or describes it differently', () => {
    const changedDecimal = { ...D, meta: { precision: 10, decimals: 4 }, schema: { COLUMN_TYPE: 'decimal(10,4)', CHARACTER_SET_NAME: null } };
    const changedTs = { ...TS, meta: { decimals: 0 }, schema: { COLUMN_TYPE: 'timestamp', CHARACTER_SET_NAME: null } };
    const m = tableMap([ID, OLD, changedDecimal, changedTs, { ...ID, name: 'v', schema: { ...ID.schema } }], [1]);
    const { info, fromBinlog } = reconcileTable(readBinlogTableMap(m.event, m.entry), introspected)!;
    expect(fromBinlog).toEqual(['old', 'd', 'ts', 'v']);
    expect(tableSchemaOf(info).columns.map((c) => [c.name, c.type, c.nullable])).toEqual([
      ['id', { kind: 'int', bits: 32 }, false],
      ['old', { kind: 'long', unsigned32: true }, true],
      ['d', { kind: 'decimal', precision: 10, scale: 4 }, true],
      ['ts', { kind: 'timestamp-micros', zoned: true }, true],
      ['v', { kind: 'int', bits: 32 }, true],
    ]);
    expect(info.primaryKey).toEqual(['old']);
  });

  it('keeps the earlier version\'s description of a column INFORMATION_SCHEMA no longer has, when the binlog still agrees with it', () => {
    // The stream bound (id, v, old) before; INFORMATION_SCHEMA now shows a later shape without v and with old retyped.
    const earlier: MysqlTableInfo = {
      database: 'db', table: 't', primaryKey: ['id'], options: { charset: 'latin1', collation: 'latin1_swedish_ci' },
      columns: [
        column('id', 'int', 'int(11)'),
        column('v', 'varchar', 'varchar(10)', { characterSet: 'utf8mb4', collation: 'utf8mb4_bin', maxLength: 10, nullable: false, default: { kind: 'literal', expression: "'x'", text: 'x' } }),
        column('old', 'int', 'int(10) unsigned', { nullable: true }),
      ],
    };
    const now: MysqlTableInfo = { database: 'db', table: 't', primaryKey: ['id'], columns: [column('id', 'int', 'int(11)'), column('old', 'bigint', 'bigint(20)')] };
    const m = tableMap([ID, V, OLD, D], [0]);
    const { info, fromBinlog, fromEarlier } = reconcileTable(readBinlogTableMap(m.event, m.entry), now, earlier)!;
    expect(fromEarlier).toEqual(['v', 'old']);
    expect(fromBinlog).toEqual(['d']); // in neither
    expect(info.columns[1]).toEqual({ ...earlier.columns[1], ordinal: 2 });
    expect(info.columns[2]).toEqual({ ...earlier.columns[2], ordinal: 3 });
    expect(info.columns[3]).toMatchObject({ name: 'd', nullable: true, ordinal: 4 });
    expect(info.options).toBeUndefined(); // INFORMATION_SCHEMA has the table: its options, not the earlier ones
    // An earlier description the binlog contradicts is not taken.
    const retyped = tableMap([ID, { ...V, type: 3, meta: undefined, schema: { COLUMN_TYPE: 'int', CHARACTER_SET_NAME: null, UNSIGNED: false }, unsigned: false }]);
    expect(reconcileTable(readBinlogTableMap(retyped.event, retyped.entry), now, earlier)!.fromBinlog).toEqual(['v']);
    // The table gone from INFORMATION_SCHEMA: the earlier version describes what it can, options included.
    const gone = reconcileTable(readBinlogTableMap(m.event, m.entry), undefined, earlier)!;
    expect(gone.fromEarlier).toEqual(['id', 'v', 'old']);
    expect(gone.info.options).toEqual({ charset: 'latin1', collation: 'latin1_swedish_ci' });
  });

  it('compares collations by the server\'s ids, and sizes a column described from the binlog alone by its character set', () => {
    const U = { ...V, name: 'u' };
    const m = tableMap([ID, V, U, E]);
    m.event._columnCharsetIds = [undefined, 1070, 45, 45];
    const map = readBinlogTableMap(m.event, m.entry);
    expect(map.columns!.map((c) => c.collationId)).toEqual([undefined, 1070, 45, 45]);
    expect(map.columns!.map((c) => c.byteWidth)).toEqual([undefined, 40, 40, undefined]);

    const server = new Map([
      [45, { name: 'utf8mb4_general_ci', charset: 'utf8mb4', maxBytesPerChar: 4 }],
      [63, { name: 'binary', charset: 'binary', maxBytesPerChar: 1 }],
      [1070, { name: 'utf8mb4_nopad_bin', charset: 'utf8mb4', maxBytesPerChar: 4 }],
      [1071, { name: 'latin1_nopad_bin', charset: 'latin1', maxBytesPerChar: 1 }],
    ]);
    const collations = { idOf: (name: string) => [...server].find(([, c]) => c.name === name)?.[0], byId: (id: number) => server.get(id) };
    const v = (collation: string) => column('v', 'varchar', 'varchar(10)', { characterSet: collation.split('_')[0], collation, maxLength: 10 });
    expect(columnsAgree(v('utf8mb4_nopad_bin'), map.columns![1]!, collations)).toBe(true);
    expect(columnsAgree(v('utf8mb4_general_ci'), map.columns![1]!, collations)).toBe(false);
    expect(columnsAgree(v('utf8mb4_general_ci'), map.columns![1]!)).toBe(true); // no server ids: not compared
    expect(columnsAgree(v('latin1_unknown_ci'), map.columns![1]!, collations)).toBe(true); // a name the server does not list
    expect(columnsAgree(v('utf8mb4_general_ci'), { ...map.columns![1]!, collationId: undefined }, collations)).toBe(true); // id unknown: not compared
    // From the binlog alone, the server names the id and sizes the type: zongji's table has no 1071, guessed utf8mb4
    // (4 bytes a character) and printed varchar(2) for 10 latin1 characters; nor does it print text for binary.
    const latin = { ...map.columns![1]!, collationId: 1071, characterSet: 'utf8mb4', columnType: 'varchar(2)', byteWidth: 10 };
    expect(columnInfoFromBinlog(latin, 2, collations)).toMatchObject({ characterSet: 'latin1', collation: 'latin1_nopad_bin', columnType: 'varchar(10)', dataType: 'varchar' });
    expect(columnInfoFromBinlog(latin, 2)).toMatchObject({ characterSet: 'utf8mb4', columnType: 'varchar(2)' });
    const shifted = { ...latin, collationId: 45, characterSet: null, columnType: 'varbinary(40)', byteWidth: 40 };
    expect(columnInfoFromBinlog(shifted, 2, collations)).toMatchObject({ characterSet: 'utf8mb4', columnType: 'varchar(10)', dataType: 'varchar' });
    const blob = { ...latin, wireType: 252, collationId: 63, columnType: 'text', byteWidth: 2 };
    expect(columnInfoFromBinlog(blob, 2, collations)).toMatchObject({ columnType: 'blob', dataType: 'blob' });
  });

  it('describes a table INFORMATION_SCHEMA no longer has from the binlog alone', () => {
    const m = tableMap([ID, V, E, D, TS], [0]);
    const { info, fromBinlog } = reconcileTable(readBinlogTableMap(m.event, m.entry), undefined)!;
    expect(fromBinlog).toEqual(['id', 'v', 'e', 'd', 'ts']);
    expect(tableSchemaOf(info).columns.map((c) => [c.name, c.type.kind, c.sourceType])).toEqual([
      ['id', 'int', 'int'], ['v', 'string', 'varchar(10)'], ['e', 'enum', "enum('x','y😀')"], ['d', 'decimal', 'decimal(12,2)'], ['ts', 'timestamp-micros', 'timestamp(6)'],
    ]);
    expect(columnInfoFromBinlog({ name: 'b', wireType: 16, columnType: 'bit(10)', characterSet: null, bits: 10 }, 1)).toMatchObject({ dataType: 'bit', bitLength: 10, nullable: true });
  });

  it('without FULL metadata, has only INFORMATION_SCHEMA', () => {
    const m = tableMap([ID, V]);
    const event = { ...m.event, columnNames: undefined, hasSelfDescribingMetadata: () => false };
    const map = readBinlogTableMap(event, m.entry);
    expect(map.columns).toBeUndefined();
    expect(reconcileTable(map, introspected)).toEqual({ info: introspected, fromBinlog: [], fromEarlier: [] });
    expect(reconcileTable(map, undefined)).toBeUndefined();
  });
});
