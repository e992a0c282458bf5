import { ConfigError } from '../../src/errors.js';
import type { TableId } from '../../src/model/table-schema.js';
import { tableIdText } from '../../src/model/table-schema.js';
import type { PgQueryable } from './introspect-columns.js';

/** What the catalog holds under each configured name. */
export interface ConfiguredTable {
  id: TableId;
  /** pg_class.relkind (`r` table, `p` partitioned table, `v` view, …) or null when nothing has that name. */
  relkind: string | null;
}

const RELKIND_NAMES: Readonly<Record<string, string>> = {
  v: 'a view', m: 'a materialized view', f: 'a foreign table', S: 'a sequence', i: 'an index', I: 'an index', c: 'a composite type', t: 'a TOAST table',
};

export async function lookUpTables(db: PgQueryable, ids: readonly TableId[]): Promise<ConfiguredTable[]> {
  if (ids.length === 0) return [];
  const { rows } = await db.query(
    `SELECT w.ord::int AS ord, c.relkind::text AS relkind
     FROM unnest($1::text[], $2::text[]) WITH ORDINALITY AS w(nspname, relname, ord)
     LEFT JOIN pg_catalog.pg_namespace n ON n.nspname = w.nspname
     LEFT JOIN pg_catalog.pg_class c ON c.relnamespace = n.oid AND c.relname = w.relname
     ORDER BY w.ord`,
    [ids.map((t) => t.namespace), ids.map((t) => t.name)],
  );
  const kinds = new Map((rows as Array<{ ord: number; relkind: string | null }>).map((r) => [r.ord, r.relkind]));
  return ids.map((id, i) => ({ id, relkind: kinds.get(i + 1) ?? null }));
}

/** Why a configured name cannot be streamed, or null when it names an ordinary or partitioned table. */
export function tableProblem(table: ConfiguredTable, database: string): string | null {
  const name = tableIdText(table.id);
  if (table.relkind === null) return `table ${name} (source.tables) does not exist in database ${JSON.stringify(database)}`;
  if (table.relkind === 'r' || table.relkind === 'p') return null;
  return `${name} (source.tables) is ${RELKIND_NAMES[table.relkind] ?? `a relation of kind ${table.relkind}`}, not a table: only tables can be published`;
}

/** Every configured table exists, or a ConfigError naming the first that does not. */
export async function requireTables(db: PgQueryable, ids: readonly TableId[], database: string): Promise<void> {
  for (const table of await lookUpTables(db, ids)) {
    const problem = tableProblem(table, database);
    if (problem) throw new ConfigError(`${problem} — create it or remove it from source.tables`);
  }
}
