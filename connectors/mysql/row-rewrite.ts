import type { TableId } from '../../src/model/table-schema.js';
import { type SchemaChange, shortStatement } from '../../src/schema-changes/schema-change.js';
import { type AlterClause, alterClauses } from './alter-clauses.js';
import type { MysqlQueryRunner } from './introspect-columns.js';
import type { MysqlTableInfo } from './mysql-column-info.js';

/** INFORMATION_SCHEMA.COLUMNS of an added column beyond what introspection keeps: how its existing rows were filled. */
export interface MysqlColumnDefault {
  /** COLUMN_DEFAULT as the server prints it (null: no default). */
  columnDefault: string | null;
  /** EXTRA, e.g. `DEFAULT_GENERATED` (MySQL 8 expression default), `STORED GENERATED`, `PERSISTENT GENERATED`, `VIRTUAL GENERATED`. */
  extra: string;
}

const COLUMN_DEFAULTS_SQL = `SELECT COLUMN_NAME AS name, COLUMN_DEFAULT AS column_default, EXTRA AS extra
FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ?`;

export async function readColumnDefaults(runner: MysqlQueryRunner, table: TableId): Promise<Map<string, MysqlColumnDefault>> {
  const rows = await runner.query(COLUMN_DEFAULTS_SQL, [table.namespace, table.name]);
  return new Map(rows.map((r) => [String(r.name).toLowerCase(), { columnDefault: r.column_default === null || r.column_default === undefined ? null : String(r.column_default), extra: String(r.extra ?? '') }]));
}

/**
 * Whether a default is an expression evaluated when the column was added (CURRENT_TIMESTAMP, UUID(), NOW(), …)
 * rather than a literal. MariaDB (10.2.7+) prints literals quoted ('abc') or as numbers, NULL as `NULL`, and
 * expressions as their text (`current_timestamp()`, `uuid()`); MySQL 8 flags expressions with DEFAULT_GENERATED in
 * EXTRA; MySQL 5.7 prints `CURRENT_TIMESTAMP` bare.
 */
export function isExpressionDefault(d: MysqlColumnDefault, mariadb: boolean): boolean {
  if (/\bDEFAULT_GENERATED\b/i.test(d.extra)) return true;
  const text = d.columnDefault;
  if (text === null) return false;
  if (/^current_timestamp\b/i.test(text)) return true;
  if (!mariadb) return false;
  if (text === 'NULL' || /^'.*'$/s.test(text) || /^-?\d+(\.\d+)?(e[-+]?\d+)?$/i.test(text)) return false;
  return true;
}

const same = (a: string, b: string): boolean => a.toLowerCase() === b.toLowerCase();

/**
 * What an ALTER TABLE statement did to existing rows, from its clauses and the table before (the version the
 * stream last bound; undefined when this session had not seen the table) and after (INFORMATION_SCHEMA now):
 * - CONVERT TO CHARACTER SET re-encodes every text column;
 * - MODIFY/CHANGE whose column type or character set differs (or, the earlier shape unknown, any) converted values;
 * - ADD of a STORED/PERSISTENT generated column computed it for every row; ADD with an expression default
 *   (CURRENT_TIMESTAMP, UUID()) filled existing rows with its value at ALTER time.
 * An added column with a literal default (old records read the Avro default) or none (NULL) changes nothing to
 * publish; neither does a VIRTUAL generated column (not stored, not in row images).
 * Null when the statement touched no column.
 */
export function mysqlSchemaChange(
  table: TableId,
  statement: string,
  clauses: readonly AlterClause[],
  before: MysqlTableInfo | undefined,
  after: MysqlTableInfo | undefined,
  defaults: ReadonlyMap<string, MysqlColumnDefault>,
  mariadb: boolean,
): SchemaChange | null {
  if (clauses.length === 0 || !after) return null;
  const base = { table, statement: shortStatement(statement) };
  const find = (info: MysqlTableInfo | undefined, name: string) => info?.columns.find((c) => same(c.name, name));
  if (clauses.some((c) => c.kind === 'convert-charset')) {
    const text = after.columns.filter((c) => c.characterSet !== undefined).map((c) => c.name);
    return { ...base, rewritesRows: true, reason: 'charset-converted', columns: text };
  }
  const retyped: string[] = [];
  const generated: string[] = [];
  const expression: string[] = [];
  const touched: string[] = [];
  for (const clause of clauses) {
    if (clause.kind === 'retype-column') {
      const now = find(after, clause.to);
      if (!now) continue;
      touched.push(now.name);
      const old = find(before, clause.column);
      if (!old || old.columnType !== now.columnType || old.characterSet !== now.characterSet) retyped.push(now.name);
    } else if (clause.kind === 'add-column') {
      const now = find(after, clause.column);
      if (!now || find(before, clause.column)) continue;
      touched.push(now.name);
      const d = defaults.get(now.name.toLowerCase());
      if (!d) continue;
      if (/\b(STORED|PERSISTENT) GENERATED\b/i.test(d.extra)) generated.push(now.name);
      else if (isExpressionDefault(d, mariadb)) expression.push(now.name);
    }
  }
  if (retyped.length > 0) return { ...base, rewritesRows: true, reason: 'column-type-changed', columns: [...retyped, ...generated, ...expression] };
  if (generated.length > 0) return { ...base, rewritesRows: true, reason: 'stored-generated-column', columns: [...generated, ...expression] };
  if (expression.length > 0) return { ...base, rewritesRows: true, reason: 'volatile-default', columns: expression };
  return touched.length > 0 ? { ...base, rewritesRows: false, columns: touched } : null;
}

/** Reads what mysqlSchemaChange needs beyond the statement and the two shapes. */
export function createSchemaChangeDetector(runner: MysqlQueryRunner, mariadb: boolean) {
  return async (table: TableId, statement: string, before: MysqlTableInfo | undefined, after: MysqlTableInfo | undefined): Promise<SchemaChange | null> => {
    const clauses = alterClauses(statement);
    if (clauses.length === 0 || !after) return null;
    const defaults = clauses.some((c) => c.kind === 'add-column') ? await readColumnDefaults(runner, table) : new Map<string, MysqlColumnDefault>();
    return mysqlSchemaChange(table, statement, clauses, before, after, defaults, mariadb);
  };
}

export type SchemaChangeDetector = ReturnType<typeof createSchemaChangeDetector>;
