import type { Column } from '../../src/model/table-schema.js';
import type { SourceKind } from '../../src/replay/replay-target.js';
import type { MysqlParamEncoder } from './replay-values.js';

/** What a rebuilt column's defaults are, as SQL (each absent when there is none). */
export interface MysqlColumnDefaults {
  /** The default the table keeps (`DEFAULT …` of CREATE TABLE, `ALTER COLUMN … SET DEFAULT` after an added column). */
  table?: string;
  /** The constant rows already in the table read when the column is added (the source's missing value). */
  added?: string;
}

/** CURRENT_TIMESTAMP is the one expression MySQL takes without parentheses (and only so on older servers). */
const CLOCK = /^(?:current_timestamp|now|localtime|localtimestamp)(?:\(\d?\))?$/i;
/**
 * Default expressions a MySQL/MariaDB target can take as the source printed them (the text comes from the topics and
 * goes into DDL, so only these shapes pass): a quoted literal, a number, a bit literal, NULL, and the clock and
 * UUID functions.
 */
const SAFE_EXPRESSIONS = [
  /^'(?:[^'\\]|''|\\.)*'$/s,
  /^[+-]?(?:\d+\.?\d*|\.\d+)(?:e[+-]?\d+)?$/i,
  /^b'[01]*'$/i,
  /^(?:curdate|current_date|curtime|current_time|utc_timestamp|utc_date|utc_time|sysdate|uuid|uuid_short|unix_timestamp)\(\d?\)$/i,
];

export const isCarriedMysqlExpression = (expression: string): boolean => expression === 'NULL' || CLOCK.test(expression) || SAFE_EXPRESSIONS.some((re) => re.test(expression));

/**
 * The defaults of a rebuilt column. From MySQL the source's own expression where it is one of the carried shapes;
 * otherwise (and from PostgreSQL) the constant of the missing value. Constants and expressions are written in
 * parentheses, which MySQL 8 requires for TEXT, BLOB and JSON columns and MariaDB takes alike.
 */
export function mysqlColumnDefaults(column: Column, source: SourceKind, encode: MysqlParamEncoder, escape: (value: unknown) => string): MysqlColumnDefaults {
  let constant: string | undefined;
  if (column.missingValue !== undefined && column.missingValue !== null) {
    try {
      constant = `(${escape(encode(column.missingValue))})`;
    } catch {
      constant = undefined;
    }
  }
  const declared = column.defaultExpression;
  const expression = source === 'mysql' && declared !== undefined && isCarriedMysqlExpression(declared)
    ? (declared === 'NULL' || CLOCK.test(declared) ? declared : `(${declared})`)
    : undefined;
  const defaults: MysqlColumnDefaults = {};
  const table = expression ?? constant;
  if (table !== undefined) defaults.table = table;
  if (constant !== undefined) defaults.added = constant;
  return defaults;
}
