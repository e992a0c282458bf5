import type { Logger } from '../../src/logger.js';
import type { TableId } from '../../src/model/table-schema.js';
import { tableIdText } from '../../src/model/table-schema.js';
import type { PgQueryable } from './introspect-columns.js';
import { SourceSetupError } from './pg-errors.js';
import { quoteIdent, quoteTable } from './pg-identifiers.js';
import type { PublicationMember } from './captured-tables.js';
import { PUBLISHES_GENERATED_FROM } from './published-columns.js';

/**
 * What logtap needs of its publication, besides the table set: every kind of change, through the partition
 * root, and from PostgreSQL 18 the stored generated columns, published like any column (published-columns.ts).
 */
export const publicationOptions = (version: number): string =>
  `publish = 'insert, update, delete, truncate', publish_via_partition_root = true${version >= PUBLISHES_GENERATED_FROM ? ', publish_generated_columns = stored' : ''}`;
const withOptions = (version: number): string => `WITH (${publicationOptions(version)})`;

async function serverVersion(db: PgQueryable): Promise<number> {
  const { rows } = await db.query(`SELECT current_setting('server_version_num')::int AS version`);
  return (rows[0] as { version: number }).version;
}

export interface PublicationState {
  name: string;
  allTables: boolean;
  /** The tables named in the publication (FOR TABLE), sorted; empty for FOR ALL TABLES. */
  tables: TableId[];
  /** Publishes insert, update, delete and truncate, through the partition root (and stored generated columns, 18+). */
  optionsOk: boolean;
  /** Holds schemas (FOR TABLES IN SCHEMA), row filters or column lists, which logtap does not use. */
  hasExtras: boolean;
}

/** How the publication differs from what the configuration asks for. */
export interface PublicationDiff {
  /** Nothing to change. */
  same: boolean;
  /** FOR ALL TABLES ↔ a table list: PostgreSQL cannot ALTER between them, the publication is recreated. */
  recreate: boolean;
  added: TableId[];
  removed: TableId[];
  optionsOk: boolean;
  hasExtras: boolean;
}

const byName = (a: TableId, b: TableId): number => (tableIdText(a) < tableIdText(b) ? -1 : tableIdText(a) > tableIdText(b) ? 1 : 0);

export async function readPublication(db: PgQueryable, name: string): Promise<PublicationState | null> {
  const version = await serverVersion(db);
  const { rows } = await db.query(
    `SELECT p.oid::int8::text AS oid, p.puballtables AS all_tables,
            p.pubinsert AND p.pubupdate AND p.pubdelete AND p.pubtruncate AND p.pubviaroot
              ${version >= PUBLISHES_GENERATED_FROM ? "AND p.pubgencols = 's'" : ''} AS options_ok
     FROM pg_catalog.pg_publication p WHERE p.pubname = $1`,
    [name],
  );
  const row = rows[0] as { oid: string; all_tables: boolean; options_ok: boolean } | undefined;
  if (!row) return null;
  const tables = await db.query(
    `SELECT n.nspname AS namespace, c.relname AS name ${version >= 150000 ? ', (pr.prqual IS NOT NULL OR pr.prattrs IS NOT NULL) AS filtered' : ', false AS filtered'}
     FROM pg_catalog.pg_publication_rel pr
     JOIN pg_catalog.pg_class c ON c.oid = pr.prrelid
     JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
     WHERE pr.prpubid = $1::oid`,
    [row.oid],
  );
  let schemas = false;
  if (version >= 150000) {
    const { rows: s } = await db.query('SELECT 1 FROM pg_catalog.pg_publication_namespace WHERE pnpubid = $1::oid LIMIT 1', [row.oid]);
    schemas = s.length > 0;
  }
  const tableRows = tables.rows as Array<{ namespace: string; name: string; filtered: boolean }>;
  return {
    name,
    allTables: row.all_tables,
    tables: tableRows.map((r) => ({ namespace: r.namespace, name: r.name })).sort(byName),
    optionsOk: row.options_ok,
    hasExtras: schemas || tableRows.some((r) => r.filtered),
  };
}

/** `wanted` undefined: every table. */
export function diffPublication(state: PublicationState, wanted: readonly TableId[] | undefined): PublicationDiff {
  const base = { optionsOk: state.optionsOk, hasExtras: state.hasExtras };
  if (wanted === undefined || state.allTables) {
    const recreate = (wanted === undefined) !== state.allTables;
    const same = !recreate && state.optionsOk;
    return { ...base, same, recreate, added: recreate ? [...(wanted ?? [])] : [], removed: recreate ? state.tables : [] };
  }
  const has = new Set(state.tables.map(tableIdText));
  const want = new Set(wanted.map(tableIdText));
  const added = wanted.filter((t) => !has.has(tableIdText(t)));
  const removed = state.tables.filter((t) => !want.has(tableIdText(t)));
  return { ...base, same: added.length === 0 && removed.length === 0 && state.optionsOk && !state.hasExtras, recreate: false, added, removed };
}

/**
 * A configured table as a publication member: ONLY the table named, not its inheritance children (each a
 * table of its own, captured when listed). A partitioned table still brings all its partitions, present and
 * future: PostgreSQL publishes their changes as the root's (publish_via_partition_root).
 */
export const publicationMember = (id: TableId): string => `ONLY ${quoteTable(id)}`;

/** A member with its column list and row filter (PostgreSQL 15+). */
const memberSql = (m: PublicationMember): string =>
  `${publicationMember(m.id)}${m.columns ? ` (${m.columns.map(quoteIdent).join(', ')})` : ''}${m.where !== undefined ? ` WHERE (${m.where})` : ''}`;

const target = (members: readonly PublicationMember[] | undefined): string =>
  members === undefined ? 'FOR ALL TABLES' : `FOR TABLE ${members.map(memberSql).join(', ')}`;

/**
 * Adds a table created after the stream started to the publication (with its column list and row filter): its
 * changes are decoded from the ALTER's commit on; what it held before is published by a backfill.
 */
export async function addToPublication(db: PgQueryable, name: string, member: PublicationMember): Promise<void> {
  await db.query(`ALTER PUBLICATION ${quoteIdent(name)} ADD TABLE ${memberSql(member)}`);
}

/** The statement that makes the publication what the connector wants (for a user to run on the primary). */
export const publicationStatement = (name: string, wanted: readonly PublicationMember[] | undefined, exists: boolean, version: number): string =>
  `${exists ? `DROP PUBLICATION ${quoteIdent(name)}; ` : ''}CREATE PUBLICATION ${quoteIdent(name)} ${target(wanted)} ${withOptions(version)};`;

/**
 * A hot standby is read-only: its publications are the primary's, replicated. Capturing from a standby needs the
 * publication created there first (and replicated before the slot is created: pgoutput looks it up as of the WAL).
 */
async function refuseOnStandby(db: PgQueryable, name: string, wanted: readonly PublicationMember[] | undefined): Promise<void> {
  const { rows } = await db.query('SELECT pg_catalog.pg_is_in_recovery() AS standby');
  if (!(rows[0] as { standby: boolean }).standby) return;
  const exists = (await readPublication(db, name)) !== null;
  throw new SourceSetupError(`source.url names a hot standby, where logtap cannot ${exists ? 'change' : 'create'} publication ${quoteIdent(name)} (read-only) — run on the primary: ${publicationStatement(name, wanted, exists, await serverVersion(db))}`);
}

/**
 * The connector's publication, created or brought in line with the configured tables (`undefined`: all).
 * Must run before the slot is created: pgoutput looks the publication up as of each decoded transaction,
 * and fails for WAL from before the publication existed.
 */
export async function ensurePublication(db: PgQueryable, name: string, members: readonly PublicationMember[] | undefined, log: Logger): Promise<void> {
  const wanted = members?.map((m) => m.id);
  // Column lists and row filters are set on every start: the catalog prints a filter otherwise than it was written.
  const filtered = members?.some((m) => m.columns !== undefined || m.where !== undefined) ?? false;
  const version = await serverVersion(db);
  const WITH_OPTIONS = withOptions(version);
  const state = await readPublication(db, name);
  const pub = quoteIdent(name);
  if (!state || !diffPublication(state, wanted).same) await refuseOnStandby(db, name, members);
  if (!state) {
    await db.query(`CREATE PUBLICATION ${pub} ${target(members)} ${WITH_OPTIONS}`);
    log.info({ publication: name, tables: wanted?.map(tableIdText) ?? 'all' }, 'created publication');
    return;
  }
  const diff = diffPublication(state, wanted);
  if (diff.same && !filtered) return;
  const changes = { publication: name, added: diff.added.map(tableIdText), removed: diff.removed.map(tableIdText) };
  if (diff.recreate) {
    // One transaction: decoding looks the publication up by name and always finds one of the two.
    await db.query('BEGIN');
    try {
      await db.query(`DROP PUBLICATION ${pub}`);
      await db.query(`CREATE PUBLICATION ${pub} ${target(members)} ${WITH_OPTIONS}`);
      await db.query('COMMIT');
    } catch (err) {
      await db.query('ROLLBACK').catch(() => {});
      throw err;
    }
    log.warn({ ...changes, tables: wanted?.map(tableIdText) ?? 'all' }, 'recreated the publication with the configured tables: changes are published with the new table set from here on');
    return;
  }
  if (diff.added.length > 0 || diff.removed.length > 0 || diff.hasExtras || filtered) {
    await db.query(`ALTER PUBLICATION ${pub} SET TABLE ${members!.map(memberSql).join(', ')}`);
  }
  if (!diff.optionsOk) await db.query(`ALTER PUBLICATION ${pub} SET (${publicationOptions(version)})`);
  if (diff.same || (filtered && diff.added.length === 0 && diff.removed.length === 0 && diff.optionsOk)) return;
  log.warn({ ...changes, optionsFixed: !diff.optionsOk, extrasRemoved: diff.hasExtras }, 'altered the publication to the configured tables: changes are published with the new table set from here on');
}
