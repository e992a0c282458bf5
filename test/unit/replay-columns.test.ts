import { describe, expect, it } from 'vitest';
import type { Column } from '../../src/model/table-schema.js';
import type { ColumnType } from '../../src/model/column-type.js';
import { planPgColumn } from '../../connectors/postgres/replay-columns.js';
import { planMysqlColumn } from '../../connectors/mysql/replay-columns.js';

const column = (type: ColumnType, sourceType: string): Column => ({ name: 'c', type, nullable: true, sourceType });

describe('replay: the rebuilt column type', () => {
  it('keeps the source type within one database, with array dimensions and enum types', () => {
    expect(planPgColumn(column({ kind: 'decimal', precision: 12, scale: 2, specials: true }, 'numeric(12,2)'), 'postgres')).toEqual({ sql: 'numeric(12,2)', kind: 'decimal' });
    expect(planPgColumn(column({ kind: 'array', element: { kind: 'int', bits: 32 }, dimensions: 2 }, 'integer[]'), 'postgres')).toEqual({ sql: 'integer[][]', kind: 'array' });
    expect(planPgColumn(column({ kind: 'array', element: { kind: 'enum', name: 'mood', symbols: ['a'] }, dimensions: 1 }, '"Mood"[]'), 'postgres'))
      .toEqual({ sql: '"Mood"[]', kind: 'array', enumType: { sql: '"Mood"', labels: ['a'] } });
    expect(planMysqlColumn(column({ kind: 'long', unsigned32: true }, 'int(10) unsigned'), 'mysql', false)).toEqual({ sql: 'int(10) unsigned', kind: 'long' });
    expect(planMysqlColumn(column({ kind: 'enum', name: 'e', symbols: ["it's", ''] }, "enum('it''s')"), 'mysql', false)).toEqual({ sql: "enum('it''s') CHARACTER SET utf8mb4 COLLATE utf8mb4_bin", kind: 'enum' });
  });

  it('never puts a source type that is not a plain type name into DDL', () => {
    expect(planPgColumn(column({ kind: 'enum', name: 'mood', symbols: ['a'] }, 'mood; DROP TABLE x'), 'postgres')).toEqual({ sql: 'text', kind: 'string' });
    expect(planPgColumn(column({ kind: 'int', bits: 32 }, 'integer); DROP TABLE x; --'), 'postgres')).toEqual({ sql: 'integer', kind: 'int' });
    expect(planMysqlColumn(column({ kind: 'enum', name: 'e', symbols: ['a'] }, "enum('a'); DROP TABLE x; --"), 'mysql', false)).toEqual({ sql: "enum('a') CHARACTER SET utf8mb4 COLLATE utf8mb4_bin", kind: 'enum' });
  });

  it('maps across databases by column type, and refuses what the target cannot hold', () => {
    expect(planMysqlColumn(column({ kind: 'boolean' }, 'boolean'), 'postgres', false)).toEqual({ sql: 'tinyint(1)', kind: 'int' });
    expect(planMysqlColumn(column({ kind: 'string' }, 'character varying(20)'), 'postgres', true)).toEqual({ sql: 'varchar(20) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin', kind: 'string' });
    expect(planMysqlColumn(column({ kind: 'variable-decimal', specials: true }, 'numeric'), 'postgres', false)).toMatchObject({ unsupported: expect.stringContaining('65 digits') });
    expect(planMysqlColumn(column({ kind: 'interval' }, 'interval'), 'postgres', false)).toMatchObject({ unsupported: 'MySQL has no interval type' });
    expect(planPgColumn(column({ kind: 'duration-micros' }, 'time(6)'), 'mysql')).toEqual({ sql: 'interval', kind: 'interval' });
    expect(planPgColumn(column({ kind: 'set', name: 's', symbols: ['a'] }, "set('a')"), 'mysql')).toEqual({ sql: 'text[]', kind: 'array' });
    expect(planPgColumn(column({ kind: 'geometry' }, 'point'), 'mysql')).toMatchObject({ unsupported: expect.stringContaining('PostGIS') });
  });
});
