import { describe, expect, it } from 'vitest';
import type { Column, TableSchema } from '../../src/model/table-schema.js';
import { AvroWriter } from '../../src/avro/binary-writer.js';
import { avroType } from '../../src/avro/avro-type.js';
import { compileSchemaWriter } from '../../src/avro/debezium-schema-writer.js';
import { debeziumTableRecords } from '../../src/avro/debezium-row-codec.js';
import { debeziumEnvelopeSchema } from '../../src/events/debezium-envelope-schema.js';

const col = (name: string, type: Column['type'], sourceType: string, nullable = true): Column => ({ name, type, sourceType, nullable });

const table: TableSchema = {
  id: { namespace: 'public', name: 'mixed' },
  columns: [
    col('id', { kind: 'long' }, 'bigint', false),
    col('small', { kind: 'int', bits: 16 }, 'smallint', false),
    col('amount', { kind: 'variable-decimal', specials: true }, 'numeric'),
    col('amount2', { kind: 'variable-decimal', specials: true }, 'numeric'),
    col('price', { kind: 'decimal', precision: 12, scale: 2 }, 'numeric(12,2)'),
    col('ratio', { kind: 'float' }, 'real'),
    col('d', { kind: 'double' }, 'double precision'),
    col('flag', { kind: 'boolean' }, 'boolean'),
    col('tstz', { kind: 'timestamp-micros', zoned: true }, 'timestamp with time zone'),
    col('ts', { kind: 'timestamp-micros', zoned: false }, 'timestamp without time zone'),
    col('tags', { kind: 'array', element: { kind: 'string' }, dimensions: 1 }, 'text[]'),
    col('pt', { kind: 'string', semantic: 'geometric' }, 'point'),
    col('bin', { kind: 'bytes' }, 'bytea'),
  ],
  key: ['id'],
};

describe('compiled writer of Debezium schemas', () => {
  it('writes exactly the bytes avsc writes for the same Envelope', () => {
    const records = debeziumTableRecords(table, 'shop.public.mixed', 'postgresql');
    const envelope = debeziumEnvelopeSchema(records.namespace, records.value.schema, 'postgresql');
    const row = {
      id: -9223372036854775808n, small: -5, amount: '-12345678901234567890.5', amount2: null, price: '19.99', ratio: Math.fround(0.1), d: -0,
      flag: true, tstz: 1592655423000001n, ts: 9007199254740993n, tags: ['a', null, ''], pt: '(1.5,-2)', bin: Buffer.from([0, 255]),
    };
    const nullRow = Object.fromEntries(table.columns.map((c) => [c.name, c.nullable ? null : row[c.name as keyof typeof row]]));
    const values = [
      {
        before: records.value.lower(nullRow, 'p'), after: records.value.lower(row, 'p'),
        source: {
          version: 'v', connector: 'postgresql', name: 'shop', ts_ms: 1n, snapshot: 'false', db: 'db', sequence: null, ts_us: 1000n, ts_ns: null,
          schema: 'public', table: 'mixed', txId: 4294967296n, lsn: null, xmin: null,
        },
        transaction: { id: '42', total_order: 3n, data_collection_order: 1n },
        op: 'u', ts_ms: 1700000000123n, ts_us: null, ts_ns: 1700000000123000000n,
      },
      {
        before: null, after: null,
        source: { version: 'v', connector: 'postgresql', name: 'shop', ts_ms: -1n, snapshot: null, db: 'db', sequence: 's', ts_us: null, ts_ns: null, schema: 'public', table: 'mixed', txId: null, lsn: 7n, xmin: 8n },
        transaction: null, op: 't', ts_ms: null, ts_us: null, ts_ns: null,
      },
    ];
    const write = compileSchemaWriter(envelope);
    const type = avroType(envelope);
    for (const value of values) {
      const w = new AvroWriter(16);
      write(w, value);
      expect(w.take().toString('hex')).toBe(type.toBuffer(value).toString('hex'));
    }
    const key = records.key!;
    const w = new AvroWriter(16);
    compileSchemaWriter(key.schema)(w, key.lower(row, 'p'));
    expect(w.take()).toEqual(avroType(key.schema).toBuffer(key.lower(row, 'p')));
  });
});
