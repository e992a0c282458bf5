import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import type { ColumnType } from '../../src/model/column-type.js';
import type { Column, TableSchema } from '../../src/model/table-schema.js';
import { readTableRecord, tableAvroSchemas } from '../../src/avro/table-avro-schema.js';
import { compileRowCodec } from '../../src/avro/row-codec.js';
import { avroType } from '../../src/avro/avro-type.js';
import { columnCodec } from '../../src/avro/column-codec.js';
import { fingerprint64 } from '../../src/avro/fingerprint.js';
import { SchemaCatalog } from '../../src/schema/schema-catalog.js';
import { EventEncoder } from '../../src/events/event-encoder.js';
import { keepMissingValues } from '../../src/schema/missing-values.js';
import { singleObjectWire } from '../../src/schema/wire-format.js';
import { SchemaEvolutionError } from '../../src/errors.js';
import { columnCases } from '../helpers/column-arbitraries.js';

const ID: Column = { name: 'id', type: { kind: 'long' }, nullable: false, sourceType: 'bigint' };
const tableOf = (...columns: Column[]): TableSchema => ({ id: { namespace: 'public', name: 'loan' }, columns: [ID, ...columns], key: ['id'] });
const TOPIC = 'shop.public.loan';

type Field = { name: string; type: unknown; default?: unknown; 'logtap.default'?: string };
const fieldOf = (table: TableSchema, name: string): Field =>
  (tableAvroSchemas(table, TOPIC).value.schema as { fields: Field[] }).fields.find((f) => f.name === name)!;

/** A record written before `added` existed, read with the schema that has it (Avro schema resolution). */
function readOldRecordWithNewSchema(added: Column): Record<string, unknown> {
  const before = tableAvroSchemas(tableOf(), TOPIC).value;
  const after = tableAvroSchemas(tableOf(added), TOPIC).value;
  const body = compileRowCodec(tableOf(), before).encode({ id: 7n });
  const reader = avroType(after.schema);
  return reader.fromBuffer(body, reader.createResolver(avroType(before.schema))) as Record<string, unknown>;
}

describe('Avro field defaults: the value rows written before a column existed read', () => {
  const cases: Array<{ type: ColumnType; value: unknown; json: unknown }> = [
    { type: { kind: 'boolean' }, value: true, json: true },
    { type: { kind: 'int', bits: 32 }, value: 10, json: 10 },
    { type: { kind: 'int', bits: 32, unsigned: true }, value: 4294967295, json: 4294967295 },
    { type: { kind: 'long' }, value: -5n, json: -5 },
    { type: { kind: 'float' }, value: Math.fround(1.1), json: Math.fround(1.1) },
    { type: { kind: 'double' }, value: 0.5, json: 0.5 },
    { type: { kind: 'decimal', precision: 6, scale: 2 }, value: '1.50', json: '\u0000\u0096' },
    { type: { kind: 'decimal', precision: 6, scale: 2, specials: true }, value: '-0.01', json: '\u00ff' },
    { type: { kind: 'variable-decimal', specials: true }, value: '2.5', json: { scale: 1, value: '\u0019' } },
    { type: { kind: 'string' }, value: 'web', json: 'web' },
    { type: { kind: 'string', semantic: 'inet' }, value: '10.0.0.1', json: '10.0.0.1' },
    { type: { kind: 'json' }, value: '{"a": 1}', json: '{"a": 1}' },
    { type: { kind: 'uuid' }, value: '00000000-0000-4000-8000-000000000001', json: '00000000-0000-4000-8000-000000000001' },
    { type: { kind: 'bytes' }, value: Buffer.from([0, 255, 65]), json: '\u0000\u00ffA' },
    { type: { kind: 'bits', length: 5 }, value: '00101', json: { length: 5, bits: '\u0028' } },
    { type: { kind: 'date' }, value: 18262, json: 18262 },
    { type: { kind: 'time-micros' }, value: 43_200_000_000n, json: 43_200_000_000 },
    { type: { kind: 'time-tz' }, value: { micros: 1n, offsetSeconds: 3600 }, json: { micros: 1, offsetSeconds: 3600 } },
    { type: { kind: 'duration-micros' }, value: -1_000_000n, json: -1_000_000 },
    { type: { kind: 'interval' }, value: { months: 1, days: 2, micros: 3n }, json: { months: 1, days: 2, micros: 3 } },
    { type: { kind: 'timestamp-micros', zoned: true }, value: 1_700_000_000_000_000n, json: 1_700_000_000_000_000 },
    { type: { kind: 'timestamp-micros', zoned: false }, value: 0n, json: 0 },
    { type: { kind: 'enum', name: 'mood', symbols: ['happy', 'in progress'] }, value: 'in progress', json: 'in_progress' },
    { type: { kind: 'set', name: 'flags', symbols: ['a', 'b c'] }, value: ['a', 'b c'], json: ['a', 'b_c'] },
    { type: { kind: 'array', element: { kind: 'int', bits: 32 }, dimensions: 1 }, value: [], json: [] },
    { type: { kind: 'array', element: { kind: 'int', bits: 32 }, dimensions: 1 }, value: [null], json: [null] },
    { type: { kind: 'year' }, value: 2020, json: 2020 },
    { type: { kind: 'geometry' }, value: { srid: null, wkb: Buffer.from([1]) }, json: { srid: null, wkb: '\u0001' } },
  ];

  for (const { type, value, json } of cases) {
    it(`${JSON.stringify(type)} = ${JSON.stringify(value, (_, v) => (typeof v === 'bigint' ? `${v}n` : v))}: NOT NULL and nullable`, () => {
      const notNull: Column = { name: 'v', type, nullable: false, sourceType: 'x', missingValue: value, defaultExpression: 'expr' };
      const field = fieldOf(tableOf(notNull), 'v');
      expect(field.default).toEqual(json);
      expect(field['logtap.default']).toBe('expr');
      expect(columnCodec(type).raise(readOldRecordWithNewSchema(notNull).v)).toEqual(value);

      // Nullable: the null branch goes last, the default is of the first (value) branch.
      const nullable: Column = { ...notNull, nullable: true };
      const nullableField = fieldOf(tableOf(nullable), 'v');
      expect(nullableField.default).toEqual(json);
      expect((nullableField.type as unknown[]).at(-1)).toBe('null');
      expect(columnCodec(type).raise(readOldRecordWithNewSchema(nullable).v)).toEqual(value);
    });
  }

  it('leaves out what Avro\'s JSON default cannot say (a union default is of its first branch; JSON numbers are finite)', () => {
    const without: Array<{ type: ColumnType; value: unknown }> = [
      { type: { kind: 'decimal', precision: 6, scale: 2, specials: true }, value: 'NaN' },
      { type: { kind: 'double' }, value: Infinity },
      { type: { kind: 'long' }, value: 2n ** 60n },
      { type: { kind: 'long' }, value: 9007199254740991n },
      { type: { kind: 'timestamp-micros', zoned: true }, value: Infinity },
      { type: { kind: 'array', element: { kind: 'int', bits: 32 }, dimensions: 1 }, value: [1, 2] },
      { type: { kind: 'geometry' }, value: { srid: 4326, wkb: Buffer.from([1]) } },
    ];
    for (const { type, value } of without) {
      const notNull = fieldOf(tableOf({ name: 'v', type, nullable: false, sourceType: 'x', missingValue: value }), 'v');
      expect(notNull).not.toHaveProperty('default');
      const nullable = fieldOf(tableOf({ name: 'v', type, nullable: true, sourceType: 'x', missingValue: value }), 'v');
      expect(nullable.default).toBeNull();
      expect((nullable.type as unknown[])[0]).toBe('null');
    }
  });

  it('a missing value of every column type either reads back exactly through resolution, or is left out', () => {
    for (const { type, values } of columnCases) {
      fc.assert(
        fc.property(values, (value) => {
          const column: Column = { name: 'v', type, nullable: true, sourceType: 'x', missingValue: value };
          const field = fieldOf(tableOf(column), 'v');
          fingerprint64(tableAvroSchemas(tableOf(column), TOPIC).value.schema as object);
          if (field.default === null) return;
          expect(columnCodec(type).raise(readOldRecordWithNewSchema(column).v)).toEqual(value);
          expect(readTableRecord(tableAvroSchemas(tableOf(column), TOPIC).value.schema, 'value').table.columns[1]!.missingValue).toEqual(value);
        }),
        { numRuns: 20 },
      );
    }
  }, 60_000);

  it('a column without a missing value keeps the schema it always had, and its fingerprint', () => {
    const plain: Column = { name: 'points', type: { kind: 'int', bits: 32 }, nullable: true, sourceType: 'integer' };
    expect(fieldOf(tableOf(plain), 'points')).toEqual({
      name: 'points', type: ['null', 'int'], default: null, 'logtap.column': 'points', 'logtap.sourceType': 'integer', 'logtap.columnType': plain.type,
    });
    // The default expression is an attribute, which the fingerprint (Parsing Canonical Form) strips; so is a default.
    const withExpression = tableAvroSchemas(tableOf({ ...plain, nullable: false, defaultExpression: 'nextval(\'s\')' }), TOPIC).value.schema;
    const withDefault = tableAvroSchemas(tableOf({ ...plain, nullable: false, missingValue: 10 }), TOPIC).value.schema;
    const bare = tableAvroSchemas(tableOf({ ...plain, nullable: false }), TOPIC).value.schema;
    expect(fingerprint64(withExpression as object)).toBe(fingerprint64(bare as object));
    expect(fingerprint64(withDefault as object)).toBe(fingerprint64(bare as object));
  });

  it('readTableRecord gives the missing value and default expression back; the key record carries neither', () => {
    const channel: Column = { name: 'channel', type: { kind: 'string' }, nullable: false, sourceType: 'text', missingValue: 'web', defaultExpression: "'web'::text" };
    const points: Column = { name: 'points', type: { kind: 'int', bits: 32 }, nullable: true, sourceType: 'integer', missingValue: 10, defaultExpression: '10' };
    const schemas = tableAvroSchemas(tableOf(channel, points), TOPIC);
    expect(readTableRecord(schemas.value.schema, 'value').table.columns).toEqual([ID, channel, points]);
    expect(JSON.stringify(schemas.key!.schema)).not.toContain('default');
  });
});

describe('row codec with the null branch last', () => {
  it('writes what avsc writes and reads back exactly, for plain and union (numeric) types', () => {
    const table = tableOf(
      { name: 'points', type: { kind: 'int', bits: 32 }, nullable: true, sourceType: 'integer', missingValue: 10 },
      { name: 'amount', type: { kind: 'decimal', precision: 6, scale: 2, specials: true }, nullable: true, sourceType: 'numeric(6,2)', missingValue: '1.00' },
    );
    const value = tableAvroSchemas(table, TOPIC).value;
    expect((value.schema as { fields: Field[] }).fields[2]!.type).toEqual([{ type: 'bytes', logicalType: 'decimal', precision: 6, scale: 2 }, expect.objectContaining({ name: 'DecimalSpecial' }), 'null']);
    const codec = compileRowCodec(table, value);
    for (const row of [
      { id: 1n, points: null, amount: null },
      { id: 2n, points: 3, amount: '-2.50' },
      { id: 3n, points: -1, amount: 'NaN' },
    ]) {
      const body = codec.encode(row);
      expect(body).toEqual(codec.type.toBuffer(codec.lower(row)));
      expect(codec.decode(body)).toEqual(row);
    }
  });
});

describe('schema catalog: a NOT NULL column added with a default', () => {
  it('is a compatible change; without the default it is not', () => {
    const before = tableAvroSchemas(tableOf(), TOPIC).value.schema;
    const channel: Column = { name: 'channel', type: { kind: 'string' }, nullable: false, sourceType: 'text' };
    const catalog = new SchemaCatalog('fail');
    catalog.register(`${TOPIC}-value`, before, 'public.loan');
    expect(() => catalog.register(`${TOPIC}-value`, tableAvroSchemas(tableOf(channel), TOPIC).value.schema, 'public.loan')).toThrow(SchemaEvolutionError);
    const { entry } = catalog.register(`${TOPIC}-value`, tableAvroSchemas(tableOf({ ...channel, missingValue: 'web' }), TOPIC).value.schema, 'public.loan');
    expect(entry.version).toBe(2);
  });
});

describe('the value older records read is the one the column was added with', () => {
  const channel: Column = { name: 'channel', type: { kind: 'string' }, nullable: true, sourceType: 'text' };
  const v1 = tableOf();
  const v2 = tableOf({ ...channel, missingValue: 'web', defaultExpression: "'web'::text" });
  const publishedValues = async (...versions: TableSchema[]) => {
    // The latest value schema after each version was prepared (a version whose schema is already known adds none).
    const catalog = new SchemaCatalog('fail');
    const encoder = new EventEncoder({ topicPrefix: 'shop', envelope: 'entity', deleteEvents: false, source: { connector: 'postgresql', database: 'shop', version: '0' }, catalog, wire: singleObjectWire });
    const latest: Array<Column | undefined> = [];
    for (const version of versions) {
      await encoder.prepare(version, async () => {});
      latest.push(readTableRecord(catalog.latestSchema(`${TOPIC}-value`)!, 'value').table.columns.find((c) => c.name === 'channel'));
    }
    return latest;
  };

  it('is kept when the source forgets it (a PostgreSQL rewrite) or changes the default (MySQL SET DEFAULT)', async () => {
    const rewritten = tableOf({ ...channel, defaultExpression: "'web'::text" });
    const setDefault = tableOf({ ...channel, missingValue: 'app', defaultExpression: "'app'" });
    expect(await publishedValues(v1, v2, rewritten)).toEqual([undefined, v2.columns[1], v2.columns[1]]);
    // (Its schema then equals v2's but for logtap.default, an attribute: the catalog keeps v2, as for any attribute.)
    const [, , kept] = await publishedValues(v1, v2, setDefault);
    expect(kept!.missingValue).toBe('web');
  });

  it('is the column\'s own when it is new or retyped', async () => {
    const asInt = tableOf({ ...channel, type: { kind: 'int', bits: 32 }, missingValue: 7 });
    const widened = tableOf({ ...channel, type: { kind: 'long' }, missingValue: 8n });
    expect((await publishedValues(v1, asInt, widened))[2]).toEqual(widened.columns[1]);
    // Dropped and added again: the previous version lacks it, so the new column's own value stands.
    const readded = tableOf({ ...channel, missingValue: 'shop' });
    expect(keepMissingValues(readded, tableAvroSchemas(tableOf(), TOPIC).value.schema)).toBe(readded);
    expect(keepMissingValues(readded, tableAvroSchemas(v2, TOPIC).value.schema).columns[1]!.missingValue).toBe('web');
  });
});
