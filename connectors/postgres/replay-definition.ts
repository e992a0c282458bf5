import type { Column, DomainDefinition } from '../../src/model/table-schema.js';
import type { SourceKind } from '../../src/replay/replay-target.js';
import { quoteIdent, quoteLiteral } from './pg-identifiers.js';

/*
 * A column's definition beyond its type, rebuilt in PostgreSQL from a PostgreSQL source's topic attributes
 * (docs/events.md): collation, identity, serial sequence, domain, generated expression. Names come as the
 * source's catalog printed them (quoted where needed) and are only used when they have that shape; expressions
 * are the source's own SQL and are sent as one statement of the extended protocol, so no text of the schema can
 * make a second statement.
 */

const IDENT = '(?:"(?:[^"]|"")+"|[a-zA-Z_][a-zA-Z0-9_$]*)';
/** `name` or `schema.name`, each part a plain or quoted identifier. */
const NAME = new RegExp(`^(?:(${IDENT})\\.)?${IDENT}$`);
/** A base type as format_type prints it: a plain built-in (`numeric(10,2)`, `character varying(5)`) or a type name. */
const BASE_TYPE = new RegExp(`^(?:[a-z][a-z0-9 _]*(\\(\\d+(,\\s*-?\\d+)?\\))?( with(out)? time zone)?|(?:${IDENT}\\.)?${IDENT})(\\[\\])*$`);
const INTEGER_TYPES = new Set(['smallint', 'integer', 'bigint']);

/** The schema part of a qualified name (as SQL text), undefined when the name is not qualified. */
export function schemaOfName(name: string): string | undefined {
  return NAME.exec(name)?.[1];
}

export const isName = (name: string): boolean => NAME.test(name);

/** ` COLLATE <collation>` for a PostgreSQL source's non-default collation; '' otherwise. */
export function collationClause(column: Column, source: SourceKind): string {
  return source === 'postgres' && column.collation && NAME.test(column.collation) ? ` COLLATE ${column.collation}` : '';
}

/** The sequence a serial column of a PostgreSQL source needs (created before the table), with its SQL type. */
export function serialSequence(column: Column, source: SourceKind, sqlType: string): { name: string; type: string } | undefined {
  const identity = column.identity;
  if (source !== 'postgres' || identity?.generation !== 'serial' || !NAME.test(identity.sequence)) return undefined;
  return { name: identity.sequence, type: INTEGER_TYPES.has(sqlType) ? sqlType : 'bigint' };
}

/** ` GENERATED … AS IDENTITY` or a serial column's ` DEFAULT nextval(…)`, for an integer column of a PostgreSQL source. */
export function identityClause(column: Column, source: SourceKind, sqlType: string): string {
  const identity = column.identity;
  if (source !== 'postgres' || !identity || !INTEGER_TYPES.has(sqlType)) return '';
  if (identity.generation === 'serial') {
    const sequence = serialSequence(column, source, sqlType);
    return sequence ? ` DEFAULT nextval(${quoteLiteral(sequence.name)}::regclass)` : '';
  }
  return ` GENERATED ${identity.generation === 'always' ? 'ALWAYS' : 'BY DEFAULT'} AS IDENTITY`;
}

/** ` GENERATED ALWAYS AS (<expression>) STORED`, for a PostgreSQL source's generated column. */
export function generatedClause(column: Column, source: SourceKind): string {
  if (source !== 'postgres' || column.generated?.kind !== 'stored') return '';
  return ` GENERATED ALWAYS AS (${column.generated.expression}) STORED`;
}

/** `CREATE DOMAIN …` with NOT NULL and the CHECK constraints by name; undefined when the definition has an unexpected shape. */
export function createDomainSql(domain: DomainDefinition): string | undefined {
  if (!NAME.test(domain.name) || !BASE_TYPE.test(domain.base)) return undefined;
  if (!domain.checks.every((c) => /^CHECK \(.*\)$/s.test(c.definition))) return undefined;
  const checks = domain.checks.map((c) => ` CONSTRAINT ${quoteIdent(c.name)} ${c.definition}`).join('');
  return `CREATE DOMAIN ${domain.name} AS ${domain.base}${domain.notNull ? ' NOT NULL' : ''}${checks}`;
}
