import type { Column } from '../../src/model/table-schema.js';
import type { SourceKind } from '../../src/replay/replay-target.js';
import { quoteLiteral } from './pg-identifiers.js';
import type { PgTextEncoder } from './replay-values.js';

/** What a rebuilt column's defaults are, as SQL (each absent when there is none). */
export interface PgColumnDefaults {
  /** The default the table keeps (`DEFAULT …` of CREATE TABLE, `SET DEFAULT` after an added column). */
  table?: string;
  /** The constant rows already in the table read when the column is added (the source's missing value). */
  added?: string;
}

/** A type name after `::` as pg_get_expr prints it: built-in words and modifiers, or a (schema-qualified, quoted) name. */
const IDENT = '(?:"(?:[^"]|"")+"|[a-z_][a-z0-9_$]*)';
const CAST = `(?:::(?:[a-z][a-z0-9 _]*(?:\\(\\d+(?:,\\s*-?\\d+)?\\))?|${IDENT}(?:\\.${IDENT})?)(?:\\[\\])*)?`;
/**
 * Default expressions a PostgreSQL target can take as the source printed them (the text comes from the topics and
 * goes into DDL, so only these shapes pass): a literal with a cast, a number, a boolean, NULL, and the clock and
 * UUID functions. A sequence (`nextval('…'::regclass)`) or any other expression is not carried.
 */
const SAFE_EXPRESSIONS = [
  // No backslash: its meaning in a literal depends on the target's standard_conforming_strings.
  new RegExp(`^'(?:[^'\\\\]|'')*'${CAST}$`, 's'),
  new RegExp(`^\\(?-?\\d+(?:\\.\\d+)?\\)?${CAST}$`),
  new RegExp(`^(?:true|false|NULL)${CAST}$`),
  /^(?:CURRENT_TIMESTAMP|CURRENT_DATE|CURRENT_TIME|LOCALTIMESTAMP|LOCALTIME)(?:\(\d\))?$/,
  /^(?:now|clock_timestamp|statement_timestamp|transaction_timestamp|gen_random_uuid)\(\)$/,
];

export const isCarriedPgExpression = (expression: string): boolean => SAFE_EXPRESSIONS.some((re) => re.test(expression));

/**
 * The defaults of a column rebuilt as `sqlType`. From PostgreSQL, when the column keeps its source type (its
 * expression may cast to it), the source's own expression where it is one of the carried shapes; otherwise (and
 * from MySQL) the constant of the missing value, written as this target's text. The missing value is also what the
 * column is added with, so rows already in the table read it as at the source.
 */
export function pgColumnDefaults(column: Column, source: SourceKind, sqlType: string, encode: PgTextEncoder): PgColumnDefaults {
  let constant: string | undefined;
  if (column.missingValue !== undefined && column.missingValue !== null) {
    try {
      constant = `${quoteLiteral(encode(column.missingValue))}::${sqlType}`;
    } catch {
      constant = undefined;
    }
  }
  const ownType = source === 'postgres' && sqlType === column.sourceType;
  const expression = ownType && column.defaultExpression !== undefined && isCarriedPgExpression(column.defaultExpression) ? column.defaultExpression : undefined;
  const defaults: PgColumnDefaults = {};
  const table = expression ?? constant;
  if (table !== undefined) defaults.table = table;
  if (constant !== undefined) defaults.added = constant;
  return defaults;
}
