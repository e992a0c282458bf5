import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { readBinlogTableMap, rememberTableMap, repeatsTableMap, type ZongjiEntrySchemas, type ZongjiTableMapEvent } from '../../connectors/mysql/binlog-table-info.js';

/**
 * The server writes a table's TableMap again in every transaction; the reader binds it once and recognises the
 * repetitions with `repeatsTableMap` instead of reading each event again. A repetition must never be claimed for an
 * event whose description (BinlogTableMap.signature, what decides whether a bound table version still applies)
 * differs — whatever changed.
 */

interface ColumnSpec {
  name: string;
  type: number;
  meta: Record<string, unknown> | undefined;
  unsigned: boolean | undefined;
  columnType: string;
  charset: string | null;
  labels: string[] | undefined;
}
interface Spec {
  database: string;
  table: string;
  columns: ColumnSpec[];
  primaryKey: number[] | undefined;
  full: boolean;
}

/** Fresh objects for every call, as zongji builds them for every event (shapes as zongji 0.9.0 makes them). */
function build(spec: Spec): { event: ZongjiTableMapEvent; entry: ZongjiEntrySchemas } {
  const event: ZongjiTableMapEvent = {
    schemaName: spec.database,
    tableName: spec.table,
    columnTypes: spec.columns.map((c) => c.type),
    columnsMetadata: spec.columns.map((c) => (c.meta ? { ...c.meta } : undefined)),
    ...(spec.full ? { columnNames: spec.columns.map((c) => c.name) } : {}),
    signedness: spec.columns.map((c) => c.unsigned),
    primaryKey: spec.primaryKey ? [...spec.primaryKey] : undefined,
    hasSelfDescribingMetadata: () => spec.full,
  };
  const entry: ZongjiEntrySchemas = {
    columnSchemas: spec.columns.map((c) => ({
      COLUMN_TYPE: c.columnType, CHARACTER_SET_NAME: c.charset,
      ...(c.unsigned === undefined ? {} : { UNSIGNED: c.unsigned }),
      ...(c.labels ? (c.type === 248 ? { SET_VALUES: [...c.labels] } : { ENUM_VALUES: [...c.labels] }) : {}),
    })),
  };
  return { event, entry };
}

const columnSpec: fc.Arbitrary<ColumnSpec> = fc.record({
  name: fc.constantFrom('id', 'v', 'e', 'amount', 'ts'),
  type: fc.constantFrom(3, 8, 15, 17, 18, 246, 247, 248, 252),
  meta: fc.option(fc.dictionary(fc.constantFrom('max_length', 'precision', 'decimals', 'size', 'length_size'), fc.integer({ min: 0, max: 300 }), { maxKeys: 3 }), { nil: undefined }),
  unsigned: fc.option(fc.boolean(), { nil: undefined }),
  columnType: fc.constantFrom('int', 'int unsigned', 'varchar(10)', 'varchar(20)', 'decimal(12,2)', "enum('a','b')", 'datetime(6)'),
  charset: fc.constantFrom(null, 'utf8mb4', 'latin1'),
  labels: fc.option(fc.array(fc.constantFrom('a', 'b', 'a,b', ''), { maxLength: 3 }), { nil: undefined }),
});

const spec: fc.Arbitrary<Spec> = fc.record({
  database: fc.constantFrom('db', 'db2'),
  table: fc.constantFrom('t', 'u'),
  columns: fc.array(columnSpec, { minLength: 1, maxLength: 4 }),
  primaryKey: fc.option(fc.array(fc.nat({ max: 3 }), { maxLength: 2 }), { nil: undefined }),
  full: fc.boolean(),
});

/** One random change to a description (or none). */
const mutate = (s: Spec): fc.Arbitrary<Spec> => fc.oneof(
  fc.constant(s),
  fc.constantFrom('db', 'db2', 'db3').map((database) => ({ ...s, database })),
  fc.constantFrom('t', 'u', 'w').map((table) => ({ ...s, table })),
  columnSpec.map((c) => ({ ...s, columns: [...s.columns, c] })),
  fc.tuple(fc.nat({ max: s.columns.length - 1 }), columnSpec).map(([i, c]) => ({ ...s, columns: s.columns.map((old, j) => (j === i ? c : old)) })),
  fc.nat({ max: s.columns.length - 1 }).chain((i) => fc.constantFrom<keyof ColumnSpec>('name', 'type', 'meta', 'unsigned', 'columnType', 'charset', 'labels').chain((field) =>
    columnSpec.map((c) => ({ ...s, columns: s.columns.map((old, j) => (j === i ? { ...old, [field]: c[field] } : old)) })))),
  fc.option(fc.array(fc.nat({ max: 3 }), { maxLength: 2 }), { nil: undefined }).map((primaryKey) => ({ ...s, primaryKey })),
  fc.boolean().map((full) => ({ ...s, full })),
);

describe('repeated binlog table maps', () => {
  it('recognise an unchanged TableMap, with zongji\'s fresh entry (FULL metadata) or its kept one', () => {
    fc.assert(fc.property(spec, (s) => {
      const first = build(s);
      const memo = rememberTableMap(first.event, first.entry);
      const again = build(s);
      expect(repeatsTableMap(memo, again.event, undefined)).toBe(true);
      const full = s.full && again.entry.columnSchemas.length === s.columns.length;
      expect(repeatsTableMap(memo, again.event, again.entry)).toBe(full);
    }));
  });

  it('never take a TableMap with another signature for a repetition, whatever changed', () => {
    fc.assert(fc.property(spec.chain((s) => fc.tuple(fc.constant(s), mutate(s))), ([before, after]) => {
      const first = build(before);
      const memo = rememberTableMap(first.event, first.entry);
      const next = build(after);
      const sameSignature = readBinlogTableMap(next.event, next.entry).signature === memo.map.signature;
      if (repeatsTableMap(memo, next.event, next.entry)) expect(sameSignature).toBe(true);
      // Without a fresh entry the event's own fields decide; the signature of a kept entry's columns came from the first event.
      if (repeatsTableMap(memo, next.event, undefined)) expect(readBinlogTableMap(next.event, first.entry).signature).toBe(memo.map.signature);
    }), { numRuns: 3000 });
  });

  it('see a change of each part of the description', () => {
    const base: Spec = {
      database: 'db', table: 't', primaryKey: [0], full: true,
      columns: [
        { name: 'id', type: 3, meta: undefined, unsigned: false, columnType: 'int', charset: null, labels: undefined },
        { name: 'e', type: 247, meta: { size: 1 }, unsigned: undefined, columnType: "enum('a','b')", charset: 'utf8mb4', labels: ['a', 'b'] },
      ],
    };
    const memo = rememberTableMap(build(base).event, build(base).entry);
    const changed = (change: (s: Spec) => Spec) => {
      const { event, entry } = build(change(structuredClone(base)));
      return repeatsTableMap(memo, event, entry);
    };
    expect(changed((s) => s)).toBe(true);
    expect(changed((s) => ({ ...s, table: 'u' }))).toBe(false);
    expect(changed((s) => ({ ...s, primaryKey: [1] }))).toBe(false);
    expect(changed((s) => ({ ...s, full: false }))).toBe(false);
    expect(changed((s) => { s.columns[0]!.type = 8; return s; })).toBe(false);
    expect(changed((s) => { s.columns[0]!.unsigned = true; return s; })).toBe(false);
    expect(changed((s) => { s.columns[0]!.name = 'key'; return s; })).toBe(false);
    expect(changed((s) => { s.columns[1]!.meta = { size: 2 }; return s; })).toBe(false);
    expect(changed((s) => { s.columns[1]!.meta = { size: 1, extra: 0 }; return s; })).toBe(false);
    expect(changed((s) => { s.columns[1]!.labels = ['a', 'c']; return s; })).toBe(false);
    expect(changed((s) => { s.columns[1]!.charset = 'latin1'; return s; })).toBe(false);
    expect(changed((s) => { s.columns[1]!.columnType = "enum('a','c')"; return s; })).toBe(false);
    expect(changed((s) => ({ ...s, columns: [...s.columns, s.columns[0]!] }))).toBe(false);
  });
});
