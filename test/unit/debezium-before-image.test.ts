import { describe, expect, it } from 'vitest';
import type { Column, TableSchema } from '../../src/model/table-schema.js';
import { avroType } from '../../src/avro/avro-type.js';
import { debeziumTableRecords } from '../../src/avro/debezium-row-codec.js';
import { pgSourceFields } from '../../connectors/postgres/source-fields.js';
import { binlogSourceFields } from '../../connectors/mysql/source-fields.js';

const col = (name: string, type: Column['type'], sourceType: string, nullable = false): Column => ({ name, type, sourceType, nullable });

// Debezium 3.2.0's PostgreSQL connector wrote, for `DELETE` under REPLICA IDENTITY DEFAULT of a row of this table
// (read off its own record with Connect's JsonConverter): the key, then 0 / "" / false / epoch / empty for the
// NOT NULL columns, null for the nullable ones.
const table: TableSchema = {
  id: { namespace: 'public', name: 't' },
  columns: [
    col('id', { kind: 'long' }, 'bigint'),
    col('n', { kind: 'int', bits: 32 }, 'integer'),
    col('s', { kind: 'string' }, 'text'),
    col('s2', { kind: 'string' }, 'text', true),
    col('ts', { kind: 'timestamp-micros', zoned: false }, 'timestamp(6) without time zone'),
    col('tstz', { kind: 'timestamp-micros', zoned: true }, 'timestamp with time zone'),
    col('d', { kind: 'date' }, 'date'),
    col('num', { kind: 'decimal', precision: 10, scale: 2 }, 'numeric(10,2)'),
    col('vnum', { kind: 'variable-decimal', specials: true }, 'numeric'),
    col('b', { kind: 'boolean' }, 'boolean'),
    col('j', { kind: 'json' }, 'jsonb'),
    col('u', { kind: 'uuid' }, 'uuid'),
    col('f', { kind: 'double' }, 'double precision'),
    col('r', { kind: 'float' }, 'real'),
    col('by', { kind: 'bytes' }, 'bytea'),
    col('sm', { kind: 'int', bits: 16 }, 'smallint'),
    col('arr', { kind: 'array', element: { kind: 'int', bits: 32 }, dimensions: 1 }, 'integer[]'),
    col('p1', { kind: 'string', semantic: 'geometric' }, 'point', true),
    col('p2', { kind: 'string', semantic: 'geometric' }, 'point'),
    col('e_n', { kind: 'int', bits: 32 }, 'integer', true),
  ],
  key: ['id'],
};

describe('Debezium before-image of a row the source logged only partly', () => {
  const records = debeziumTableRecords(table, 'shop.public.t', 'postgresql');

  it('fills the key columns, Debezium\'s placeholders for NOT NULL columns and null for nullable ones', () => {
    const before = records.value.lowerBefore({ id: 7n }, 'pg1:0/1#1');
    expect(before).toEqual({
      id: 7n, n: 0, s: '', s2: null, ts: 0n, tstz: '1970-01-01T00:00:00Z', d: 0, num: Buffer.from([0]), vnum: { scale: 0, value: Buffer.from([0]) },
      b: false, j: '', u: '', f: 0, r: 0, by: Buffer.alloc(0), sm: 0, arr: [], p1: null, p2: { x: 0, y: 0, wkb: null, srid: null }, e_n: null,
    });
    // Writable with the Value schema (a second point column refers to the first one's record by name).
    const type = avroType({ type: 'record', name: 'Holder', fields: [{ name: 'before', type: ['null', records.value.schema] }] });
    expect(() => type.toBuffer({ before })).not.toThrow();
  });

  it('keeps the values the source did log, nulls included', () => {
    expect(records.value.lowerBefore({ id: 7n, n: 5, s2: null, e_n: 3 }, 'p')).toMatchObject({ id: 7n, n: 5, s2: null, e_n: 3, s: '' });
  });

  it('still refuses an after-image that lacks a NOT NULL column', () => {
    expect(() => records.value.lower({ id: 7n }, 'pg1:0/1#1')).toThrow(/public\.t\.n at pg1:0\/1#1 .*missing/);
  });
});

describe('source block fields of the connectors', () => {
  it('PostgreSQL: the change\'s LSN and Debezium\'s sequence [last commit end, lsn] as decimal text', () => {
    expect(pgSourceFields(87441528n, 87441240n)).toEqual({ lsn: 87441528n, sequence: '["87441240","87441528"]' });
    expect(pgSourceFields(87440784n, null)).toEqual({ lsn: 87440784n, sequence: '[null,"87440784"]' });
  });

  it('MySQL/MariaDB: file, rows event start, row index, and the server a MariaDB GTID names', () => {
    expect(binlogSourceFields('binlog.000001', 4640, 0, '0-1-10')).toEqual({ file: 'binlog.000001', pos: 4640, row: 0, server_id: 1 });
    expect(binlogSourceFields('binlog.000002', 4, 3, '3e11fa47-71ca-11e1-9e33-c80aa9429562:7')).toMatchObject({ server_id: 0, row: 3 });
    expect(binlogSourceFields('binlog.000002', 4, 0, undefined)).toMatchObject({ server_id: 0 });
  });
});
