import pg from 'pg';
import { LogtapError } from '../../src/errors.js';
import type { TableId } from '../../src/model/table-schema.js';
import { tableIdText } from '../../src/model/table-schema.js';
import type { CheckFinding, UnchangedToastPolicy } from '../../src/source/source-connector.js';
import { lookUpTables, tableProblem } from './configured-tables.js';
import { closeQuietly, connectedUrl, openCatalogClient, pgClientConfig } from './pg-client.js';
import { highAvailabilityFindings } from './high-availability-findings.js';
import { type PgTableChoice, capturedTables, exactTableIds, filteredMember } from './captured-tables.js';
import { ConfigError } from '../../src/errors.js';
import type { PgEndpoint } from './pg-endpoint.js';
import { mapPgError } from './pg-errors.js';
import { quoteIdent, quoteLiteral, quoteTable } from './pg-identifiers.js';
import { type CatalogColumn, outOfLineColumns } from './out-of-line-columns.js';
import { diffPublication, publicationMember, publicationStatement, readPublication } from './publication.js';
import { REPLICA_IDENTITY_NAME, type TableIdentity, identifiesRows, replicaIdentityFinding } from './replica-identity.js';
import { readSlot, slotLost, unusableSlotReason } from './slot.js';
import { PUBLISHED_COLUMN_SQL } from './published-columns.js';

/** A slot holding back more WAL than this is worth a warning (disk fills while the stream lags). */
export const RETAINED_WAL_WARNING_BYTES = 1n << 30n;

export interface PreflightOptions {
  url: string;
  endpoint: PgEndpoint;
  applicationName: string;
  slotName: string;
  publicationName: string;
  /** Configured tables; undefined: every table (or as `choice` resolves them). */
  tables: TableId[] | undefined;
  /** The configured table patterns and per-table settings, resolved against the catalog (and vetted) here. */
  choice?: PgTableChoice;
  /** What the stream does with an unchanged TOASTed value (config `toast.unchanged`). */
  unchangedToast: UnchangedToastPolicy;
  /** A signal table is configured. */
  signalTable: boolean;
  /** The daemon starts backfills itself (schema-change resync). */
  internalBackfills: boolean;
}

interface ServerRow {
  wal_level: string;
  max_slots: number;
  max_senders: number;
  slots_used: number;
  senders_used: number;
  role: string;
  superuser: boolean;
  replication: boolean;
  may_create: boolean;
  encoding_max: number;
  /** A hot standby: read-only, the publication comes from the primary. */
  in_recovery: boolean;
  version_num: number;
}

/** Where a table's rows live and what PostgreSQL checks before UPDATE and DELETE: its replica identity. */
interface Identity {
  namespace: string;
  name: string;
  replident: 'd' | 'n' | 'f' | 'i';
  has_pk: boolean;
  has_identity_index: boolean;
}

interface TableRow extends Identity {
  /** `r` table, `p` partitioned table. */
  relkind: 'r' | 'p';
  /** A partitioned table's leaf partitions (at any depth): they hold the rows, each with its own replica identity. */
  leaves: Identity[] | null;
  candidate_index: string | null;
  /** Every stored column (generated ones take room in the row too); `generated`: one pgoutput does not publish. */
  columns: Array<CatalogColumn & { generated: boolean }>;
  toast_tuple_target: number | null;
  /** The generated columns pgoutput does not publish (published-columns.ts). */
  generated: string[];
  owned: boolean;
}

const SERVER_SQL = `
SELECT current_setting('wal_level') AS wal_level,
       current_setting('max_replication_slots')::int AS max_slots,
       current_setting('max_wal_senders')::int AS max_senders,
       (SELECT count(*) FROM pg_catalog.pg_replication_slots)::int AS slots_used,
       (SELECT count(*) FROM pg_catalog.pg_stat_activity WHERE backend_type = 'walsender')::int AS senders_used,
       current_user::text AS role,
       COALESCE(r.rolsuper, false) AS superuser, COALESCE(r.rolreplication, false) AS replication,
       has_database_privilege(current_database(), 'CREATE') AS may_create,
       (SELECT pg_catalog.pg_encoding_max_length(d.encoding) FROM pg_catalog.pg_database d WHERE d.datname = current_database()) AS encoding_max,
       pg_catalog.pg_is_in_recovery() AS in_recovery,
       current_setting('server_version_num')::int AS version_num
FROM (SELECT 1) AS one LEFT JOIN pg_catalog.pg_roles r ON r.rolname = current_user`;

const TABLE_COLUMNS = `
SELECT n.nspname::text AS namespace, c.relname::text AS name, c.relreplident::text AS replident, c.relkind::text AS relkind,
       EXISTS (SELECT 1 FROM pg_catalog.pg_index i WHERE i.indrelid = c.oid AND i.indisprimary) AS has_pk,
       EXISTS (SELECT 1 FROM pg_catalog.pg_index i WHERE i.indrelid = c.oid AND i.indisreplident) AS has_identity_index,
       (SELECT ic.relname::text FROM pg_catalog.pg_index i JOIN pg_catalog.pg_class ic ON ic.oid = i.indexrelid
        WHERE i.indrelid = c.oid AND i.indisunique AND NOT i.indisprimary AND i.indimmediate AND i.indisvalid
          AND i.indpred IS NULL AND i.indexprs IS NULL
          AND NOT EXISTS (SELECT 1 FROM unnest(i.indkey::int2[]) AS k(attnum)
                          JOIN pg_catalog.pg_attribute ka ON ka.attrelid = c.oid AND ka.attnum = k.attnum WHERE NOT ka.attnotnull)
        ORDER BY ic.relname LIMIT 1) AS candidate_index,
       COALESCE((SELECT json_agg(json_build_object(
                  'name', a.attname, 'storage', a.attstorage, 'typlen', bt.typlen, 'typeOid', bt.oid::int8,
                  'typmod', CASE WHEN t.typtype = 'd' THEN t.typtypmod ELSE a.atttypmod END,
                  'rangeSubtypeLen', (SELECT st.typlen FROM pg_catalog.pg_range r JOIN pg_catalog.pg_type st ON st.oid = r.rngsubtype WHERE r.rngtypid = bt.oid),
                  'generated', NOT ${PUBLISHED_COLUMN_SQL}) ORDER BY a.attnum)
                 FROM pg_catalog.pg_attribute a
                 JOIN pg_catalog.pg_type t ON t.oid = a.atttypid
                 JOIN pg_catalog.pg_type bt ON bt.oid = CASE WHEN t.typtype = 'd' THEN t.typbasetype ELSE t.oid END
                 WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped), '[]'::json) AS columns,
       (SELECT o.option_value::int FROM pg_catalog.pg_options_to_table(c.reloptions) o WHERE o.option_name = 'toast_tuple_target') AS toast_tuple_target,
       CASE WHEN c.relkind = 'p' THEN COALESCE((
         SELECT json_agg(json_build_object('namespace', ln.nspname, 'name', l.relname, 'replident', l.relreplident,
                  'has_pk', EXISTS (SELECT 1 FROM pg_catalog.pg_index i WHERE i.indrelid = l.oid AND i.indisprimary),
                  'has_identity_index', EXISTS (SELECT 1 FROM pg_catalog.pg_index i WHERE i.indrelid = l.oid AND i.indisreplident))
                ORDER BY ln.nspname, l.relname)
         FROM pg_catalog.pg_partition_tree(c.oid) pt
           JOIN pg_catalog.pg_class l ON l.oid = pt.relid
           JOIN pg_catalog.pg_namespace ln ON ln.oid = l.relnamespace
         WHERE pt.isleaf AND l.relkind = 'r'), '[]'::json) END AS leaves,
       ARRAY(SELECT a.attname::text FROM pg_catalog.pg_attribute a
             WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped AND NOT ${PUBLISHED_COLUMN_SQL}
             ORDER BY a.attnum) AS generated,
       pg_catalog.pg_has_role(c.relowner, 'USAGE') AS owned
FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace`;

const NAMED_TABLES_SQL = `${TABLE_COLUMNS}
WHERE c.relkind IN ('r', 'p') AND (n.nspname, c.relname) IN (SELECT * FROM unnest($1::text[], $2::text[]))
ORDER BY 1, 2`;

/** What FOR ALL TABLES publishes: user tables, partitions through their root. */
const ALL_TABLES_SQL = `${TABLE_COLUMNS}
WHERE c.relkind IN ('r', 'p') AND NOT c.relispartition
  AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\\_%'
ORDER BY 1, 2`;

/**
 * `logtap check` for PostgreSQL: reads settings, privileges, tables, the publication and the slot, and
 * tries a replication connection. Changes nothing.
 */
export async function runPreflight(o: PreflightOptions): Promise<CheckFinding[]> {
  let db: pg.Client;
  try {
    db = await openCatalogClient(o.url, o.applicationName, o.endpoint);
  } catch (err) {
    return [connectionFinding(err, o.endpoint)];
  }
  const findings: CheckFinding[] = [];
  let server: ServerRow | undefined;
  try {
    server = (await db.query<ServerRow>(SERVER_SQL)).rows[0]!;
    findings.push(...serverFindings(server));
    // Before the publication: on a standby, why logtap cannot write there says more than a missing publication.
    findings.push(...(await highAvailabilityFindings(db, o)));
    if (o.choice) {
      const { found, findings: settings } = await choiceFindings(db, o.choice, o.endpoint.database);
      o = { ...o, tables: found };
      findings.push(...settings);
    }
    const tables = await tableFindings(db, o, server);
    findings.push(...tables.findings);
    findings.push(...(await publicationFindings(db, o, server, tables.notOwned)));
    findings.push(...(await slotFindings(db, o, server)));
  } catch (err) {
    findings.push(connectionFinding(mapPgError(err, o.endpoint, 'checking the source'), o.endpoint));
  } finally {
    await closeQuietly(db);
  }
  if (server && (server.superuser || server.replication)) {
    const probe = await probeReplicationConnection({ ...o, url: connectedUrl(db, o.url) });
    if (probe) findings.push(probe);
  }
  return findings;
}

function serverFindings(s: ServerRow): CheckFinding[] {
  const findings: CheckFinding[] = [];
  if (s.wal_level !== 'logical') {
    findings.push({
      level: 'error',
      id: 'wal_level',
      message: `wal_level is ${s.wal_level}: logical decoding needs wal_level=logical`,
      fix: 'ALTER SYSTEM SET wal_level = logical; then restart PostgreSQL',
    });
  }
  if (!s.superuser && !s.replication) {
    const role = quoteIdent(s.role);
    findings.push({
      level: 'error',
      id: 'replication_privilege',
      message: `role ${role} has neither REPLICATION nor superuser: it cannot create the slot or stream from it`,
      fix: `as a superuser: ALTER ROLE ${role} REPLICATION;`,
    });
  }
  return findings;
}

async function tableFindings(db: pg.Client, o: PreflightOptions, s: ServerRow): Promise<{ findings: CheckFinding[]; notOwned: string[] }> {
  const findings: CheckFinding[] = [];
  let rows: TableRow[];
  if (o.tables) {
    for (const table of await lookUpTables(db, o.tables)) {
      const problem = tableProblem(table, o.endpoint.database);
      if (problem) findings.push({ level: 'error', id: `table_missing:${tableIdText(table.id)}`, message: problem, fix: 'create the table, or remove it from source.tables' });
    }
    rows = (await db.query<TableRow>(NAMED_TABLES_SQL, [o.tables.map((t) => t.namespace), o.tables.map((t) => t.name)])).rows;
    findings.push(...partitionFindings((await db.query<PartitionRow>(NAMED_PARTITIONS_SQL, [o.tables.map((t) => t.namespace), o.tables.map((t) => t.name)])).rows, o.tables));
  } else {
    rows = (await db.query<TableRow>(ALL_TABLES_SQL)).rows;
  }
  const notOwned: string[] = [];
  for (const t of rows) {
    const name = tableIdText(t);
    const qualified = quoteTable(t);
    const identity: TableIdentity = { replident: t.replident, hasPrimaryKey: t.has_pk, hasIdentityIndex: t.has_identity_index, candidateIndex: t.candidate_index };
    if (t.leaves) {
      // Published through the root (publish_via_partition_root), but PostgreSQL checks each partition's own
      // replica identity before UPDATE and DELETE, and logs the old row as that partition's identity says.
      for (const leaf of t.leaves.filter(lacksIdentity)) {
        findings.push({
          level: 'error',
          id: `no_primary_key:${tableIdText(leaf)}`,
          message: `partition ${tableIdText(leaf)} of ${name} has no primary key and REPLICA IDENTITY ${REPLICA_IDENTITY_NAME[leaf.replident]}: once published, UPDATE and DELETE on it fail in PostgreSQL`,
          fix: `add a primary key to ${qualified}, or ALTER TABLE ${quoteTable(leaf)} REPLICA IDENTITY FULL; (each partition: REPLICA IDENTITY is not inherited)`,
        });
      }
      if (!t.has_pk && t.replident !== 'f') {
        // pgoutput sends an old row as the ROOT's replica identity says ('K': key columns only), whatever the
        // partition logged: without a key, a delete would reach logtap without its row.
        findings.push({
          level: 'error',
          id: `no_primary_key:${name}`,
          message: `partitioned table ${name} has no primary key and REPLICA IDENTITY ${REPLICA_IDENTITY_NAME[t.replident]}: its changes are published as the root's, whose replica identity decides which old values are sent, so its deletes would carry no row`,
          fix: `add a primary key to ${qualified} (it must include the partition key columns), or ALTER TABLE ${qualified} REPLICA IDENTITY FULL; and the same on each partition`,
        });
      } else if (!t.has_pk) {
        findings.push({
          level: 'warning',
          id: `no_primary_key:${name}`,
          message: `partitioned table ${name} has no primary key: its topic is a change log of whole rows without Kafka keys (not compacted, every record kept, one partition); replay rebuilds the table from it`,
          fix: `add a primary key to ${qualified} (it must include the partition key columns)`,
        });
      }
    } else {
      const identityProblem = replicaIdentityFinding(t, identity);
      if (identityProblem) findings.push(identityProblem);
    }
    // Without a logged key UPDATE fails in PostgreSQL (reported above); under FULL the old row carries every value.
    // A partitioned table: the partitions log the old row, the root's identity decides whether it is sent.
    const notFull = [t, ...(t.leaves ?? [])].filter((r) => r.replident !== 'f');
    if ((t.leaves ? t.has_pk || t.replident === 'f' : identifiesRows(identity)) && notFull.length > 0) {
      const outOfLine = outOfLineColumns(t.columns, s.encoding_max, t.toast_tuple_target)
        .filter((column) => !t.columns.find((c) => c.name === column)!.generated);
      if (outOfLine.length > 0) findings.push(unchangedToastFinding(t, identity, outOfLine, o.unchangedToast));
    }
    if (t.generated.length > 0) {
      findings.push({
        level: 'warning',
        id: `generated_columns:${name}`,
        message: `table ${name}: generated columns (${t.generated.map(quoteIdent).join(', ')}) are not published by pgoutput (stored ones are from PostgreSQL 18, virtual ones never) and are left out of its records`,
        fix: 'compute them downstream, or store them as ordinary columns',
      });
    }
    if (!t.owned && !s.superuser) notOwned.push(name);
  }
  return { findings, notOwned };
}

interface PartitionRow { namespace: string; name: string; root_namespace: string; root_name: string }

/** The configured tables that are partitions of another table, with their topmost root. */
const NAMED_PARTITIONS_SQL = `
SELECT n.nspname::text AS namespace, c.relname::text AS name, rn.nspname::text AS root_namespace, r.relname::text AS root_name
FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
  JOIN pg_catalog.pg_class r ON r.oid = pg_catalog.pg_partition_root(c.oid)
  JOIN pg_catalog.pg_namespace rn ON rn.oid = r.relnamespace
WHERE c.relispartition AND (n.nspname, c.relname) IN (SELECT * FROM unnest($1::text[], $2::text[]))
ORDER BY 1, 2`;

/**
 * A partition named in source.tables: with its root (or an ancestor) also named, the publication sends its
 * changes as the root's (publish_via_partition_root: the topmost published ancestor), so it adds nothing; alone,
 * it is captured as a table of its own, and a row moved to another partition leaves it as a delete.
 */
function partitionFindings(partitions: PartitionRow[], configured: readonly TableId[]): CheckFinding[] {
  const named = new Set(configured.map(tableIdText));
  return partitions.map((p) => {
    const name = tableIdText(p);
    const root = tableIdText({ namespace: p.root_namespace, name: p.root_name });
    return named.has(root)
      ? {
        level: 'warning' as const,
        id: `partition_listed:${name}`,
        message: `source.tables names ${name}, a partition of ${root}, which it also names: its changes are published as ${root}'s (one topic, ${root}), not as its own`,
        fix: `remove ${name} from source.tables`,
      }
      : {
        level: 'warning' as const,
        id: `partition_listed:${name}`,
        message: `source.tables names ${name}, a partition of ${root}: it is captured as a table of its own (its own topic); a row an UPDATE moves to another partition leaves it as a delete, and one moved into it arrives as an insert`,
        fix: `to capture the whole table with rows moving between partitions as updates, name ${root} instead`,
      };
  });
}

/** PostgreSQL refuses UPDATE and DELETE on a published table without a usable replica identity. */
function lacksIdentity(t: Identity): boolean {
  return (t.replident === 'd' && !t.has_pk) || t.replident === 'n' || (t.replident === 'i' && !t.has_identity_index);
}

async function publicationFindings(db: pg.Client, o: PreflightOptions, s: ServerRow, notOwned: string[]): Promise<CheckFinding[]> {
  const state = await readPublication(db, o.publicationName);
  const pub = quoteIdent(o.publicationName);
  const role = quoteIdent(s.role);
  const findings: CheckFinding[] = [];
  const mustWrite = !state || !diffPublication(state, o.tables).same;
  if (mustWrite && s.in_recovery) {
    return [{
      level: 'error',
      id: 'publication_on_standby',
      message: `publication ${pub} ${state ? 'does not match the configured tables' : 'does not exist'}, and this server is a hot standby (read-only): logtap cannot ${state ? 'change' : 'create'} it here`,
      fix: `on the primary: ${publicationStatement(o.publicationName, o.tables?.map((id) => ({ id })), state !== null, s.version_num)}`,
    }];
  }
  if (state) {
    const diff = diffPublication(state, o.tables);
    if (!diff.same) {
      const parts = [
        diff.recreate ? `is ${state.allTables ? 'FOR ALL TABLES' : 'a table list'} but the configuration asks for ${o.tables ? 'a table list' : 'all tables'}` : '',
        diff.added.length > 0 ? `lacks ${diff.added.map(tableIdText).join(', ')}` : '',
        diff.removed.length > 0 ? `also publishes ${diff.removed.map(tableIdText).join(', ')}` : '',
        diff.hasExtras ? 'holds schemas, row filters or column lists' : '',
        diff.optionsOk ? '' : 'does not publish every operation through the partition root',
      ].filter(Boolean);
      findings.push({
        level: 'warning',
        id: 'publication_mismatch',
        message: `publication ${pub} ${parts.join('; ')}: logtap changes it when it starts, and changes are published with the new table set from that point of the WAL on`,
        fix: o.tables
          ? `nothing, if role ${role} owns the publication and the tables; else as their owner: ALTER PUBLICATION ${pub} SET TABLE ${o.tables.map(publicationMember).join(', ')};`
          : `nothing, if role ${role} is a superuser; else as a superuser: DROP PUBLICATION ${pub}; CREATE PUBLICATION ${pub} FOR ALL TABLES;`,
      });
    }
  }
  if (mustWrite && !s.superuser) {
    if (!o.tables) {
      findings.push({
        level: 'error',
        id: 'publication_privilege',
        message: `publication ${pub} FOR ALL TABLES must be created by a superuser, and role ${role} is not one`,
        fix: `as a superuser: CREATE PUBLICATION ${pub} FOR ALL TABLES WITH (publish_via_partition_root = true); — or list the tables in source.tables`,
      });
    } else {
      if (!state && !s.may_create) {
        findings.push({
          level: 'error',
          id: 'publication_privilege',
          message: `role ${role} may not create publication ${pub} in database ${quoteIdent(o.endpoint.database)} (no CREATE privilege)`,
          fix: `GRANT CREATE ON DATABASE ${quoteIdent(o.endpoint.database)} TO ${role}; or create the publication as the tables' owner`,
        });
      }
      for (const table of notOwned) {
        findings.push({
          level: 'error',
          id: `publication_privilege:${table}`,
          message: `role ${role} does not own table ${table}, so it cannot add it to publication ${pub}`,
          fix: `as the owner: ${state ? `ALTER PUBLICATION ${pub} SET TABLE ${o.tables.map(publicationMember).join(', ')};` : `CREATE PUBLICATION ${pub} FOR TABLE ${o.tables.map(publicationMember).join(', ')} WITH (publish_via_partition_root = true);`}`,
        });
      }
    }
  }
  return findings;
}

async function slotFindings(db: pg.Client, o: PreflightOptions, s: ServerRow): Promise<CheckFinding[]> {
  const slot = await readSlot(db, o.slotName);
  const findings: CheckFinding[] = [];
  const drop = `SELECT pg_drop_replication_slot(${quoteLiteral(o.slotName)});`;
  if (!slot) {
    if (s.slots_used >= s.max_slots) {
      findings.push({
        level: 'error',
        id: 'max_replication_slots',
        message: `all ${s.max_slots} replication slots (max_replication_slots) are taken: logtap cannot create slot ${quoteIdent(o.slotName)}`,
        fix: 'raise max_replication_slots (restart needed), or drop unused slots (SELECT slot_name, active FROM pg_replication_slots;)',
      });
    }
  } else {
    const unusable = unusableSlotReason(slot, o.endpoint.database);
    if (unusable) findings.push({ level: 'error', id: 'slot_unusable', message: unusable, fix: drop });
    else if (slotLost(slot)) {
      findings.push({
        level: 'error',
        id: 'slot_lost',
        message: `replication slot ${quoteIdent(o.slotName)} lost the WAL it needed (wal_status=${slot.walStatus ?? 'invalidated'}): streaming cannot resume from it`,
        fix: `${drop} then delete the connector's checkpoint (logtap offsets reset) and re-snapshot the tables`,
      });
    } else if (slot.walStatus === 'unreserved') {
      findings.push({
        level: 'warning',
        id: 'slot_wal_unreserved',
        message: `replication slot ${quoteIdent(o.slotName)} holds more WAL than max_wal_size and is about to lose it (wal_status=unreserved)`,
        fix: 'start logtap so the slot catches up, or raise max_slot_wal_keep_size',
      });
    }
    if (slot.retainedBytes !== null && slot.retainedBytes > RETAINED_WAL_WARNING_BYTES) {
      findings.push({
        level: 'warning',
        id: 'slot_retained_wal',
        message: `replication slot ${quoteIdent(o.slotName)} retains ${formatBytes(slot.retainedBytes)} of WAL${slot.active ? '' : ' and nothing streams from it'}: the disk fills while it lags`,
        fix: slot.active ? 'check that the pipeline keeps up and checkpoints (its releases move the slot)' : `start logtap, or drop the slot if the connector is retired: ${drop}`,
      });
    }
    if (slot.active) {
      findings.push({
        level: 'warning',
        id: 'slot_active',
        message: `replication slot ${quoteIdent(o.slotName)} is in use by process ${slot.activePid ?? '?'}: a second logtap with this name would wait for it`,
        fix: 'nothing, if that is this connector running; else stop the other consumer',
      });
    }
  }
  if (!slot?.active && s.senders_used >= s.max_senders) {
    findings.push({
      level: 'error',
      id: 'max_wal_senders',
      message: `all ${s.max_senders} WAL senders (max_wal_senders) are busy: the replication connection would be refused`,
      fix: 'raise max_wal_senders (restart needed), or stop an unused replication client',
    });
  }
  return findings;
}

/** Opens a replication connection and asks IDENTIFY_SYSTEM: proves pg_hba.conf and the role allow it. */
async function probeReplicationConnection(o: PreflightOptions): Promise<CheckFinding | null> {
  const client = new pg.Client({ ...pgClientConfig(o.url, o.applicationName), replication: 'database' } as pg.ClientConfig);
  client.on('error', () => {});
  try {
    await client.connect();
    await client.query('IDENTIFY_SYSTEM');
    return null;
  } catch (err) {
    const mapped = mapPgError(err, o.endpoint, 'opening a replication connection');
    return { level: 'error', id: 'replication_connection', message: mapped.message, fix: fixOf(mapped) };
  } finally {
    await closeQuietly(client);
  }
}

function connectionFinding(err: unknown, endpoint: PgEndpoint): CheckFinding {
  const mapped = err instanceof LogtapError ? err : mapPgError(err, endpoint, 'connecting');
  return { level: 'error', id: 'connection', message: mapped.message, fix: fixOf(mapped) };
}

/** The messages carry their fix after a dash; otherwise say what to look at. */
function fixOf(err: LogtapError): string {
  const dash = err.message.lastIndexOf(' — ');
  if (dash >= 0) return err.message.slice(dash + 3);
  return err.retriable ? 'check that PostgreSQL runs and that the host and port of source.url are right' : 'see the message';
}

/**
 * Columns that can be TOASTed in a table whose UPDATEs log only the key: informational under read-back (each
 * such update costs a read of the row); under fail an error, as the stream would stop at the first such update.
 */
function unchangedToastFinding(id: TableId, identity: TableIdentity, columns: string[], policy: UnchangedToastPolicy): CheckFinding {
  const name = tableIdText(id);
  const full = `ALTER TABLE ${quoteTable(id)} REPLICA IDENTITY FULL;`;
  const what = `table ${name}: ${columns.length === 1 ? 'column' : 'columns'} ${columns.map(quoteIdent).join(', ')} can be stored out of line (TOASTed), and under REPLICA IDENTITY ${REPLICA_IDENTITY_NAME[identity.replident]} an UPDATE that leaves such a value unchanged does not carry it`;
  if (policy === 'fail') {
    return {
      level: 'error',
      id: `toast_unchanged:${name}`,
      message: `${what}; with toast.unchanged: fail the daemon stops at the first such update`,
      fix: `set toast.unchanged: read-back (the default: the value is read back from the table), or ${full} (every UPDATE and DELETE then logs the whole old row)`,
    };
  }
  return {
    level: 'warning',
    id: `toast_unchanged:${name}`,
    message: `${what}: logtap reads it back from the table by key (toast.unchanged: read-back), a query per batch of such updates; the record may then show a newer value of that column than the update's own`,
    fix: `nothing is needed; to log the values instead of reading them back: ${full} (every UPDATE and DELETE then logs the whole old row)`,
  };
}

function formatBytes(bytes: bigint): string {
  const gib = Number(bytes) / 2 ** 30;
  return gib >= 1 ? `${gib.toFixed(1)} GiB` : `${(Number(bytes) / 2 ** 20).toFixed(1)} MiB`;
}


/**
 * The tables the configured names and patterns capture (names written out are taken as they are: a missing one is
 * reported as such), and every per-table setting PostgreSQL would refuse or that would break the table's writes.
 */
async function choiceFindings(db: pg.Client, choice: PgTableChoice, database: string): Promise<{ found: TableId[] | undefined; findings: CheckFinding[] }> {
  const findings: CheckFinding[] = [];
  const asFinding = (err: unknown, id: string): void => {
    if (!(err instanceof ConfigError)) throw err;
    const [message, ...fix] = err.message.split(' — ');
    findings.push({ level: 'error', id, message: message!, fix: fix.join(' — ') || 'change source.tables or tables: in the config' });
  };
  const version = Number((await db.query<{ v: number }>(`SELECT current_setting('server_version_num')::int AS v`)).rows[0]!.v);
  const rowFilter = Object.entries(choice.settings).find(([, t]) => t.where !== undefined);
  if (rowFilter && version < 150000) asFinding(new ConfigError(`tables.${JSON.stringify(rowFilter[0])}.where: row filters need PostgreSQL 15 or later — remove where`), 'row_filter_version');
  let found: TableId[] | undefined;
  if (choice.filter.exactOnly) {
    found = exactTableIds(choice.filter);
  } else {
    try {
      found = await capturedTables(db, choice.filter, database);
    } catch (err) {
      asFinding(err, 'tables');
      found = undefined;
    }
  }
  if (version >= 150000) {
    for (const id of found ?? []) {
      try {
        await filteredMember(db, id, choice.settings);
      } catch (err) {
        asFinding(err, `table_settings:${tableIdText(id)}`);
      }
    }
  }
  return { found, findings };
}
