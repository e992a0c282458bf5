import { ConfigError } from '../../src/errors.js';
import type { TableId } from '../../src/model/table-schema.js';
import { isGlobText, tableFilter } from '../../src/config/table-pattern.js';

/** Databases that hold the server's own state, never captured by default. */
const SYSTEM_DATABASES = ['mysql', 'information_schema', 'performance_schema', 'sys'];

/** Which tables a connector captures: the configured `database.table` names, or every table of its database. */
export interface TableSelection {
  /** The configured tables; undefined when every table of `database` (or of every non-system database) is captured. */
  readonly tables: readonly TableId[] | undefined;
  captures(database: string, table: string): boolean;
  /** zongji's schema filters for exactly this selection. */
  readonly binlogFilter: { includeSchema?: Record<string, string[] | true>; excludeSchema?: Record<string, true> };
}

/**
 * `tables` entries are `database.table` (a name without a dot is taken in `database`); undefined: every table of
 * `database`, or of every non-system database when the URL names none.
 */
export function selectTables(database: string, tables: readonly string[] | undefined, excludeTables: readonly string[] = []): TableSelection {
  if ((tables !== undefined && tables.some(isGlobText)) || excludeTables.length > 0) return selectByPatterns(database, tables, excludeTables);
  if (tables === undefined) {
    if (database !== '') {
      return { tables: undefined, captures: (db) => db === database, binlogFilter: { includeSchema: { [database]: true } } };
    }
    return {
      tables: undefined,
      captures: (db) => !SYSTEM_DATABASES.includes(db),
      binlogFilter: { excludeSchema: Object.fromEntries(SYSTEM_DATABASES.map((db) => [db, true as const])) },
    };
  }
  const ids: TableId[] = tables.map((text) => {
    const dot = text.indexOf('.');
    if (dot < 0) {
      if (database === '') throw new ConfigError(`table ${JSON.stringify(text)}: expected database.table (the source URL names no database)`);
      return { namespace: database, name: text };
    }
    return { namespace: text.slice(0, dot), name: text.slice(dot + 1) };
  });
  const keys = new Set(ids.map((id) => `${id.namespace}.${id.name}`));
  const includeSchema: Record<string, string[]> = {};
  for (const id of ids) (includeSchema[id.namespace] ??= []).push(id.name);
  return { tables: ids, captures: (db, table) => keys.has(`${db}.${table}`), binlogFilter: { includeSchema } };
}

/**
 * Globs or excluded tables: the set of tables is not fixed by the config, so the binlog is read for every database a
 * pattern may name and each table is matched as it appears (a table created later that matches is captured from its
 * CREATE TABLE on). Without `tables`, the default set (the URL's database, or every non-system one) less the excluded.
 */
function selectByPatterns(database: string, tables: readonly string[] | undefined, excludeTables: readonly string[]): TableSelection {
  const qualify = (text: string) => (text.includes('.') || database === '' ? text : `${database}.${text}`);
  const filter = tableFilter(tables?.map(qualify), excludeTables.map(qualify));
  const inDefault = (db: string) => (database !== '' ? db === database : !SYSTEM_DATABASES.includes(db));
  const captures = (db: string, table: string) => (tables !== undefined || inDefault(db)) && !SYSTEM_DATABASES.includes(db) && filter.captures({ namespace: db, name: table });
  const namespaces = tables === undefined ? (database !== '' ? [database] : null) : filter.include!.map((p) => p.text.slice(0, p.text.indexOf('.')));
  const binlogFilter = namespaces && !namespaces.some(isGlobText)
    ? { includeSchema: Object.fromEntries(namespaces.map((db) => [db, true as const])) }
    : { excludeSchema: Object.fromEntries(SYSTEM_DATABASES.map((db) => [db, true as const])) };
  return { tables: undefined, captures, binlogFilter };
}
