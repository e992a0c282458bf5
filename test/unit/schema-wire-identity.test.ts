import { describe, expect, it } from 'vitest';
import { SchemaCatalog } from '../../src/schema/schema-catalog.js';
import { avroType } from '../../src/avro/avro-type.js';
import type { AvroSchema } from '../../src/avro/column-avro-type.js';

// numeric(12,0) → numeric(12,2): Avro's Parsing Canonical Form (the fingerprint) drops precision and scale, so both
// value schemas had one fingerprint, the catalog kept the first, and records written with scale 2 named a scale-0
// schema (8.22 read as 822).
const valueSchema = (scale: number, type: unknown = { type: 'bytes', logicalType: 'decimal', precision: 12, scale }): AvroSchema => ({
  type: 'record', name: 'Value', namespace: 'shop.public.loan',
  fields: [{ name: 'id', type: 'int' }, { name: 'amount', type, 'logtap.columnType': { kind: 'decimal', precision: 12, scale } }],
}) as AvroSchema;

describe('schemas that share a fingerprint but not their logical types', () => {
  it('get a fingerprint of their own: the record is renamed, with its usual name as an alias', () => {
    const catalog = new SchemaCatalog('fail');
    const v1 = catalog.register('loan-value', valueSchema(0), 'public.loan');
    const v2 = catalog.register('loan-value', valueSchema(2), 'public.loan');
    expect(v2.isNew).toBe(true);
    expect(v2.entry.version).toBe(2);
    expect(v2.entry.fingerprintHex).not.toBe(v1.entry.fingerprintHex);
    expect(v2.entry.schema).toMatchObject({ name: 'Value_2', aliases: ['shop.public.loan.Value'] });
    // The same schema again is the same version; so is the first one.
    expect(catalog.register('loan-value', valueSchema(2), 'public.loan')).toEqual({ entry: v2.entry, isNew: false });
    expect(catalog.register('loan-value', valueSchema(0), 'public.loan')).toEqual({ entry: v1.entry, isNew: false });
  });

  it('finds the renamed version again after a restart (a catalog seeded from the schema topic)', () => {
    const first = new SchemaCatalog('fail');
    const v1 = first.register('loan-value', valueSchema(0), 'public.loan').entry;
    const v2 = first.register('loan-value', valueSchema(2), 'public.loan').entry;
    const restarted = new SchemaCatalog('fail', [v1, v2]);
    expect(restarted.register('loan-value', valueSchema(2), 'public.loan')).toEqual({ entry: v2, isNew: false });
    // A third logical type of the same shape gets the next name.
    const v3 = restarted.register('loan-value', valueSchema(4), 'public.loan').entry;
    expect(v3.schema).toMatchObject({ name: 'Value_3' });
    expect(new Set([v1.fingerprintHex, v2.fingerprintHex, v3.fingerprintHex]).size).toBe(3);
  });

  it('an Avro reader with the renamed schema still reads records written with the usual name', () => {
    const catalog = new SchemaCatalog('fail');
    const v1 = catalog.register('loan-value', valueSchema(0, 'long'), 'public.loan').entry;
    const v2 = catalog.register('loan-value', valueSchema(0, { type: 'long', logicalType: 'timestamp-micros' }), 'public.loan').entry;
    expect(v2.fingerprintHex).not.toBe(v1.fingerprintHex);
    const writer = avroType(v1.schema);
    const reader = avroType(v2.schema);
    const bytes = writer.toBuffer({ id: 1, amount: 5n });
    expect(reader.fromBuffer(bytes, reader.createResolver(writer))).toEqual({ id: 1, amount: 5n });
  });
});
