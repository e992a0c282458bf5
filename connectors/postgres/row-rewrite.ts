import type { TableId } from '../../src/model/table-schema.js';
import type { SchemaChange } from '../../src/schema-changes/schema-change.js';
import type { PgQueryable } from './introspect-columns.js';
import { PUBLISHED_COLUMN_SQL } from './published-columns.js';

/** A column as a pgoutput Relation message lists it. */
export interface RelationColumnShape {
  name: string;
  typeOid: number;
  typeMod: number;
}

/** What pg_attribute says of a column now (PostgreSQL keeps no such history: read when its Relation message arrives). */
export interface PgColumnFacts {
  attnum: number;
  /** atthasdef: the column has a default expression. */
  hasDefault: boolean;
  /**
   * atthasmissing: ADD COLUMN stored the default once, for the rows that existed ("fast default", a constant):
   * the table was not rewritten. A default without it was evaluated per row, rewriting the table.
   */
  hasMissingValue: boolean;
  /** attidentity set: existing rows got sequence values when it was added. */
  identity: boolean;
  generated: boolean;
}

export const COLUMN_FACTS_SQL = `SELECT attname AS name, attnum, atthasdef AS has_default, atthasmissing AS has_missing,
       attidentity <> '' AS identity, attgenerated <> '' AS generated
FROM pg_catalog.pg_attribute WHERE attrelid = $1::int8::oid AND attnum > 0 AND NOT attisdropped`;

export async function readColumnFacts(db: PgQueryable, oid: number): Promise<Map<string, PgColumnFacts>> {
  const { rows } = await db.query(COLUMN_FACTS_SQL, [oid]);
  const facts = new Map<string, PgColumnFacts>();
  for (const r of rows as Array<{ name: string; attnum: number; has_default: boolean; has_missing: boolean; identity: boolean; generated: boolean }>) {
    facts.set(r.name, { attnum: Number(r.attnum), hasDefault: r.has_default, hasMissingValue: r.has_missing, identity: r.identity, generated: r.generated });
  }
  return facts;
}

/** The highest attnum among the columns a Relation message lists: a column added later has a higher one (a renamed one keeps its own). */
export function highestAttnum(columns: readonly RelationColumnShape[], facts: ReadonlyMap<string, PgColumnFacts>): number {
  let highest = 0;
  for (const c of columns) highest = Math.max(highest, facts.get(c.name)?.attnum ?? 0);
  return highest;
}

/**
 * What changed between two Relation messages of one table, and whether it changed existing rows without row
 * events (PostgreSQL rewrote the table; logical decoding never shows a rewrite):
 * - a column kept its name but got another type or modifier: ALTER COLUMN … TYPE [USING] converted every value;
 * - a column was added (its attnum is above every column of the earlier message, so not a rename) with an identity,
 *   or with a default but no stored missing value: the default was evaluated per row (volatile: gen_random_uuid(),
 *   clock_timestamp()). A constant default is stored once (atthasmissing) and old rows read it: not a rewrite; no
 *   default: old rows are NULL, not a rewrite either.
 * - a stored generated column was added (published from PostgreSQL 18 only, published-columns.ts): every row got its value.
 */
export function pgSchemaChange(
  table: TableId,
  before: readonly RelationColumnShape[],
  after: readonly RelationColumnShape[],
  facts: ReadonlyMap<string, PgColumnFacts>,
  earlierHighestAttnum: number,
): SchemaChange {
  const previous = new Map(before.map((c) => [c.name, c]));
  const retyped = after.filter((c) => {
    const old = previous.get(c.name);
    return old !== undefined && ((old.typeOid >>> 0) !== (c.typeOid >>> 0) || old.typeMod !== c.typeMod);
  }).map((c) => c.name);
  const added = after.filter((c) => !previous.has(c.name));
  const newlyAdded = added.filter((c) => (facts.get(c.name)?.attnum ?? 0) > earlierHighestAttnum);
  const identity = newlyAdded.filter((c) => facts.get(c.name)!.identity).map((c) => c.name);
  const volatile = newlyAdded.filter((c) => {
    const f = facts.get(c.name)!;
    return f.hasDefault && !f.hasMissingValue && !f.identity && !f.generated;
  }).map((c) => c.name);
  const generated = newlyAdded.filter((c) => facts.get(c.name)!.generated).map((c) => c.name);
  const changed = [...retyped, ...added.map((c) => c.name)];
  if (retyped.length > 0) return { table, rewritesRows: true, reason: 'column-type-changed', columns: [...retyped, ...volatile, ...identity] };
  if (volatile.length > 0) return { table, rewritesRows: true, reason: 'volatile-default', columns: [...volatile, ...identity] };
  if (identity.length > 0) return { table, rewritesRows: true, reason: 'identity-column', columns: identity };
  if (generated.length > 0) return { table, rewritesRows: true, reason: 'stored-generated-column', columns: generated };
  return { table, rewritesRows: false, columns: changed };
}

/** The published columns of a table as the catalog shows them, in the form of a Relation message, with their highest attnum. */
export interface PublishedShape {
  table: TableId;
  columns: RelationColumnShape[];
  highestAttnum: number;
}

const PUBLISHED_SHAPES_SQL = `SELECT a.attrelid::int8 AS oid, p.schemaname, p.tablename,
       json_agg(json_build_object('name', a.attname, 'typeOid', a.atttypid::int8, 'typeMod', a.atttypmod, 'attnum', a.attnum) ORDER BY a.attnum)::text AS columns
FROM pg_catalog.pg_publication_tables p
  JOIN pg_catalog.pg_namespace n ON n.nspname = p.schemaname
  JOIN pg_catalog.pg_class c ON c.relnamespace = n.oid AND c.relname = p.tablename
  JOIN pg_catalog.pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped AND ${PUBLISHED_COLUMN_SQL}
WHERE p.pubname = $1
GROUP BY a.attrelid, p.schemaname, p.tablename`;

/** PostgreSQL 15+: a table's column list (pg_publication_tables.attnames) limits what its Relation messages carry. */
const PUBLISHED_SHAPES_15_SQL = PUBLISHED_SHAPES_SQL.replace(`a.attgenerated = ''`, `a.attgenerated = '' AND (p.attnames IS NULL OR a.attname = ANY(p.attnames))`);

const columnLists = new WeakMap<PgQueryable, boolean>();

/** The published shape of every table of the publication, by oid: one query. */
export async function readPublishedShapes(db: PgQueryable, publication: string): Promise<Map<number, PublishedShape>> {
  let lists = columnLists.get(db);
  if (lists === undefined) {
    lists = Number(((await db.query(`SELECT current_setting('server_version_num')::int AS v`)).rows[0] as { v: number }).v) >= 150000;
    columnLists.set(db, lists);
  }
  const { rows } = await db.query(lists ? PUBLISHED_SHAPES_15_SQL : PUBLISHED_SHAPES_SQL, [publication]);
  const shapes = new Map<number, PublishedShape>();
  for (const r of rows as Array<{ oid: string | number; schemaname: string; tablename: string; columns: string }>) {
    const columns = JSON.parse(r.columns) as Array<RelationColumnShape & { attnum: number }>;
    shapes.set(Number(r.oid), {
      table: { namespace: r.schemaname, name: r.tablename },
      columns: columns.map((c) => ({ name: c.name, typeOid: Number(c.typeOid), typeMod: c.typeMod })),
      highestAttnum: Math.max(0, ...columns.map((c) => c.attnum)),
    });
  }
  return shapes;
}

export const sameShape = (a: readonly RelationColumnShape[], b: readonly RelationColumnShape[]): boolean =>
  a.length === b.length && a.every((c, i) => c.name === b[i]!.name && (c.typeOid >>> 0) === (b[i]!.typeOid >>> 0) && c.typeMod === b[i]!.typeMod);
