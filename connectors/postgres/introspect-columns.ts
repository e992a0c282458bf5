import { z } from 'zod';
import type { TableId } from '../../src/model/table-schema.js';
import type { PgColumnInfo, PgReplicaIdentity, PgTableInfo, PgTypeInfo } from './pg-column-info.js';
import { PUBLISHED_COLUMN_SQL } from './published-columns.js';

/** The one thing introspection needs from a connection (pg's Client and Pool satisfy it). */
export interface PgQueryable {
  query(sql: string, params?: unknown[]): Promise<{ rows: unknown[] }>;
}

/**
 * The CTEs shared by every catalog description of a table (also describe-relation.ts): from the columns in
 * `cols` (atttypid) every type they reach, and from `rel` (oid) the primary-key and replica-identity
 * index columns.
 */
/** The json_build_object fields both catalog queries return after oid, schema, name and replident. */
export const TABLE_INFO_FIELDS = `  'columns', COALESCE((SELECT json_agg(json_build_object(
      'attnum', attnum, 'name', attname, 'type', atttypid::int8, 'typmod', atttypmod, 'ndims', attndims,
      'notNull', attnotnull, 'generated', generated, 'published', published, 'sourceType', source_type, 'identity', identity_kind,
      'serialSequence', serial_sequence, 'collation', collation_sql, 'generationExpression', generation_expression,
      'missing', missing_text, 'default', default_expr) ORDER BY attnum) FROM cols), '[]'::json),
  'types', COALESCE((SELECT json_agg(types) FROM types), '[]'::json),
  'primaryKey', COALESCE((SELECT json_agg(attname ORDER BY ord) FROM index_cols WHERE indisprimary), '[]'::json),
  'replicaIdentityIndex', COALESCE((SELECT json_agg(attname ORDER BY ord) FROM index_cols WHERE indisreplident), '[]'::json),
  'partitionColumns', (SELECT CASE WHEN EXISTS (SELECT 1 FROM pg_catalog.pg_partitioned_table p WHERE p.partrelid = rel.oid) THEN COALESCE((
      SELECT json_agg(DISTINCT a.attname::text)
      FROM pg_catalog.pg_partition_tree(rel.oid) t
        JOIN pg_catalog.pg_partitioned_table p ON p.partrelid = t.relid
        CROSS JOIN LATERAL unnest(p.partattrs::int2[]) AS k(attnum)
        JOIN pg_catalog.pg_attribute a ON a.attrelid = t.relid AND a.attnum = k.attnum
      WHERE k.attnum > 0), '[]'::json) END FROM rel)`;

/**
 * The definition of a column beyond its type, over pg_attribute `a` (all NULL where `a` is): identity kind,
 * a serial column's owned sequence, a collation other than the type's, a stored generated column's expression.
 */
export const COLUMN_DEFINITION_SELECT = `COALESCE(a.attidentity::text, '') AS identity_kind,
         CASE WHEN a.attidentity = '' AND a.atthasdef THEN pg_catalog.pg_get_serial_sequence(a.attrelid::regclass::text, a.attname) END AS serial_sequence,
         (SELECT pg_catalog.quote_ident(cn.nspname) || '.' || pg_catalog.quote_ident(co.collname)
            FROM pg_catalog.pg_collation co JOIN pg_catalog.pg_namespace cn ON cn.oid = co.collnamespace JOIN pg_catalog.pg_type ct ON ct.oid = a.atttypid
           WHERE co.oid = a.attcollation AND a.attcollation <> ct.typcollation) AS collation_sql,
         (SELECT pg_catalog.pg_get_expr(d.adbin, d.adrelid) FROM pg_catalog.pg_attrdef d
           WHERE a.attgenerated = 's' AND d.adrelid = a.attrelid AND d.adnum = a.attnum) AS generation_expression`;

/**
 * The columns `missing_text` and `default_expr` of a `cols` CTE over pg_attribute `a` LEFT JOIN pg_attrdef `d`:
 * the value rows written before the column was added read (attmissingval, a one-element array as text, set by
 * ADD COLUMN with a non-volatile default until the table is rewritten) and the default expression. A partitioned
 * table (published through its root) stores no rows: its partitions hold the value.
 */
export const MISSING_AND_DEFAULT = `CASE WHEN a.atthasmissing THEN a.attmissingval::text
           WHEN (SELECT relkind FROM pg_catalog.pg_class WHERE oid = a.attrelid) = 'p' THEN (
             SELECT pa.attmissingval::text FROM pg_catalog.pg_partition_tree(a.attrelid) t
               JOIN pg_catalog.pg_attribute pa ON pa.attrelid = t.relid AND pa.attname = a.attname AND NOT pa.attisdropped
             WHERE t.isleaf AND pa.atthasmissing ORDER BY t.relid LIMIT 1)
         END AS missing_text,
         CASE WHEN a.attgenerated = '' THEN pg_catalog.pg_get_expr(d.adbin, d.adrelid) END AS default_expr`;

// Types are looked up by oid through the index (OFFSET 0 keeps the planner from turning the lookup into a hash join
// over all of pg_type, which it estimates cheaper for the recursive CTE's guessed 500 rows: every table adds two
// types, so a database of thousands of tables made each description scan thousands of types).
export const TYPE_AND_KEY_CTES = `type_oids(oid) AS (
  SELECT atttypid FROM cols
  UNION
  SELECT r.oid FROM type_oids t
    CROSS JOIN LATERAL (SELECT typelem, typbasetype FROM pg_catalog.pg_type WHERE oid = t.oid OFFSET 0) AS ty
    CROSS JOIN LATERAL (VALUES (ty.typelem), (ty.typbasetype)) AS r(oid)
  WHERE r.oid <> 0
),
types AS (
  SELECT ty.oid::int8 AS oid, tn.nspname AS schema, ty.typname AS name, ty.typtype AS kind, ty.typcategory AS category,
         ty.typdelim AS delimiter,
         CASE WHEN ty.typelem <> 0 AND el.typarray = ty.oid THEN ty.typelem::int8 END AS element,
         NULLIF(ty.typbasetype, 0)::int8 AS base, ty.typtypmod AS base_typmod, ty.typndims AS base_ndims,
         CASE WHEN ty.typtype = 'e' THEN ARRAY(
           SELECT e.enumlabel FROM pg_catalog.pg_enum e WHERE e.enumtypid = ty.oid ORDER BY e.enumsortorder
         ) END AS labels,
         CASE WHEN ty.typtype = 'd' THEN json_build_object(
           'sql', pg_catalog.format_type(ty.oid, NULL),
           'base', pg_catalog.format_type(ty.typbasetype, NULLIF(ty.typtypmod, -1)),
           'notNull', ty.typnotnull,
           'checks', COALESCE((SELECT json_agg(json_build_object('name', c.conname, 'definition', pg_catalog.pg_get_constraintdef(c.oid)) ORDER BY c.conname)
                                 FROM pg_catalog.pg_constraint c WHERE c.contypid = ty.oid AND c.contype = 'c'), '[]'::json)
         ) END AS domain
  FROM type_oids t
    CROSS JOIN LATERAL (SELECT * FROM pg_catalog.pg_type WHERE oid = t.oid OFFSET 0) AS ty
    JOIN pg_catalog.pg_namespace tn ON tn.oid = ty.typnamespace
    LEFT JOIN pg_catalog.pg_type el ON el.oid = ty.typelem
),
index_cols AS (
  SELECT i.indisprimary, i.indisreplident, k.ord, a.attname
  FROM rel
    JOIN pg_catalog.pg_index i ON i.indrelid = rel.oid
    CROSS JOIN LATERAL unnest(i.indkey::int2[]) WITH ORDINALITY AS k(attnum, ord)
    JOIN pg_catalog.pg_attribute a ON a.attrelid = rel.oid AND a.attnum = k.attnum
  WHERE (i.indisprimary OR i.indisreplident) AND k.ord <= i.indnkeyatts
)`;

/**
 * The description of the table named by the SQL expressions `namespace` and `name`: the table, its columns, every
 * type they reach (array elements and domain bases, recursively), enum labels in sort order and the primary-key /
 * replica-identity index columns, as one JSON text so that no driver-side type parser touches it (oids as int8:
 * json renders the oid type as a string). No row when there is no such table.
 */
const describeTableSql = (namespace: string, name: string) => `
WITH RECURSIVE
rel AS (
  SELECT c.oid, n.nspname, c.relname, c.relreplident
  FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
  WHERE n.nspname = ${namespace} AND c.relname = ${name} AND c.relkind IN ('r', 'p')
),
cols AS (
  SELECT a.attnum, a.attname, a.atttypid, a.atttypmod, a.attndims, a.attnotnull,
         a.attgenerated <> '' AS generated, ${PUBLISHED_COLUMN_SQL} AS published, pg_catalog.format_type(a.atttypid, a.atttypmod) AS source_type,
         ${COLUMN_DEFINITION_SELECT},
         ${MISSING_AND_DEFAULT}
  FROM pg_catalog.pg_attribute a JOIN rel ON a.attrelid = rel.oid
    LEFT JOIN pg_catalog.pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
  WHERE a.attnum > 0 AND NOT a.attisdropped
),
${TYPE_AND_KEY_CTES}
SELECT json_build_object(
  'oid', rel.oid::int8,
  'schema', rel.nspname,
  'name', rel.relname,
  'replident', rel.relreplident,
${TABLE_INFO_FIELDS}
)::text AS info
FROM rel`;

/** One round trip for one table ($1 schema, $2 name). */
export const INTROSPECT_TABLE_SQL = describeTableSql('$1', '$2');

/**
 * One round trip for many tables ($1 schemas, $2 names): the same description per table, in the given order,
 * null where there is no such table. One query planned once instead of one per table (6–7 ms each: a
 * database of thousands of tables, bench/many-tables).
 */
export const INTROSPECT_TABLES_SQL = `SELECT w.ord::int AS ord, (${describeTableSql('w.nspname', 'w.relname')}) AS info
FROM unnest($1::text[], $2::text[]) WITH ORDINALITY AS w(nspname, relname, ord)
ORDER BY w.ord`;

const oid = z.number().int().nonnegative();
const typeRow = z.object({
  oid,
  schema: z.string(),
  name: z.string(),
  kind: z.enum(['b', 'c', 'd', 'e', 'p', 'r', 'm']),
  category: z.string(),
  delimiter: z.string().length(1),
  element: oid.nullable(),
  base: oid.nullable(),
  base_typmod: z.number().int(),
  base_ndims: z.number().int(),
  labels: z.array(z.string()).nullable(),
  domain: z.object({
    sql: z.string(),
    base: z.string(),
    notNull: z.boolean(),
    checks: z.array(z.object({ name: z.string(), definition: z.string() })),
  }).nullish(),
});
const tableRow = z.object({
  oid,
  schema: z.string(),
  name: z.string(),
  replident: z.enum(['d', 'n', 'f', 'i']),
  columns: z.array(
    z.object({
      attnum: z.number().int(),
      name: z.string(),
      type: oid,
      typmod: z.number().int(),
      ndims: z.number().int(),
      notNull: z.boolean(),
      generated: z.boolean(),
      published: z.boolean(),
      sourceType: z.string(),
      identity: z.enum(['', 'a', 'd']).default(''),
      serialSequence: z.string().nullish(),
      collation: z.string().nullish(),
      generationExpression: z.string().nullish(),
      missing: z.string().nullish(),
      default: z.string().nullish(),
    }),
  ),
  types: z.array(typeRow),
  primaryKey: z.array(z.string()),
  replicaIdentityIndex: z.array(z.string()),
  partitionColumns: z.array(z.string()).nullable().optional(),
});

const REPLICA_IDENTITY: Record<'d' | 'n' | 'f' | 'i', PgReplicaIdentity> = { d: 'default', n: 'nothing', f: 'full', i: 'index' };

export class TableNotFoundError extends Error {
  readonly code = 'PG_TABLE_NOT_FOUND';
  readonly retriable = false;
  constructor(readonly table: TableId) {
    super(`table ${JSON.stringify(table.namespace)}.${JSON.stringify(table.name)} does not exist (or is not an ordinary or partitioned table)`);
    this.name = 'TableNotFoundError';
  }
}

/** Reads the catalog description of one table. */
export async function introspectTable(db: PgQueryable, table: TableId): Promise<PgTableInfo> {
  const { rows } = await db.query(INTROSPECT_TABLE_SQL, [table.namespace, table.name]);
  const first = rows[0] as { info?: unknown } | undefined;
  if (first === undefined) throw new TableNotFoundError(table);
  if (typeof first.info !== 'string') throw new Error('table introspection returned no JSON text (column "info")');
  return tableInfoFromCatalogJson(JSON.parse(first.info));
}

/** Tables introspected per query: bounds the answer's size (a few kB of JSON per table). */
const TABLES_PER_QUERY = 500;

/** Reads the catalog descriptions of `tables`, in their order, a batch of tables per round trip. */
export async function introspectTables(db: PgQueryable, tables: readonly TableId[]): Promise<PgTableInfo[]> {
  const infos: PgTableInfo[] = [];
  for (let from = 0; from < tables.length; from += TABLES_PER_QUERY) {
    const batch = tables.slice(from, from + TABLES_PER_QUERY);
    const { rows } = await db.query(INTROSPECT_TABLES_SQL, [batch.map((t) => t.namespace), batch.map((t) => t.name)]);
    const byOrd = new Map((rows as Array<{ ord: number; info: string | null }>).map((r) => [r.ord, r.info]));
    batch.forEach((table, i) => {
      const info = byOrd.get(i + 1);
      if (info === null || info === undefined) throw new TableNotFoundError(table);
      infos.push(tableInfoFromCatalogJson(JSON.parse(info)));
    });
  }
  return infos;
}

/** Turns the introspection query's JSON into typed, cross-linked column info. Exported for unit tests. */
export function tableInfoFromCatalogJson(json: unknown): PgTableInfo {
  const row = tableRow.parse(json);
  const typeRows = new Map(row.types.map((t) => [t.oid, t]));
  const resolved = new Map<number, PgTypeInfo>();

  const resolve = (typeOid: number, path: number[] = []): PgTypeInfo => {
    const done = resolved.get(typeOid);
    if (done) return done;
    const t = typeRows.get(typeOid);
    if (!t) throw new Error(`type oid ${typeOid} is missing from the introspection answer`);
    if (path.includes(typeOid)) throw new Error(`type oid ${typeOid} refers to itself`);
    const info: PgTypeInfo = { oid: t.oid, schema: t.schema, name: t.name, kind: t.kind, category: t.category, delimiter: t.delimiter };
    if (t.element !== null) info.element = resolve(t.element, [...path, typeOid]);
    if (t.kind === 'd' && t.base !== null) {
      info.domainBase = { type: resolve(t.base, [...path, typeOid]), typmod: t.base_typmod, ndims: t.base_ndims };
    }
    if (t.labels !== null) info.enumLabels = t.labels;
    if (t.domain) info.domain = t.domain;
    resolved.set(typeOid, info);
    return info;
  };

  const columns: PgColumnInfo[] = row.columns.map((c) => {
    const column: PgColumnInfo = {
      name: c.name,
      attnum: c.attnum,
      type: resolve(c.type),
      typmod: c.typmod,
      ndims: c.ndims,
      notNull: c.notNull,
      generated: c.generated,
      published: c.published,
      sourceType: c.sourceType,
    };
    if (c.identity !== '') column.identity = c.identity === 'a' ? 'always' : 'by default';
    if (c.serialSequence) column.serialSequence = c.serialSequence;
    if (c.collation) column.collation = c.collation;
    if (c.generationExpression) column.generationExpression = c.generationExpression;
    if (c.missing != null) column.missingText = c.missing;
    if (c.default != null) column.defaultExpression = c.default;
    return column;
  });
  const replicaIdentity = REPLICA_IDENTITY[row.replident];
  return {
    oid: row.oid,
    schema: row.schema,
    name: row.name,
    columns,
    primaryKey: row.primaryKey,
    replicaIdentity,
    replicaIdentityIndex: replicaIdentity === 'index' ? row.replicaIdentityIndex : [],
    ...(row.partitionColumns ? { partitionColumns: row.partitionColumns } : {}),
  };
}
