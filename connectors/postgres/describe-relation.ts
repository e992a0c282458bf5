import type { Pgoutput } from 'pg-logical-replication';
import type { PgQueryable } from './introspect-columns.js';
import { COLUMN_DEFINITION_SELECT, MISSING_AND_DEFAULT, TABLE_INFO_FIELDS, TYPE_AND_KEY_CTES, tableInfoFromCatalogJson } from './introspect-columns.js';
import type { PgTableInfo } from './pg-column-info.js';

/**
 * The table as a Relation message describes it, with the catalog's knowledge of each column's TYPE (by
 * oid, recursively: array elements, domain bases, enum labels). Used when the catalog has moved on since
 * the WAL being decoded (a column added, dropped or retyped later): the Relation message is the truth for
 * that point of the log. What the message does not carry is taken from today's catalog where the column
 * still matches by name, type and modifier (NOT NULL, declared dimensions, the value older rows read, the
 * default), else assumed (nullable, no dimensions, no default). The answer has the shape of
 * INTROSPECT_TABLE_SQL's (with its type and key CTEs), so tableInfoFromCatalogJson reads it.
 */
export const DESCRIBE_RELATION_SQL = `
WITH RECURSIVE
wanted AS (
  SELECT w.ord, w.name, w.type::oid AS type, w.typmod
  FROM json_to_recordset($2::json) AS w(ord int, name text, type int8, typmod int)
),
rel AS (
  SELECT c.oid, c.relreplident FROM pg_catalog.pg_class c WHERE c.oid = $1::int8::oid
),
cols AS (
  SELECT w.ord AS attnum, w.name AS attname, w.type AS atttypid, w.typmod AS atttypmod,
         COALESCE(a.attndims, 0) AS attndims, COALESCE(a.attnotnull, false) AS attnotnull,
         false AS generated, true AS published, pg_catalog.format_type(w.type, w.typmod) AS source_type,
         ${COLUMN_DEFINITION_SELECT},
         ${MISSING_AND_DEFAULT}
  FROM wanted w
  LEFT JOIN pg_catalog.pg_attribute a
    ON a.attrelid = $1::int8::oid AND a.attname = w.name AND NOT a.attisdropped AND a.atttypid = w.type AND a.atttypmod = w.typmod
  LEFT JOIN pg_catalog.pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
),
${TYPE_AND_KEY_CTES}
SELECT json_build_object(
  'oid', $1::int8,
  'schema', $3::text,
  'name', $4::text,
  'replident', COALESCE((SELECT relreplident FROM rel), $5::"char"),
${TABLE_INFO_FIELDS}
)::text AS info`;

const REPLIDENT: Record<Pgoutput.MessageRelation['replicaIdentity'], string> = { default: 'd', nothing: 'n', full: 'f', index: 'i' };

/** pg-logical-replication reads oids as signed 32-bit numbers; oids above 2^31 must be read back unsigned. */
export const unsignedOid = (oid: number): number => oid >>> 0;

export async function describeRelation(db: PgQueryable, relation: Pgoutput.MessageRelation): Promise<PgTableInfo> {
  const columns = relation.columns.map((c, i) => ({ ord: i + 1, name: c.name, type: unsignedOid(c.typeOid), typmod: c.typeMod }));
  const { rows } = await db.query(DESCRIBE_RELATION_SQL, [
    unsignedOid(relation.relationOid),
    JSON.stringify(columns),
    relation.schema,
    relation.name,
    REPLIDENT[relation.replicaIdentity],
  ]);
  const info = (rows[0] as { info?: unknown } | undefined)?.info;
  if (typeof info !== 'string') throw new Error('relation description returned no JSON text (column "info")');
  return tableInfoFromCatalogJson(JSON.parse(info));
}
