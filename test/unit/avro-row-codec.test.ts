import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import type { ColumnType } from '../../src/model/column-type.js';
import { I64_MAX, I64_MIN, columnCases } from '../helpers/column-arbitraries.js';
import type { Column, TableSchema } from '../../src/model/table-schema.js';
import { tableAvroSchemas } from '../../src/avro/table-avro-schema.js';
import { compileRowCodec } from '../../src/avro/row-codec.js';
import { EncodingError } from '../../src/errors.js';

function tableOf(columns: Column[], key: string[] = ['id']): TableSchema {
  return { id: { namespace: 'public', name: 'things' }, columns: [{ name: 'id', type: { kind: 'long' }, nullable: false, sourceType: 'bigint' }, ...columns], key };
}

describe('row codec: every column type round-trips exactly through Avro', () => {
  for (const { type, values } of columnCases) {
    const label = JSON.stringify(type);
    it(`${label}, NOT NULL and nullable`, () => {
      const table = tableOf([
        { name: 'v', type, nullable: false, sourceType: 'x' },
        { name: 'maybe v', type, nullable: true, sourceType: 'x' },
      ]);
      const codec = compileRowCodec(table, tableAvroSchemas(table, 'shop.public.things').value);
      fc.assert(
        fc.property(values, fc.option(values, { nil: null }), fc.bigInt({ min: I64_MIN, max: I64_MAX }), (v, maybe, id) => {
          const row = { id, v, 'maybe v': maybe };
          expect(codec.decode(codec.encode(row))).toEqual(row);
        }),
        { numRuns: 200 },
      );
    });
  }
});

describe('row codec: names', () => {
  it('sanitizes column names into distinct Avro names and keeps the originals', () => {
    const table = tableOf([
      { name: 'order id', type: { kind: 'string' }, nullable: false, sourceType: 'text' },
      { name: 'order_id', type: { kind: 'string' }, nullable: false, sourceType: 'text' },
      { name: '1st', type: { kind: 'string' }, nullable: true, sourceType: 'text' },
    ]);
    const schemas = tableAvroSchemas(table, 'shop-eu.public.things');
    const value = schemas.value.schema as { name: string; namespace: string; fields: Array<Record<string, unknown>> };
    expect(value.namespace).toBe('shop_eu.public.things');
    expect(value.name).toBe('Value');
    expect(value.fields.map((f) => [f.name, f['logtap.column']])).toEqual([
      ['id', 'id'], ['order_id', 'order id'], ['order_id_2', 'order_id'], ['_1st', '1st'],
    ]);
    const codec = compileRowCodec(table, schemas.value);
    const row = { id: 1n, 'order id': 'a', order_id: 'b', '1st': null };
    expect(codec.decode(codec.encode(row))).toEqual(row);
  });

  it('builds the key record from the key columns only, in key order', () => {
    const table: TableSchema = {
      id: { namespace: 'shop', name: 'lines' },
      columns: [
        { name: 'qty', type: { kind: 'int', bits: 32 }, nullable: true, sourceType: 'int' },
        { name: 'line', type: { kind: 'int', bits: 16 }, nullable: false, sourceType: 'smallint' },
        { name: 'order', type: { kind: 'long' }, nullable: false, sourceType: 'bigint' },
      ],
      key: ['order', 'line'],
    };
    const schemas = tableAvroSchemas(table, 'shop.shop.lines');
    const key = schemas.key!.schema as { name: string; fields: Array<{ name: string; type: unknown }> };
    expect(key.name).toBe('Key');
    expect(key.fields.map((f) => [f.name, f.type])).toEqual([['order', 'long'], ['line', 'int']]);
    const codec = compileRowCodec(table, schemas.key!);
    expect(codec.decode(codec.encode({ order: 5n, line: 2 }))).toEqual({ order: 5n, line: 2 });
  });

  it('gives a keyless table no key record', () => {
    const table = tableOf([], []);
    expect(tableAvroSchemas(table, 't').key).toBeNull();
  });
});

describe('row codec: values that do not fit are refused, naming table, column and position', () => {
  const refuse = (type: ColumnType, value: unknown, reason: RegExp) => {
    const table = tableOf([{ name: 'v', type, nullable: false, sourceType: 'x' }]);
    const codec = compileRowCodec(table, tableAvroSchemas(table, 't').value);
    let error: unknown;
    try {
      codec.encode({ id: 1n, v: value }, '0/16B3748');
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(EncodingError);
    expect((error as EncodingError).code).toBe('ENCODING');
    expect((error as Error).message).toMatch(/^cannot encode public\.things\.v at 0\/16B3748: /);
    expect((error as Error).message).toMatch(reason);
  };

  it('a decimal with more fractional digits than its scale (never rounded)', () => refuse({ kind: 'decimal', precision: 10, scale: 2 }, '1.005', /at most 2 fractional digits/));
  it('a decimal with more digits than its precision', () => refuse({ kind: 'decimal', precision: 4, scale: 2 }, '123.45', /more than 4 digits/));
  it('NaN in a decimal that does not allow specials', () => refuse({ kind: 'decimal', precision: 4, scale: 2 }, 'NaN', /not a decimal/));
  it('a number where decimal text is expected', () => refuse({ kind: 'decimal', precision: 4, scale: 2 }, 1.5, /expected decimal text/));
  it('an unsafe JS number for a long', () => refuse({ kind: 'long' }, 2 ** 60, /BigInt/));
  it('an integer out of its width', () => refuse({ kind: 'int', bits: 16 }, 40000, /-32768…32767/));
  it('an unknown enum label', () => refuse({ kind: 'enum', name: 'e', symbols: ['a'] }, 'b', /not one of/));
  it('a time of day past 24:00', () => refuse({ kind: 'time-micros' }, 86_400_000_001n, /not a time of day/));
  it('a timestamp on the reserved infinity value', () => refuse({ kind: 'timestamp-micros', zoned: true }, I64_MAX, /representable range/));
  it('a one-dimensional value in a two-dimensional array', () => refuse({ kind: 'array', element: { kind: 'int', bits: 32 }, dimensions: 2 }, [1, 2], /array 2 deep/));
  it('null in a NOT NULL column', () => refuse({ kind: 'string' }, null, /null in a NOT NULL column/));
  it('a missing column', () => refuse({ kind: 'string' }, undefined, /missing/));
  it('bits of the wrong length', () => refuse({ kind: 'bits', length: 3 }, '0101', /expected 3 bits/));
  it('an upper-case uuid', () => refuse({ kind: 'uuid' }, 'A0EEBC99-9C0B-4EF8-BB6D-6BB9BD380A11', /lower-case UUID/));
});
