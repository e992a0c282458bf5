import { ConfigError } from '../../src/errors.js';
import type { TableId } from '../../src/model/table-schema.js';
import { tableIdText } from '../../src/model/table-schema.js';
import type { TableFilter } from '../../src/config/table-pattern.js';
import { type TableSettings, tableSettingsFor, tableSettingsKeyFor } from '../../src/config/table-settings.js';
import { requireTables } from './configured-tables.js';
import type { PgQueryable } from './introspect-columns.js';
import type { PgChunkTable } from './snapshot-chunks.js';

/** One table of the publication, with what PostgreSQL 15+ filters at the source. */
export interface PublicationMember {
  id: TableId;
  /** Column list: only these columns leave the database (absent: every column). */
  columns?: string[];
  /** Row filter (SQL), as configured. */
  where?: string;
}

/** What the connector captures: the configured tables and the per-table settings. */
export interface PgTableChoice {
  filter: TableFilter;
  settings: Record<string, TableSettings>;
  /** Always published (backfill signals), never filtered. */
  signalTable?: TableId | undefined;
}

/** User tables a pattern may match: ordinary and partitioned tables, not partitions (published through their root). */
const CANDIDATE_TABLES_SQL = `SELECT n.nspname AS namespace, c.relname AS name
FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
WHERE c.relkind IN ('r', 'p') AND NOT c.relispartition AND c.relpersistence = 'p'
  AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\\_%'
ORDER BY 1, 2`;

/** The names a filter writes out (not globs), as table ids. */
export const exactTableIds = (filter: TableFilter): TableId[] =>
  (filter.include ?? []).filter((p) => !p.isGlob).map((p) => { const dot = p.text.indexOf('.'); return { namespace: p.text.slice(0, dot), name: p.text.slice(dot + 1) }; });

/** The tables the filter captures now; undefined when it captures every table (and nothing asks for a table list). */
export async function capturedTables(db: PgQueryable, filter: TableFilter, database: string, needList = false): Promise<TableId[] | undefined> {
  if (filter.exactOnly) {
    const ids = exactTableIds(filter);
    await requireTables(db, ids, database);
    return ids;
  }
  if (filter.include === undefined && filter.exclude.length === 0 && !needList) return undefined;
  const exact = exactTableIds(filter);
  // Names written out must exist (a partition named on purpose is captured as itself).
  await requireTables(db, exact, database);
  const { rows } = await db.query(CANDIDATE_TABLES_SQL);
  const found = new Map<string, TableId>();
  for (const id of [...exact, ...(rows as TableId[]).map((r) => ({ namespace: r.namespace, name: r.name }))]) {
    if (filter.captures(id)) found.set(tableIdText(id), id);
  }
  return [...found.values()];
}

const serverVersion = async (db: PgQueryable): Promise<number> =>
  Number(((await db.query(`SELECT current_setting('server_version_num')::int AS v`)).rows[0] as { v: number }).v);

interface ColumnFacts { name: string; generated: boolean; inIdentity: boolean }
const TABLE_COLUMNS_SQL = `SELECT c.relreplident::text AS replident, a.attname AS name, a.attgenerated <> '' AS generated,
       COALESCE(a.attnum = ANY(i.indkey::int2[]), false) AS in_identity
FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
JOIN pg_catalog.pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
LEFT JOIN pg_catalog.pg_index i ON i.indrelid = c.oid AND ((c.relreplident = 'd' AND i.indisprimary) OR (c.relreplident = 'i' AND i.indisreplident))
WHERE n.nspname = $1 AND c.relname = $2 ORDER BY a.attnum`;

async function tableColumns(db: PgQueryable, id: TableId): Promise<{ replident: string; columns: ColumnFacts[] }> {
  const { rows } = await db.query(TABLE_COLUMNS_SQL, [id.namespace, id.name]);
  const r = rows as Array<{ replident: string; name: string; generated: boolean; in_identity: boolean }>;
  return { replident: r[0]?.replident ?? 'd', columns: r.map((c) => ({ name: c.name, generated: c.generated, inIdentity: c.in_identity })) };
}

/**
 * The column names an SQL expression mentions, among `columns`: every bare word (folded to lower case, as
 * PostgreSQL folds unquoted names) and quoted identifier outside string literals. Conservative: a function or
 * keyword spelled like a column counts as it.
 */
export function columnsMentioned(expression: string, columns: readonly string[]): string[] {
  const names = new Set<string>();
  const text = expression.replace(/'(?:[^']|'')*'/g, ' ');
  for (const m of text.matchAll(/"((?:[^"]|"")+)"|([A-Za-z_][A-Za-z0-9_$]*)/g)) names.add(m[1] !== undefined ? m[1].replace(/""/g, '"') : m[2]!.toLowerCase());
  return columns.filter((c) => names.has(c));
}

/**
 * The publication's members for the configured tables (undefined: FOR ALL TABLES), with their column lists and
 * row filters on PostgreSQL 15+. A setting PostgreSQL cannot take is a ConfigError naming table and column:
 * UPDATE and DELETE on a table fail at the source when its column list leaves out a replica-identity column or
 * its row filter reads a column outside the replica identity — logtap never creates such a publication.
 */
export async function publicationMembers(db: PgQueryable, choice: PgTableChoice, database: string): Promise<PublicationMember[] | undefined> {
  const version = await serverVersion(db);
  const entries = Object.entries(choice.settings);
  const filtering = entries.filter(([, s]) => s.where !== undefined || s.columns?.exclude !== undefined || s.columns?.include !== undefined);
  const rowFilter = entries.find(([, s]) => s.where !== undefined);
  if (rowFilter && version < 150000) {
    throw new ConfigError(`tables.${JSON.stringify(rowFilter[0])}.where: row filters need PostgreSQL 15 or later (publication WHERE); this server is ${Math.floor(version / 10000)} — remove where`);
  }
  const tables = await capturedTables(db, choice.filter, database, version >= 150000 && filtering.length > 0);
  if (tables === undefined) return undefined;
  const members: PublicationMember[] = [];
  for (const id of tables) members.push(version >= 150000 ? await filteredMember(db, id, choice.settings) : { id });
  if (choice.signalTable && !members.some((m) => tableIdText(m.id) === tableIdText(choice.signalTable!))) members.push({ id: choice.signalTable });
  return members;
}

/** One table's member on PostgreSQL 15+: its column list (when columns are left out) and row filter. */
export async function filteredMember(db: PgQueryable, id: TableId, settings: Record<string, TableSettings>): Promise<PublicationMember> {
  const entry = tableSettingsFor({ tables: settings }, id.namespace, id.name);
  if (!entry || (entry.where === undefined && !entry.columns?.exclude && !entry.columns?.include)) return { id };
  const key = JSON.stringify(tableSettingsKeyFor({ tables: settings }, id.namespace, id.name));
  const name = tableIdText(id);
  const { replident, columns } = await tableColumns(db, id);
  const member: PublicationMember = { id };
  const cols = entry.columns;
  if (cols?.exclude || cols?.include) {
    const left = (c: string) => (cols.include ? !cols.include.includes(c) : cols.exclude!.includes(c));
    const identityLeft = columns.find((c) => c.inIdentity && left(c.name));
    if (identityLeft) {
      throw new ConfigError(`tables.${key}.columns: column ${JSON.stringify(identityLeft.name)} of table ${name} is in its replica identity (primary key or identity index) and cannot be left out — ${cols.include ? 'add it to include' : 'remove it from exclude'}`);
    }
    // REPLICA IDENTITY FULL: every column is identity, a column list would make the table's UPDATEs fail —
    // the columns are left out by logtap instead (they still leave the database).
    if (replident !== 'f' && columns.some((c) => left(c.name))) {
      // Generated columns cannot be listed before PostgreSQL 18 (and are not published anyway).
      member.columns = columns.filter((c) => !c.generated && !left(c.name)).map((c) => c.name);
    }
  }
  if (entry.where !== undefined) {
    if (replident !== 'f') {
      const outside = columnsMentioned(entry.where, columns.map((c) => c.name)).filter((c) => !columns.find((f) => f.name === c)!.inIdentity);
      if (outside.length > 0) {
        throw new ConfigError(`tables.${key}.where: the row filter of table ${name} reads column ${JSON.stringify(outside[0])}, which is not in its replica identity — PostgreSQL would refuse UPDATE and DELETE on the table; filter on key columns only, or ALTER TABLE ${name} REPLICA IDENTITY FULL`);
      }
    }
    member.where = entry.where;
  }
  return member;
}

/**
 * A table as snapshots and backfills read it: without the columns the config leaves out (they never leave the
 * database, key columns are always read) and with its row filter, as the publication filters the stream.
 */
export function readShape(table: PgChunkTable, settings: Record<string, TableSettings>): { table: PgChunkTable; where?: string } {
  const entry = tableSettingsFor({ tables: settings }, table.schema.id.namespace, table.schema.id.name);
  const cols = entry?.columns;
  let shaped = table;
  if (cols?.include || cols?.exclude) {
    const keep = (name: string) => table.schema.key.includes(name) || (cols.include ? cols.include.includes(name) : !cols.exclude!.includes(name));
    shaped = { ...table, schema: { ...table.schema, columns: table.schema.columns.filter((c) => keep(c.name)) }, columns: table.columns.filter((c) => keep(c.name)) };
  }
  return entry?.where !== undefined ? { table: shaped, where: entry.where } : { table: shaped };
}
