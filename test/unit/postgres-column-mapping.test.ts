import { describe, expect, it } from 'vitest';
import type { ColumnType } from '../../src/model/column-type.js';
import { mapColumn, mapPgType, mapTable, numericTypmod } from '../../connectors/postgres/column-mapping.js';
import { tableInfoFromCatalogJson } from '../../connectors/postgres/introspect-columns.js';
import type { PgTypeInfo } from '../../connectors/postgres/pg-column-info.js';

const builtin = (name: string, extra: Partial<PgTypeInfo> = {}): PgTypeInfo => ({
  oid: 1,
  schema: 'pg_catalog',
  name,
  kind: 'b',
  category: 'X',
  delimiter: ',',
  ...extra,
});
const arrayOf = (element: PgTypeInfo): PgTypeInfo => builtin(`_${element.name}`, { schema: element.schema, category: 'A', element });

describe('mapPgType: built-in types', () => {
  it.each<[string, number, ColumnType]>([
    ['bool', -1, { kind: 'boolean' }],
    ['int2', -1, { kind: 'int', bits: 16 }],
    ['int4', -1, { kind: 'int', bits: 32 }],
    ['int8', -1, { kind: 'long' }],
    ['float4', -1, { kind: 'float' }],
    ['float8', -1, { kind: 'double' }],
    ['numeric', -1, { kind: 'variable-decimal', specials: true }],
    ['money', -1, { kind: 'decimal', precision: 19, scale: 2 }],
    ['text', -1, { kind: 'string' }],
    ['varchar', 24, { kind: 'string' }],
    ['bpchar', 9, { kind: 'string' }],
    ['name', -1, { kind: 'string' }],
    ['char', -1, { kind: 'string' }],
    ['bytea', -1, { kind: 'bytes' }],
    ['bit', 7, { kind: 'bits', length: 7 }],
    ['varbit', 9, { kind: 'bits' }],
    ['date', -1, { kind: 'date' }],
    ['time', 3, { kind: 'time-micros' }],
    ['timetz', -1, { kind: 'time-tz' }],
    ['timestamp', -1, { kind: 'timestamp-micros', zoned: false }],
    ['timestamptz', 6, { kind: 'timestamp-micros', zoned: true }],
    ['interval', -1, { kind: 'interval' }],
    ['json', -1, { kind: 'json' }],
    ['jsonb', -1, { kind: 'json' }],
    ['uuid', -1, { kind: 'uuid' }],
    ['xml', -1, { kind: 'string', semantic: 'xml' }],
    ['inet', -1, { kind: 'string', semantic: 'inet' }],
    ['cidr', -1, { kind: 'string', semantic: 'cidr' }],
    ['macaddr', -1, { kind: 'string', semantic: 'macaddr' }],
    ['macaddr8', -1, { kind: 'string', semantic: 'macaddr8' }],
    ['point', -1, { kind: 'string', semantic: 'geometric' }],
    ['line', -1, { kind: 'string', semantic: 'geometric' }],
    ['lseg', -1, { kind: 'string', semantic: 'geometric' }],
    ['box', -1, { kind: 'string', semantic: 'geometric' }],
    ['path', -1, { kind: 'string', semantic: 'geometric' }],
    ['polygon', -1, { kind: 'string', semantic: 'geometric' }],
    ['circle', -1, { kind: 'string', semantic: 'geometric' }],
    ['tsvector', -1, { kind: 'string', semantic: 'text-search' }],
    ['tsquery', -1, { kind: 'string', semantic: 'text-search' }],
    ['pg_lsn', -1, { kind: 'string', semantic: 'other' }],
    ['oid', -1, { kind: 'string', semantic: 'other' }],
    ['jsonpath', -1, { kind: 'string', semantic: 'other' }],
    ['constructor', -1, { kind: 'string', semantic: 'other' }],
  ])('%s (typmod %i)', (name, typmod, expected) => {
    expect(mapPgType(builtin(name), typmod, 0)).toEqual(expected);
  });

  it('a type of the same name outside pg_catalog is not the built-in', () => {
    expect(mapPgType(builtin('int4', { schema: 'public' }), -1, 0)).toEqual({ kind: 'string', semantic: 'other' });
  });
});

describe('numeric type modifiers', () => {
  // typmods captured from pg_attribute.atttypmod on PostgreSQL 15.20 (format_type beside them)
  it.each([
    [329730, 5, -2], // numeric(5,-2)
    [196617, 3, 5], // numeric(3,5)
    [2490372, 38, 0], // numeric(38,0)
    [65537004, 1000, 1000], // numeric(1000,1000)
    [655366, 10, 2], // numeric(10,2)
  ])('typmod %i is numeric(%i,%i)', (typmod, precision, scale) => {
    expect(numericTypmod(typmod)).toEqual({ precision, scale });
  });

  it('maps to decimals that hold every value the column can', () => {
    const numeric = builtin('numeric');
    expect(mapPgType(numeric, 655366, 0)).toEqual({ kind: 'decimal', precision: 10, scale: 2, specials: true });
    expect(mapPgType(numeric, 329730, 0)).toEqual({ kind: 'decimal', precision: 7, scale: 0, specials: true });
    expect(mapPgType(numeric, 196617, 0)).toEqual({ kind: 'decimal', precision: 5, scale: 5, specials: true });
    expect(mapPgType(numeric, -1, 0)).toEqual({ kind: 'variable-decimal', specials: true });
  });
});

describe('enums, domains, ranges, arrays', () => {
  const mood: PgTypeInfo = { oid: 9, schema: 'app', name: 'mood', kind: 'e', category: 'E', delimiter: ',', enumLabels: ['sad', 'it\'s "ok"'] };

  it('an enum keeps its labels in sort order', () => {
    expect(mapPgType(mood, -1, 0)).toEqual({ kind: 'enum', name: 'mood', symbols: ['sad', 'it\'s "ok"'] });
  });

  it('a domain maps as its base type, with the domain’s own modifier', () => {
    const money2: PgTypeInfo = { oid: 10, schema: 'app', name: 'price', kind: 'd', category: 'N', delimiter: ',', domainBase: { type: builtin('numeric'), typmod: 655366, ndims: 0 } };
    expect(mapPgType(money2, -1, 0)).toEqual({ kind: 'decimal', precision: 10, scale: 2, specials: true });
    expect(mapPgType(arrayOf(money2), -1, 1)).toEqual({ kind: 'array', element: { kind: 'decimal', precision: 10, scale: 2, specials: true }, dimensions: 1 });
  });

  it('a domain over a domain over an array maps through both', () => {
    const matrix: PgTypeInfo = { oid: 11, schema: 'app', name: 'matrix', kind: 'd', category: 'A', delimiter: ',', domainBase: { type: arrayOf(builtin('float8')), typmod: -1, ndims: 2 } };
    const named: PgTypeInfo = { oid: 12, schema: 'app', name: 'named_matrix', kind: 'd', category: 'A', delimiter: ',', domainBase: { type: matrix, typmod: -1, ndims: 0 } };
    expect(mapPgType(named, -1, 0)).toEqual({ kind: 'array', element: { kind: 'double' }, dimensions: 2 });
  });

  it('ranges and multiranges are range strings; composites are other strings', () => {
    expect(mapPgType({ ...builtin('int4range'), kind: 'r' }, -1, 0)).toEqual({ kind: 'string', semantic: 'range' });
    expect(mapPgType({ ...builtin('int4multirange'), kind: 'm' }, -1, 0)).toEqual({ kind: 'string', semantic: 'range' });
    expect(mapPgType({ ...builtin('address', { schema: 'app' }), kind: 'c' }, -1, 0)).toEqual({ kind: 'string', semantic: 'other' });
  });

  it('arrays take attndims (≥ 2) or 1 as their dimensions, and the column typmod for the element', () => {
    expect(mapPgType(arrayOf(builtin('int4')), -1, 0)).toEqual({ kind: 'array', element: { kind: 'int', bits: 32 }, dimensions: 1 });
    expect(mapPgType(arrayOf(builtin('int4')), -1, 1)).toEqual({ kind: 'array', element: { kind: 'int', bits: 32 }, dimensions: 1 });
    expect(mapPgType(arrayOf(builtin('int4')), -1, 3)).toEqual({ kind: 'array', element: { kind: 'int', bits: 32 }, dimensions: 3 });
    expect(mapPgType(arrayOf(builtin('numeric')), 655366, 1)).toEqual({
      kind: 'array',
      element: { kind: 'decimal', precision: 10, scale: 2, specials: true },
      dimensions: 1,
    });
    expect(mapPgType(arrayOf(mood), -1, 1)).toEqual({ kind: 'array', element: mapPgType(mood, -1, 0), dimensions: 1 });
  });
});

describe('catalog JSON → table info → schema', () => {
  // Captured from INTROSPECT_TABLE_SQL on PostgreSQL 15.20 (2026-11-22) for
  //   CREATE TYPE mood AS ENUM ('b','a'); CREATE DOMAIN dnum AS numeric(10,2); CREATE DOMAIN int_matrix AS int[][];
  //   CREATE TABLE t (a int, b text, c int[][], d dnum[], e mood, f box[], g numeric(5,-2), dropped int, h point,
  //     PRIMARY KEY (b, a)); then dropped `dropped` and added m int_matrix, money_col money,
  //     gen int GENERATED ALWAYS AS (a * 2) STORED, u uuid NOT NULL; UNIQUE INDEX t_u ON t (u) INCLUDE (a);
  //     REPLICA IDENTITY USING INDEX t_u.
  const captured = {
    oid: 16429, schema: 'scratch_intro', name: 't', replident: 'i',
    columns: [
      { attnum: 1, name: 'a', type: 23, typmod: -1, ndims: 0, notNull: true, generated: false, published: true, sourceType: 'integer' },
      { attnum: 2, name: 'b', type: 25, typmod: -1, ndims: 0, notNull: true, generated: false, published: true, sourceType: 'text' },
      { attnum: 3, name: 'c', type: 1007, typmod: -1, ndims: 2, notNull: false, generated: false, published: true, sourceType: 'integer[]' },
      { attnum: 4, name: 'd', type: 16427, typmod: -1, ndims: 1, notNull: false, generated: false, published: true, sourceType: 'scratch_intro.dnum[]' },
      { attnum: 5, name: 'e', type: 16423, typmod: -1, ndims: 0, notNull: false, generated: false, published: true, sourceType: 'scratch_intro.mood' },
      { attnum: 6, name: 'f', type: 1020, typmod: -1, ndims: 1, notNull: false, generated: false, published: true, sourceType: 'box[]' },
      { attnum: 7, name: 'g', type: 1700, typmod: 329730, ndims: 0, notNull: false, generated: false, published: true, sourceType: 'numeric(5,-2)' },
      { attnum: 9, name: 'h', type: 600, typmod: -1, ndims: 0, notNull: false, generated: false, published: true, sourceType: 'point' },
      { attnum: 10, name: 'm', type: 16437, typmod: -1, ndims: 0, notNull: false, generated: false, published: true, sourceType: 'scratch_intro.int_matrix' },
      { attnum: 11, name: 'money_col', type: 790, typmod: -1, ndims: 0, notNull: false, generated: false, published: true, sourceType: 'money' },
      { attnum: 12, name: 'gen', type: 23, typmod: -1, ndims: 0, notNull: false, generated: true, published: false, sourceType: 'integer' },
      { attnum: 13, name: 'u', type: 2950, typmod: -1, ndims: 0, notNull: true, generated: false, published: true, sourceType: 'uuid' },
    ],
    types: [
      { oid: 23, schema: 'pg_catalog', name: 'int4', kind: 'b', category: 'N', delimiter: ',', element: null, base: null, base_typmod: -1, base_ndims: 0, labels: null },
      { oid: 25, schema: 'pg_catalog', name: 'text', kind: 'b', category: 'S', delimiter: ',', element: null, base: null, base_typmod: -1, base_ndims: 0, labels: null },
      { oid: 1007, schema: 'pg_catalog', name: '_int4', kind: 'b', category: 'A', delimiter: ',', element: 23, base: null, base_typmod: -1, base_ndims: 0, labels: null },
      { oid: 16427, schema: 'scratch_intro', name: '_dnum', kind: 'b', category: 'A', delimiter: ',', element: 16428, base: null, base_typmod: -1, base_ndims: 0, labels: null },
      { oid: 16423, schema: 'scratch_intro', name: 'mood', kind: 'e', category: 'E', delimiter: ',', element: null, base: null, base_typmod: -1, base_ndims: 0, labels: ['b', 'a'] },
      { oid: 1020, schema: 'pg_catalog', name: '_box', kind: 'b', category: 'A', delimiter: ';', element: 603, base: null, base_typmod: -1, base_ndims: 0, labels: null },
      { oid: 1700, schema: 'pg_catalog', name: 'numeric', kind: 'b', category: 'N', delimiter: ',', element: null, base: null, base_typmod: -1, base_ndims: 0, labels: null },
      { oid: 600, schema: 'pg_catalog', name: 'point', kind: 'b', category: 'G', delimiter: ',', element: null, base: null, base_typmod: -1, base_ndims: 0, labels: null },
      { oid: 16437, schema: 'scratch_intro', name: 'int_matrix', kind: 'd', category: 'A', delimiter: ',', element: null, base: 1007, base_typmod: -1, base_ndims: 2, labels: null },
      { oid: 790, schema: 'pg_catalog', name: 'money', kind: 'b', category: 'N', delimiter: ',', element: null, base: null, base_typmod: -1, base_ndims: 0, labels: null },
      { oid: 2950, schema: 'pg_catalog', name: 'uuid', kind: 'b', category: 'U', delimiter: ',', element: null, base: null, base_typmod: -1, base_ndims: 0, labels: null },
      { oid: 701, schema: 'pg_catalog', name: 'float8', kind: 'b', category: 'N', delimiter: ',', element: null, base: null, base_typmod: -1, base_ndims: 0, labels: null },
      { oid: 603, schema: 'pg_catalog', name: 'box', kind: 'b', category: 'G', delimiter: ';', element: null, base: null, base_typmod: -1, base_ndims: 0, labels: null },
      { oid: 16428, schema: 'scratch_intro', name: 'dnum', kind: 'd', category: 'N', delimiter: ',', element: null, base: 1700, base_typmod: 655366, base_ndims: 0, labels: null },
    ],
    primaryKey: ['b', 'a'],
    replicaIdentityIndex: ['u'],
  };

  const info = tableInfoFromCatalogJson(captured);

  it('links array elements and domain bases, keeps dropped-column gaps out', () => {
    expect(info.columns.map((c) => c.attnum)).toEqual([1, 2, 3, 4, 5, 6, 7, 9, 10, 11, 12, 13]);
    expect(info.columns[3]!.type.element?.domainBase?.type.name).toBe('numeric');
    expect(info.replicaIdentity).toBe('index');
    expect(info.replicaIdentityIndex).toEqual(['u']);
    expect(info.primaryKey).toEqual(['b', 'a']);
  });

  it('maps every column; the replica identity index is the key; generated columns are left out', () => {
    const { schema, columns } = mapTable(info);
    expect(schema.id).toEqual({ namespace: 'scratch_intro', name: 't' });
    expect(schema.key).toEqual(['u']);
    expect(Object.fromEntries(schema.columns.map((c) => [c.name, c.type]))).toEqual({
      a: { kind: 'int', bits: 32 },
      b: { kind: 'string' },
      c: { kind: 'array', element: { kind: 'int', bits: 32 }, dimensions: 2 },
      d: { kind: 'array', element: { kind: 'decimal', precision: 10, scale: 2, specials: true }, dimensions: 1 },
      e: { kind: 'enum', name: 'mood', symbols: ['b', 'a'] },
      f: { kind: 'array', element: { kind: 'string', semantic: 'geometric' }, dimensions: 1 },
      g: { kind: 'decimal', precision: 7, scale: 0, specials: true },
      h: { kind: 'string', semantic: 'geometric' },
      m: { kind: 'array', element: { kind: 'int', bits: 32 }, dimensions: 2 },
      money_col: { kind: 'decimal', precision: 19, scale: 2 },
      u: { kind: 'uuid' },
    });
    expect(schema.columns.find((c) => c.name === 'a')).toEqual({ name: 'a', type: { kind: 'int', bits: 32 }, nullable: false, sourceType: 'integer' });
    const byName = new Map(columns.map((c) => [c.name, c]));
    expect(byName.get('f')?.arrayDelimiter).toBe(';');
    expect(byName.get('c')?.arrayDelimiter).toBe(',');
    expect(byName.get('money_col')?.money).toBe(true);
    expect(byName.get('g')?.money).toBe(false);
  });

  it('without a replica identity index the primary key is the key', () => {
    const { schema } = mapTable({ ...info, replicaIdentity: 'default', replicaIdentityIndex: [] });
    expect(schema.key).toEqual(['b', 'a']);
  });

  it('refuses answers that do not have the expected shape', () => {
    expect(() => tableInfoFromCatalogJson({ ...captured, replident: 'x' })).toThrow();
    expect(() => tableInfoFromCatalogJson({ ...captured, types: captured.types.slice(1) })).toThrow(/type oid 23 is missing/);
  });

  it('mapColumn keeps the source type text', () => {
    expect(mapColumn(info.columns[3]!).sourceType).toBe('scratch_intro.dnum[]');
  });
});
