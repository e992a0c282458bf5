import { describe, expect, it } from 'vitest';
import { type PgColumnFacts, pgSchemaChange } from '../../connectors/postgres/row-rewrite.js';
import { TableShapes } from '../../connectors/postgres/table-shapes.js';
import { alterClauses } from '../../connectors/mysql/alter-clauses.js';
import { isExpressionDefault, mysqlSchemaChange, type MysqlColumnDefault } from '../../connectors/mysql/row-rewrite.js';
import type { MysqlColumnInfo, MysqlTableInfo } from '../../connectors/mysql/mysql-column-info.js';

// The rules that decide whether a DDL changed existing rows without row events (docs/schema-changes.md).
const T = { namespace: 'public', name: 't' };
const INT4 = 23;
const NUMERIC = 1700;
const UUID = 2950;
const TEXT = 25;
const col = (name: string, typeOid: number, typeMod = -1) => ({ name, typeOid, typeMod });
const fact = (attnum: number, f: Partial<PgColumnFacts> = {}): PgColumnFacts => ({ attnum, hasDefault: false, hasMissingValue: false, identity: false, generated: false, ...f });
const before = [col('id', INT4), col('n', INT4)];
const baseFacts: Array<[string, PgColumnFacts]> = [['id', fact(1)], ['n', fact(2)]];

describe('PostgreSQL: a new Relation message against the previous one', () => {
  it('an added column with a default but no stored missing value was evaluated per row (volatile): rewritten', () => {
    const facts = new Map([...baseFacts, ['u', fact(3, { hasDefault: true })]]);
    expect(pgSchemaChange(T, before, [...before, col('u', UUID)], facts, 2)).toEqual({ table: T, rewritesRows: true, reason: 'volatile-default', columns: ['u'] });
  });

  it('an added column with a constant default (stored once, atthasmissing) or none: existing rows unchanged', () => {
    const constant = new Map([...baseFacts, ['c', fact(3, { hasDefault: true, hasMissingValue: true })]]);
    expect(pgSchemaChange(T, before, [...before, col('c', TEXT)], constant, 2)).toEqual({ table: T, rewritesRows: false, columns: ['c'] });
    const none = new Map([...baseFacts, ['c', fact(3)]]);
    expect(pgSchemaChange(T, before, [...before, col('c', TEXT)], none, 2).rewritesRows).toBe(false);
  });

  it('a renamed column keeps its attnum: not an added one, even with a default', () => {
    const facts = new Map<string, PgColumnFacts>([['id', fact(1)], ['m', fact(2, { hasDefault: true })]]);
    expect(pgSchemaChange(T, before, [col('id', INT4), col('m', INT4)], facts, 2).rewritesRows).toBe(false);
  });

  it('an added identity column got sequence values: rewritten', () => {
    const facts = new Map([...baseFacts, ['seq', fact(3, { identity: true })]]);
    expect(pgSchemaChange(T, before, [...before, col('seq', INT4)], facts, 2)).toMatchObject({ rewritesRows: true, reason: 'identity-column', columns: ['seq'] });
  });

  it('an added stored generated column (published from PostgreSQL 18) got a value in every row: rewritten', () => {
    const facts = new Map([...baseFacts, ['total', fact(3, { hasDefault: true, generated: true })]]);
    expect(pgSchemaChange(T, before, [...before, col('total', INT4)], facts, 2)).toMatchObject({ rewritesRows: true, reason: 'stored-generated-column', columns: ['total'] });
  });

  it('a column of another type or modifier (ALTER COLUMN … TYPE … USING): rewritten', () => {
    const facts = new Map(baseFacts);
    expect(pgSchemaChange(T, before, [col('id', INT4), col('n', NUMERIC, (12 << 16 | 2) + 4)], facts, 2)).toEqual({ table: T, rewritesRows: true, reason: 'column-type-changed', columns: ['n'] });
    const numeric = [col('id', INT4), col('n', NUMERIC, (12 << 16 | 0) + 4)];
    expect(pgSchemaChange(T, numeric, [col('id', INT4), col('n', NUMERIC, (12 << 16 | 2) + 4)], facts, 2)).toMatchObject({ rewritesRows: true, reason: 'column-type-changed' });
  });

  it('a dropped column changes no remaining row', () => {
    expect(pgSchemaChange(T, before, [col('id', INT4)], new Map([['id', fact(1)]]), 2)).toEqual({ table: T, rewritesRows: false, columns: [] });
  });
});

describe('MariaDB/MySQL: ALTER TABLE clauses', () => {
  it('reads ADD, MODIFY, CHANGE and CONVERT TO CHARACTER SET, and nothing else', () => {
    expect(alterClauses('ALTER TABLE shop.items ADD COLUMN created timestamp DEFAULT CURRENT_TIMESTAMP, ADD INDEX (note), MODIFY c varchar(20) NOT NULL')).toEqual([
      { kind: 'add-column', column: 'created' },
      { kind: 'retype-column', column: 'c', to: 'c' },
    ]);
    expect(alterClauses('alter online table `a b` add if not exists `x,y` int default (uuid()), change column old new decimal(10,3)')).toEqual([
      { kind: 'add-column', column: 'x,y' },
      { kind: 'retype-column', column: 'old', to: 'new' },
    ]);
    expect(alterClauses('ALTER TABLE t ADD (a int, b varchar(5) DEFAULT \'x,y\', PRIMARY KEY (a))')).toEqual([
      { kind: 'add-column', column: 'a' },
      { kind: 'add-column', column: 'b' },
    ]);
    expect(alterClauses('ALTER TABLE t /* why */ CONVERT TO CHARACTER SET utf8mb4')).toEqual([{ kind: 'convert-charset' }]);
    expect(alterClauses('ALTER TABLE t ADD CONSTRAINT c CHECK (a > 0), ALTER COLUMN a SET DEFAULT 1, RENAME TO u')).toEqual([]);
    expect(alterClauses('CREATE TABLE t (a int)')).toEqual([]);
  });

  it('tells an expression default from a literal: MariaDB prints literals quoted or as numbers, MySQL 8 flags expressions', () => {
    const d = (columnDefault: string | null, extra = ''): MysqlColumnDefault => ({ columnDefault, extra });
    expect(isExpressionDefault(d('current_timestamp()'), true)).toBe(true);
    expect(isExpressionDefault(d('uuid()'), true)).toBe(true);
    expect(isExpressionDefault(d("'abc'"), true)).toBe(false);
    expect(isExpressionDefault(d('-1.5'), true)).toBe(false);
    expect(isExpressionDefault(d('NULL'), true)).toBe(false);
    expect(isExpressionDefault(d(null), true)).toBe(false);
    expect(isExpressionDefault(d('uuid()', 'DEFAULT_GENERATED'), false)).toBe(true);
    expect(isExpressionDefault(d('CURRENT_TIMESTAMP'), false)).toBe(true);
    expect(isExpressionDefault(d('abc'), false)).toBe(false);
  });
});

describe('MariaDB/MySQL: what an ALTER TABLE did to existing rows', () => {
  const column = (name: string, columnType: string, extra: Partial<MysqlColumnInfo> = {}): MysqlColumnInfo => ({
    name, ordinal: 1, dataType: columnType.replace(/\(.*$/, ''), columnType, unsigned: false, zerofill: false, nullable: true, json: false, ...extra,
  });
  const info = (...columns: MysqlColumnInfo[]): MysqlTableInfo => ({ database: 'shop', table: 'items', columns, primaryKey: ['id'] });
  const M = { namespace: 'shop', name: 'items' };
  const was = info(column('id', 'int(11)'), column('c', 'int(11)'), column('note', 'varchar(50)', { characterSet: 'utf8mb4' }));
  const change = (sql: string, before: MysqlTableInfo | undefined, after: MysqlTableInfo, defaults: Array<[string, MysqlColumnDefault]> = []) =>
    mysqlSchemaChange(M, sql, alterClauses(sql), before, after, new Map(defaults), true);

  it('ADD with an expression default or a STORED/PERSISTENT generated column: rewritten; a literal default, none or VIRTUAL: not', () => {
    const withCreated = info(...was.columns, column('created', 'timestamp'));
    expect(change('ALTER TABLE items ADD COLUMN created timestamp DEFAULT CURRENT_TIMESTAMP', was, withCreated, [['created', { columnDefault: 'current_timestamp()', extra: '' }]]))
      .toMatchObject({ rewritesRows: true, reason: 'volatile-default', columns: ['created'] });
    expect(change("ALTER TABLE items ADD COLUMN created timestamp DEFAULT '2020-01-01 00:00:00'", was, withCreated, [['created', { columnDefault: "'2020-01-01 00:00:00'", extra: '' }]]))
      .toMatchObject({ rewritesRows: false, columns: ['created'] });
    expect(change('ALTER TABLE items ADD COLUMN created timestamp NULL', was, withCreated, [['created', { columnDefault: 'NULL', extra: '' }]])!.rewritesRows).toBe(false);
    expect(change('ALTER TABLE items ADD COLUMN created int AS (c * 2) PERSISTENT', was, withCreated, [['created', { columnDefault: null, extra: 'PERSISTENT GENERATED' }]]))
      .toMatchObject({ rewritesRows: true, reason: 'stored-generated-column' });
    expect(change('ALTER TABLE items ADD COLUMN created int AS (c * 2) VIRTUAL', was, withCreated, [['created', { columnDefault: null, extra: 'VIRTUAL GENERATED' }]])!.rewritesRows).toBe(false);
  });

  it('MODIFY/CHANGE converting values (int → varchar, decimal scale): rewritten; the same type (a rename, NOT NULL): not', () => {
    expect(change('ALTER TABLE items MODIFY c varchar(20)', was, info(was.columns[0]!, column('c', 'varchar(20)'), was.columns[2]!)))
      .toMatchObject({ rewritesRows: true, reason: 'column-type-changed', columns: ['c'] });
    const dec = info(column('id', 'int(11)'), column('p', 'decimal(10,2)'));
    expect(change('ALTER TABLE items MODIFY p decimal(10,3)', dec, info(column('id', 'int(11)'), column('p', 'decimal(10,3)')))).toMatchObject({ rewritesRows: true, reason: 'column-type-changed' });
    expect(change('ALTER TABLE items CHANGE c d int(11) NOT NULL', was, info(was.columns[0]!, column('d', 'int(11)'), was.columns[2]!)))
      .toEqual({ table: M, statement: 'ALTER TABLE items CHANGE c d int(11) NOT NULL', rewritesRows: false, columns: ['d'] });
    // The earlier shape unknown (the table not seen in this session): assumed converted.
    expect(change('ALTER TABLE items MODIFY c int(11) NOT NULL', undefined, was)).toMatchObject({ rewritesRows: true, reason: 'column-type-changed' });
  });

  it('CONVERT TO CHARACTER SET re-encodes every text column', () => {
    expect(change('ALTER TABLE items CONVERT TO CHARACTER SET latin1', was, was)).toMatchObject({ rewritesRows: true, reason: 'charset-converted', columns: ['note'] });
  });

  it('a statement touching no column: no schema change to report', () => {
    expect(change('ALTER TABLE items ADD INDEX (c)', was, was)).toBeNull();
  });
});

describe('PostgreSQL: the known shapes (stream start, Relation messages, catalog poll)', () => {
  const factsRows = (rows: Array<{ name: string; attnum: number; has_default?: boolean; has_missing?: boolean }>) =>
    rows.map((r) => ({ has_default: false, has_missing: false, identity: false, generated: false, ...r }));

  function setUp() {
    let catalog = new Map([[42, { table: T, columns: before, highestAttnum: 2 }]]);
    let facts = factsRows([{ name: 'id', attnum: 1 }, { name: 'n', attnum: 2 }]);
    const db = { query: async () => ({ rows: facts }) };
    const shapes = new TableShapes(db, async () => catalog);
    return {
      shapes,
      alter(columns: typeof before, rows: typeof facts) { catalog = new Map([[42, { table: T, columns, highestAttnum: Math.max(...rows.map((r) => r.attnum)) }]]); facts = rows; },
    };
  }

  it('a DDL with no change after it is found by the poll, once; the later Relation message of that shape tells nothing more', async () => {
    const s = setUp();
    await s.shapes.start();
    expect(await s.shapes.poll()).toEqual([]);
    s.alter([...before, col('u', UUID)], factsRows([{ name: 'id', attnum: 1 }, { name: 'n', attnum: 2 }, { name: 'u', attnum: 3, has_default: true }]));
    expect(await s.shapes.poll()).toEqual([{ table: T, rewritesRows: true, reason: 'volatile-default', columns: ['u'] }]);
    expect(await s.shapes.poll()).toEqual([]);
    expect(await s.shapes.relation(42, T, [...before, col('u', UUID)], true)).toBeNull();
  });

  it('the first Relation message of a session is compared with the shape at the stream start; one older than the catalog is remembered, not reported', async () => {
    const s = setUp();
    await s.shapes.start();
    s.alter([col('id', INT4), col('n', NUMERIC, (12 << 16 | 2) + 4)], factsRows([{ name: 'id', attnum: 1 }, { name: 'n', attnum: 2 }]));
    // The stream, behind the catalog, still decodes the old shape: nothing to report, and it becomes the known one.
    expect(await s.shapes.relation(42, T, before, false)).toBeNull();
    expect(await s.shapes.relation(42, T, [col('id', INT4), col('n', NUMERIC, (12 << 16 | 2) + 4)], true)).toMatchObject({ rewritesRows: true, reason: 'column-type-changed', columns: ['n'] });
  });
});
