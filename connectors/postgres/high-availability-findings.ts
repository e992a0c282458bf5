import type pg from 'pg';
import type { CheckFinding } from '../../src/source/source-connector.js';
import { closeQuietly, connectedUrl, openCatalogClient } from './pg-client.js';
import { endpointText, pgEndpoint } from './pg-endpoint.js';
import { hostUrls } from './pg-hosts.js';
import { quoteIdent, quoteLiteral } from './pg-identifiers.js';
import { STANDBY_DECODING_VERSION } from './server-role.js';

/**
 * `logtap check` for failover slots and capture from a standby (docs/postgres-connector.md): the settings each
 * server needs, as far as the server logtap reached (and, with a multi-host URL, the other hosts) can show them.
 */

interface HaRow {
  standby: boolean;
  version_num: number;
  wal_level: string;
  hot_standby_feedback: string;
  primary_slot_name: string | null;
  /** PostgreSQL 17+; null before. */
  sync_replication_slots: string | null;
  synchronized_standby_slots: string | null;
}

const HA_SQL = `
SELECT pg_catalog.pg_is_in_recovery() AS standby, current_setting('server_version_num')::int AS version_num,
       current_setting('wal_level') AS wal_level, current_setting('hot_standby_feedback') AS hot_standby_feedback,
       current_setting('primary_slot_name', true) AS primary_slot_name,
       current_setting('sync_replication_slots', true) AS sync_replication_slots,
       current_setting('synchronized_standby_slots', true) AS synchronized_standby_slots`;

const readHa = async (db: pg.Client): Promise<HaRow> => (await db.query<HaRow>(HA_SQL)).rows[0]!;

/** The slot's failover flags (PostgreSQL 17+), or null: no slot, or an older server. */
async function slotFailover(db: pg.Client, slotName: string, versionNum: number): Promise<{ failover: boolean; synced: boolean } | null> {
  if (versionNum < 170000) return null;
  const { rows } = await db.query<{ failover: boolean; synced: boolean }>('SELECT failover, synced FROM pg_catalog.pg_replication_slots WHERE slot_name = $1', [slotName]);
  return rows[0] ?? null;
}

const reload = 'SELECT pg_reload_conf();';

export interface HaCheckOptions {
  url: string;
  applicationName: string;
  slotName: string;
  /** A signal table is configured (signal.enabled): its rows are writes. */
  signalTable: boolean;
  /** The daemon may start backfills itself (schemaChanges.resync: auto), with logical messages as watermarks. */
  internalBackfills: boolean;
}

/** Findings for the server `db` reached, and with several hosts in source.url, for its standbys. */
export async function highAvailabilityFindings(db: pg.Client, o: HaCheckOptions): Promise<CheckFinding[]> {
  const row = await readHa(db);
  if (row.standby) return standbySourceFindings(row, o);
  const findings: CheckFinding[] = [];
  const servers = hostUrls(o.url);
  if (servers.length < 2) return findings;
  if (row.version_num < 170000) {
    findings.push({
      level: 'warning',
      id: 'failover_slots',
      message: `source.url lists several servers, but the primary runs PostgreSQL ${Math.floor(row.version_num / 10000)}: replication slots are not synchronized to standbys before PostgreSQL 17, so after a failover the slot is missing and logtap stops`,
      fix: 'upgrade to PostgreSQL 17+ for failover slots, or re-snapshot after a failover',
    });
    return findings;
  }
  const slot = await slotFailover(db, o.slotName, row.version_num);
  if (slot && !slot.failover) {
    findings.push({
      level: 'warning',
      id: 'slot_not_failover',
      message: `replication slot ${quoteIdent(o.slotName)} was created without failover: standbys do not receive it, so after a failover it is missing and logtap stops`,
      fix: `on a replication connection to the primary (psql "dbname=<db> replication=database"): ALTER_REPLICATION_SLOT ${quoteIdent(o.slotName)} (FAILOVER true);`,
    });
  }
  if (!row.synchronized_standby_slots) {
    findings.push({
      level: 'warning',
      id: 'synchronized_standby_slots',
      message: 'synchronized_standby_slots is empty on the primary: logtap may receive (and publish) changes a standby has not received yet; promoted, that standby lacks them and its copy of the slot lies behind logtap\'s checkpoint',
      fix: `on the primary: ALTER SYSTEM SET synchronized_standby_slots = '<the standby's physical slot>'; ${reload}`,
    });
  }
  const here = connectedUrl(db, o.url);
  for (const server of servers.filter((s) => s !== here)) findings.push(...(await failoverStandbyFindings(server, o, slot !== null)));
  return findings;
}

/** A standby logtap may fail over to: slot synchronization on, and the slot (once created) synchronized there. */
async function failoverStandbyFindings(url: string, o: HaCheckOptions, slotExists: boolean): Promise<CheckFinding[]> {
  const at = endpointText(pgEndpoint(url));
  let db: pg.Client | undefined;
  try {
    db = await openCatalogClient(url, o.applicationName, pgEndpoint(url));
    const row = await readHa(db);
    if (!row.standby) return [];
    const findings: CheckFinding[] = [];
    if (row.sync_replication_slots !== 'on') {
      findings.push({
        level: 'warning',
        id: `sync_replication_slots:${at}`,
        message: `standby ${at} runs with sync_replication_slots=${row.sync_replication_slots ?? 'off'}: it does not receive logtap's failover slot, so after its promotion logtap stops (slot missing)`,
        fix: `on ${at}: ALTER SYSTEM SET sync_replication_slots = on; ${reload} (it also needs hot_standby_feedback = on, primary_slot_name, and dbname in primary_conninfo)`,
      });
    }
    if (row.hot_standby_feedback !== 'on') {
      findings.push({
        level: 'warning',
        id: `hot_standby_feedback:${at}`,
        message: `standby ${at} runs with hot_standby_feedback=off: slot synchronization needs it`,
        fix: `on ${at}: ALTER SYSTEM SET hot_standby_feedback = on; ${reload}`,
      });
    }
    if (!row.primary_slot_name) {
      findings.push({
        level: 'warning',
        id: `primary_slot_name:${at}`,
        message: `standby ${at} streams without a physical replication slot (primary_slot_name is empty): slot synchronization needs one`,
        fix: `on the primary: SELECT pg_create_physical_replication_slot('standby_1'); on ${at}: ALTER SYSTEM SET primary_slot_name = 'standby_1'; ${reload}`,
      });
    }
    if (slotExists && row.sync_replication_slots === 'on') {
      const synced = await slotFailover(db, o.slotName, row.version_num);
      if (!synced?.synced) {
        findings.push({
          level: 'warning',
          id: `slot_not_synced:${at}`,
          message: `standby ${at} holds no synchronized copy of replication slot ${quoteIdent(o.slotName)} yet: promoted now, logtap would stop (slot missing)`,
          fix: `wait until the slot moved past the standby's position once (logtap streaming), or on ${at}: SELECT pg_sync_replication_slots();`,
        });
      }
    }
    return findings;
  } catch (err) {
    return [{ level: 'warning', id: `standby_unreachable:${at}`, message: `cannot look at ${at} of source.url: ${(err as Error).message}`, fix: 'check that the server runs, or remove it from source.url' }];
  } finally {
    await closeQuietly(db);
  }
}

/** source.url names a hot standby: logical decoding there (PostgreSQL 16+). */
function standbySourceFindings(row: HaRow, o: HaCheckOptions): CheckFinding[] {
  const findings: CheckFinding[] = [];
  if (row.version_num < STANDBY_DECODING_VERSION) {
    findings.push({
      level: 'error',
      id: 'standby_version',
      message: `source.url names a hot standby of PostgreSQL ${Math.floor(row.version_num / 10000)}: logical decoding on a standby needs PostgreSQL 16 or later`,
      fix: 'point source.url at the primary, or upgrade',
    });
    return findings;
  }
  findings.push({
    level: 'warning',
    id: 'standby_source',
    message: 'source.url names a hot standby: logtap decodes there; the primary must run with wal_level=logical (not visible from here: the slot creation fails otherwise); backfills and the signal table are refused (they write into the WAL), and the publication must be created on the primary',
    fix: `on the primary: ALTER SYSTEM SET wal_level = logical; then restart it; nothing else if this is intended`,
  });
  if (o.signalTable) {
    findings.push({
      level: 'error',
      id: 'signal_on_standby',
      message: 'signal.enabled is on, but this server is a hot standby (read-only): the signal table\'s rows and backfill watermarks must be written into the WAL, which only the primary can',
      fix: 'turn signal.enabled off to capture from the standby (no online backfills), or point source.url at the primary',
    });
  } else if (o.internalBackfills) {
    findings.push({
      level: 'warning',
      id: 'schema_resync_on_standby',
      message: 'schemaChanges.resync is auto, but this server is a hot standby: a resync after a rewriting ALTER TABLE needs backfill watermarks written into the WAL, which only the primary can — the daemon would stop there',
      fix: 'set schemaChanges.resync: warn (and re-snapshot such a table yourself), or point source.url at the primary',
    });
  }
  if (row.hot_standby_feedback !== 'on') {
    findings.push({
      level: 'error',
      id: 'hot_standby_feedback',
      message: 'hot_standby_feedback is off on this standby: the primary may remove catalog rows the slot still needs, and the slot is invalidated (logtap stops)',
      fix: `on the standby: ALTER SYSTEM SET hot_standby_feedback = on; ${reload}`,
    });
  }
  if (!row.primary_slot_name) {
    findings.push({
      level: 'warning',
      id: 'primary_slot_name',
      message: 'this standby streams without a physical replication slot on the primary (primary_slot_name is empty): while it is disconnected, hot_standby_feedback does not hold back the primary, and the logical slot here can be invalidated',
      fix: `on the primary: SELECT pg_create_physical_replication_slot(${quoteLiteral('standby_1')}); on the standby: ALTER SYSTEM SET primary_slot_name = 'standby_1'; ${reload}`,
    });
  }
  return findings;
}
