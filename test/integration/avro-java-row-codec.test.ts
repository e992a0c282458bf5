import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import type { ColumnType } from '../../src/model/column-type.js';
import type { TableSchema } from '../../src/model/table-schema.js';
import { EventEncoder } from '../../src/events/event-encoder.js';
import { SchemaCatalog, type SchemaEntry } from '../../src/schema/schema-catalog.js';
import { singleObjectWire } from '../../src/schema/wire-format.js';
import { avroJavaDecode } from '../helpers/avro-java.js';
import { columnCases } from '../helpers/column-arbitraries.js';

// The independent decoder: Apache Avro Java reads what logtap wrote, for every column type of the
// matrix, and its reading — turned back into canonical values here, from Java's text alone — must
// equal what went in.

// Avro Java's LocalTime conversion stops at 23:59:59.999999; PostgreSQL's 24:00:00 is written as
// 86,400,000,000 µs (docs/types.md) and proven by the avsc round trip in test/unit instead.
const cases = columnCases.map((c) => (c.type.kind === 'time-micros' || c.type.kind === 'time-tz'
  ? { ...c, values: c.values.filter((v) => ((v as { micros?: bigint }).micros ?? v) !== 86_400_000_000n) }
  : c));

const table: TableSchema = {
  id: { namespace: 'public', name: 'every_type' },
  columns: [
    { name: 'id', type: { kind: 'long' }, nullable: false, sourceType: 'bigint' },
    ...cases.flatMap(({ type, values }, i) => [
      { name: `c${i}`, type, nullable: false, sourceType: type.kind },
      { name: `n${i}`, type, nullable: true, sourceType: type.kind },
      // Nullable with a value default (the value older rows read): the union is written [T…, "null"].
      { name: `d${i}`, type, nullable: true, sourceType: type.kind, missingValue: fc.sample(values, { numRuns: 1, seed: i })[0] },
    ]),
  ],
  key: ['id'],
};

const twos = (hex: string): bigint => {
  if (hex === '') return 0n;
  const n = BigInt(`0x${hex}`);
  return Number.parseInt(hex[0]!, 16) >= 8 ? n - (1n << BigInt(hex.length * 4)) : n;
};
const plain = (unscaled: bigint, scale: number): string => {
  const neg = unscaled < 0n;
  const digits = (neg ? -unscaled : unscaled).toString().padStart(scale + 1, '0');
  return (neg ? '-' : '') + (scale === 0 ? digits : `${digits.slice(0, digits.length - scale)}.${digits.slice(digits.length - scale)}`);
};
const SPECIALS: Record<string, string> = { NaN: 'NaN', POSITIVE_INFINITY: 'Infinity', NEGATIVE_INFINITY: '-Infinity' };
const I64_MAX_TEXT = '9223372036854775807';
const I64_MIN_TEXT = '-9223372036854775808';

/** Java's JSON rendering of a value → the canonical value, using only Java's output and the schema. */
function fromJava(type: ColumnType, v: any, enumLabels: Map<string, string>): unknown {
  if (v === null) return null;
  switch (type.kind) {
    case 'boolean':
    case 'year':
      return v;
    case 'int':
      return typeof v === 'string' ? Number(v) : v;
    case 'long':
    case 'time-micros':
    case 'duration-micros':
      return BigInt(v);
    case 'timestamp-micros':
      return v === I64_MAX_TEXT ? Infinity : v === I64_MIN_TEXT ? -Infinity : BigInt(v);
    case 'date':
      return v === 2147483647 ? Infinity : v === -2147483648 ? -Infinity : v;
    case 'float':
      // Java prints the shortest text that identifies the float32; read it back as a float32.
      return Math.fround(Number(v));
    case 'double':
      return Number(v);
    case 'decimal':
      return SPECIALS[v] ?? v;
    case 'variable-decimal':
      return typeof v === 'string' ? SPECIALS[v] : plain(twos(v.value), v.scale);
    case 'string':
    case 'json':
    case 'uuid':
      return v;
    case 'bytes':
      return Buffer.from(v, 'hex');
    case 'bits': {
      const bytes = Buffer.from(v.bits, 'hex');
      return Array.from({ length: v.length }, (_, i) => ((bytes[i >> 3]! >> (7 - (i & 7))) & 1 ? '1' : '0')).join('');
    }
    case 'time-tz':
      return { micros: BigInt(v.micros), offsetSeconds: v.offsetSeconds };
    case 'interval':
      return { months: v.months, days: v.days, micros: BigInt(v.micros) };
    case 'enum':
      return enumLabels.get(v);
    case 'set':
      return v.map((s: string) => enumLabels.get(s));
    case 'array': {
      const walk = (x: any, d: number): unknown => (d === 1 ? x.map((e: unknown) => fromJava(type.element, e, enumLabels)) : x.map((e: unknown) => walk(e, d - 1)));
      return walk(v, type.dimensions);
    }
    case 'geometry':
      return { srid: v.srid, wkb: Buffer.from(v.wkb, 'hex') };
  }
}

/** Symbol → label of every enum in the schema, read from the schema's own attributes. */
function enumLabelsOf(schema: unknown, out = new Map<string, string>()): Map<string, string> {
  if (Array.isArray(schema)) schema.forEach((s) => enumLabelsOf(s, out));
  else if (schema && typeof schema === 'object') {
    const s = schema as Record<string, unknown>;
    if (s.type === 'enum' && Array.isArray(s['logtap.labels'])) (s.symbols as string[]).forEach((sym, i) => out.set(sym, (s['logtap.labels'] as string[])[i]!));
    Object.values(s).forEach((child) => enumLabelsOf(child, out));
  }
  return out;
}

describe('Apache Avro Java decodes what logtap encodes', () => {
  it('every column type of the matrix, NOT NULL and nullable, with edge values', async () => {
    const published: SchemaEntry[] = [];
    const encoder = new EventEncoder({
      topicPrefix: 'interop', envelope: 'entity', source: { connector: 'postgresql', database: 'x', version: 'test' },
      catalog: new SchemaCatalog('fail'), wire: singleObjectWire,
    });
    await encoder.prepare(table, async (e) => { published.push(e); });

    const rowArb = fc.record(Object.fromEntries([
      ['id', fc.bigInt({ min: -(1n << 63n), max: (1n << 63n) - 1n })],
      ...cases.flatMap(({ values }, i) => [[`c${i}`, values], [`n${i}`, fc.option(values, { nil: null })], [`d${i}`, fc.option(values, { nil: null })]]),
    ])) as fc.Arbitrary<Record<string, unknown>>;
    const rows = fc.sample(rowArb, { numRuns: 300, seed: 20261122 });

    const messages = rows.map((row, i) => encoder.encode({ table, op: 'c', after: row, position: { token: `p${i}`, display: '' }, snapshot: false }));
    const decoded = await avroJavaDecode(published.map((e) => e.schema as object), messages.flatMap((m) => [m[0]!.key!, m[0]!.value!])) as Array<Record<string, unknown>>;

    const valueSchema = published.find((e) => e.subject.endsWith('-value'))!.schema as { fields: Array<{ name: string; type: unknown; 'logtap.column': string }> };
    // Most sampled defaults are ones Avro's JSON can say, so their unions have the null branch last.
    expect(valueSchema.fields.filter((f) => /^d\d/.test(f.name) && Array.isArray(f.type) && f.type.at(-1) === 'null').length).toBeGreaterThan(cases.length / 2);
    const labelsBySymbol = enumLabelsOf(valueSchema);
    const columnOfField = new Map(valueSchema.fields.map((f) => [f.name, f['logtap.column']]));
    const typeOfColumn = new Map(table.columns.map((c) => [c.name, c.type]));

    rows.forEach((row, i) => {
      const key = decoded[2 * i]!;
      expect(BigInt(key.id as string)).toBe(row.id);
      const javaValue = decoded[2 * i + 1]!;
      const back: Record<string, unknown> = {};
      for (const [field, v] of Object.entries(javaValue)) {
        const column = columnOfField.get(field)!;
        back[column] = fromJava(typeOfColumn.get(column)!, v, labelsBySymbol);
      }
      expect(back).toEqual(row);
    });
  }, 120_000);
});
