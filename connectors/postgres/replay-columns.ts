import type { ColumnType } from '../../src/model/column-type.js';
import type { Column, DomainDefinition } from '../../src/model/table-schema.js';
import type { SourceKind } from '../../src/replay/replay-target.js';
import { createDomainSql } from './replay-definition.js';

/** How a column is rebuilt in PostgreSQL: its type as SQL, the kind the connector will read back, enum types to create. */
export interface PgColumnPlan {
  sql: string;
  /** The ColumnType kind this connector maps the rebuilt column to (for telling a conflicting table apart). */
  kind: ColumnType['kind'];
  /** An enum type the column needs: its SQL name and labels. */
  enumType?: { sql: string; labels: string[] };
  /** A domain the column's type is (created with its base type, NOT NULL and CHECK constraints). */
  domain?: { definition: DomainDefinition; create: string };
}

/** Type names that come from the topic's schema and go into DDL unquoted: only plain, known shapes pass. */
const SAFE_SOURCE_TYPE = /^[a-z][a-z0-9 _]*(\(\d+(,\s*-?\d+)?\))?( with(out)? time zone)?(\[\])*$/;

/** A (schema-qualified, maybe quoted) type name as format_type() prints it, e.g. `mood`, `"Mood"[]`, `app.mood`. */
const IDENT = '(?:"(?:[^"]|"")+"|[a-z_][a-z0-9_$]*)';
const TYPE_NAME = new RegExp(`^${IDENT}(?:\\.${IDENT})?(?:\\[\\])*$`);

/**
 * The PostgreSQL type of a column from the topics. From PostgreSQL the source's own type (`logtap.sourceType`)
 * is kept where it is a built-in type (or an enum, created with its labels, or a domain, created with its
 * base type and constraints); otherwise the column type picks
 * the rebuilt type (the inverse of docs/types.md). Returns a reason when PostgreSQL has no equivalent.
 */
export function planPgColumn(column: Column, source: SourceKind): PgColumnPlan | { unsupported: string } {
  const { type } = column;
  if (source === 'postgres') {
    const create = column.domain && createDomainSql(column.domain);
    if (column.domain && create) return { sql: column.domain.name, kind: type.kind, domain: { definition: column.domain, create } };
    if ((type.kind === 'enum' || (type.kind === 'array' && type.element.kind === 'enum')) && TYPE_NAME.test(column.sourceType)) {
      const element = type.kind === 'enum' ? type : (type.element as Extract<ColumnType, { kind: 'enum' }>);
      const base = column.sourceType.replace(/(\[\])+$/, '');
      const sql = type.kind === 'array' ? `${base}${'[]'.repeat(type.dimensions)}` : base;
      return { sql, kind: type.kind, enumType: { sql: base, labels: element.symbols } };
    }
    // format_type() drops an array's declared dimensions; the reader needs them back (attndims).
    if (SAFE_SOURCE_TYPE.test(column.sourceType) && type.kind === 'array') return { sql: `${column.sourceType.replace(/(\[\])+$/, '')}${'[]'.repeat(type.dimensions)}`, kind: 'array' };
    if (SAFE_SOURCE_TYPE.test(column.sourceType) && type.kind !== 'string') return { sql: column.sourceType, kind: type.kind };
    if (type.kind === 'string' && SAFE_SOURCE_TYPE.test(column.sourceType)) return { sql: column.sourceType, kind: 'string' };
  }
  return genericPgColumn(type);
}

export function genericPgColumn(type: ColumnType): PgColumnPlan | { unsupported: string } {
  switch (type.kind) {
    case 'boolean':
      return { sql: 'boolean', kind: 'boolean' };
    case 'int':
      if (type.bits === 32 && type.unsigned) return { sql: 'bigint', kind: 'long' };
      if (type.bits <= 8 || (type.bits === 16 && !type.unsigned)) return { sql: 'smallint', kind: 'int' };
      return { sql: 'integer', kind: 'int' };
    case 'long':
      return { sql: 'bigint', kind: 'long' };
    case 'float':
      return { sql: 'real', kind: 'float' };
    case 'double':
      return { sql: 'double precision', kind: 'double' };
    case 'decimal':
      return { sql: `numeric(${type.precision},${type.scale})`, kind: 'decimal' };
    case 'variable-decimal':
      return { sql: 'numeric', kind: 'variable-decimal' };
    case 'string':
    case 'enum':
      return { sql: 'text', kind: 'string' };
    case 'bytes':
      return { sql: 'bytea', kind: 'bytes' };
    case 'bits':
      return { sql: type.length === undefined ? 'bit varying' : `bit(${type.length})`, kind: 'bits' };
    case 'date':
      return { sql: 'date', kind: 'date' };
    case 'time-micros':
      return { sql: 'time(6) without time zone', kind: 'time-micros' };
    case 'time-tz':
      return { sql: 'time(6) with time zone', kind: 'time-tz' };
    case 'duration-micros':
    case 'interval':
      return { sql: 'interval', kind: 'interval' };
    case 'timestamp-micros':
      return { sql: type.zoned ? 'timestamp(6) with time zone' : 'timestamp(6) without time zone', kind: 'timestamp-micros' };
    case 'json':
      return { sql: 'json', kind: 'json' };
    case 'uuid':
      return { sql: 'uuid', kind: 'uuid' };
    case 'set':
      return { sql: 'text[]', kind: 'array' };
    case 'year':
      return { sql: 'smallint', kind: 'int' };
    case 'array': {
      const element = genericPgColumn(type.element);
      if ('unsupported' in element) return element;
      if (element.kind === 'array') return { unsupported: 'an array of arrays' };
      return { sql: `${element.sql}${'[]'.repeat(type.dimensions)}`, kind: 'array' };
    }
    case 'geometry':
      return { unsupported: 'geometry needs PostGIS, which logtap does not target' };
  }
}
