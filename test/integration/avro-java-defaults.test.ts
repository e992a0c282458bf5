import { describe, expect, it } from 'vitest';
import type { ColumnType } from '../../src/model/column-type.js';
import type { Column, TableSchema } from '../../src/model/table-schema.js';
import { tableAvroSchemas } from '../../src/avro/table-avro-schema.js';
import { fingerprint64 } from '../../src/avro/fingerprint.js';
import { avroJavaFingerprints } from '../helpers/avro-java.js';

// Apache Avro Java is the referee for the field defaults logtap writes (docs/events.md, Field defaults): its
// schema parser validates every default against its field's type, so each value schema must parse there.

const MISSING: Array<{ type: ColumnType; value: unknown }> = [
  { type: { kind: 'boolean' }, value: true },
  { type: { kind: 'int', bits: 32 }, value: -10 },
  { type: { kind: 'int', bits: 32, unsigned: true }, value: 4294967295 },
  { type: { kind: 'long' }, value: 9007199254740990n },
  { type: { kind: 'float' }, value: Math.fround(1.1) },
  { type: { kind: 'double' }, value: -0.5 },
  { type: { kind: 'decimal', precision: 6, scale: 2 }, value: '1.50' },
  { type: { kind: 'decimal', precision: 6, scale: 2, specials: true }, value: '-0.01' },
  { type: { kind: 'variable-decimal', specials: true }, value: '2.5' },
  { type: { kind: 'string' }, value: 'wéb "q" \\' },
  { type: { kind: 'json' }, value: '{"a": 1}' },
  { type: { kind: 'uuid' }, value: '00000000-0000-4000-8000-000000000001' },
  { type: { kind: 'bytes' }, value: Buffer.from([0, 127, 128, 255]) },
  { type: { kind: 'bits', length: 5 }, value: '00101' },
  { type: { kind: 'date' }, value: -719528 },
  { type: { kind: 'time-micros' }, value: 86_400_000_000n },
  { type: { kind: 'time-tz' }, value: { micros: 1n, offsetSeconds: -3600 } },
  { type: { kind: 'duration-micros' }, value: -1_000_000n },
  { type: { kind: 'interval' }, value: { months: 1, days: -2, micros: 3n } },
  { type: { kind: 'timestamp-micros', zoned: true }, value: 1_700_000_000_000_000n },
  { type: { kind: 'timestamp-micros', zoned: false }, value: -1_000_000_000_000_000n },
  { type: { kind: 'enum', name: 'mood', symbols: ['happy', 'in progress'] }, value: 'in progress' },
  { type: { kind: 'set', name: 'flags', symbols: ['a', 'b c'] }, value: ['b c'] },
  { type: { kind: 'array', element: { kind: 'int', bits: 32 }, dimensions: 1 }, value: [null, null] },
  { type: { kind: 'year' }, value: 2020 },
  { type: { kind: 'geometry' }, value: { srid: null, wkb: Buffer.from([1, 2]) } },
];

describe('field defaults, checked by Avro Java', () => {
  it('every default of every column type parses there (NOT NULL and nullable), with the same fingerprint', async () => {
    const columns: Column[] = [{ name: 'id', type: { kind: 'long' }, nullable: false, sourceType: 'bigint' }];
    MISSING.forEach(({ type, value }, i) => {
      columns.push({ name: `c${i}`, type, nullable: false, sourceType: 'x', missingValue: value, defaultExpression: 'expr' });
      columns.push({ name: `n${i}`, type, nullable: true, sourceType: 'x', missingValue: value });
    });
    const table: TableSchema = { id: { namespace: 'public', name: 'defaults' }, columns, key: ['id'] };
    const schema = tableAvroSchemas(table, 'shop.public.defaults').value.schema as { fields: Array<{ name: string; default?: unknown }> };
    // Every column got its default (none was left out for being unrepresentable).
    expect(schema.fields.filter((f) => f.name !== 'id' && f.default === undefined)).toEqual([]);
    const { fingerprints } = await avroJavaFingerprints([schema]);
    expect(fingerprints[0]).toBe(fingerprint64(schema).toString(16).padStart(16, '0'));
  }, 300_000);

  it('the referee refuses a default that does not fit (so the check above can fail)', async () => {
    const wrong = { type: 'record', name: 'R', fields: [{ name: 'f', type: ['int', 'null'], default: 'web' }] };
    await expect(avroJavaFingerprints([wrong])).rejects.toThrow(/default|Invalid/i);
  }, 300_000);
});
