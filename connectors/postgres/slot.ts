import { PositionLostError } from '../../src/errors.js';
import type { Logger } from '../../src/logger.js';
import type { PgQueryable } from './introspect-columns.js';
import { type Lsn, formatLsn, parseLsn } from './lsn.js';
import { quoteIdent } from './pg-identifiers.js';
import { SourceSetupError } from './pg-errors.js';
import { type PgPosition, coveredBelow, positionDisplay } from './pg-position.js';

/** One row of pg_replication_slots, as far as logtap reads it. */
export interface SlotState {
  name: string;
  plugin: string | null;
  slotType: string;
  database: string | null;
  active: boolean;
  activePid: number | null;
  /** reserved, extended, unreserved or lost (PostgreSQL ≥ 13). */
  walStatus: string | null;
  restartLsn: Lsn | null;
  confirmedFlushLsn: Lsn | null;
  /** WAL the slot holds back from removal: current WAL position − restart_lsn. */
  retainedBytes: bigint | null;
}

const READ_SLOT_SQL = `
SELECT s.slot_name::text AS name, s.plugin::text AS plugin, s.slot_type AS slot_type, s.database::text AS database,
       s.active, s.active_pid, s.wal_status, s.restart_lsn::text AS restart_lsn,
       s.confirmed_flush_lsn::text AS confirmed_flush_lsn,
       pg_catalog.pg_wal_lsn_diff(
         CASE WHEN pg_catalog.pg_is_in_recovery() THEN pg_catalog.pg_last_wal_replay_lsn() ELSE pg_catalog.pg_current_wal_lsn() END,
         s.restart_lsn)::text AS retained_bytes
FROM pg_catalog.pg_replication_slots s
WHERE s.slot_name = $1`;

interface SlotRow {
  name: string;
  plugin: string | null;
  slot_type: string;
  database: string | null;
  active: boolean;
  active_pid: number | null;
  wal_status: string | null;
  restart_lsn: string | null;
  confirmed_flush_lsn: string | null;
  retained_bytes: string | null;
}

export async function readSlot(db: PgQueryable, name: string): Promise<SlotState | null> {
  const { rows } = await db.query(READ_SLOT_SQL, [name]);
  const row = rows[0] as SlotRow | undefined;
  if (!row) return null;
  return {
    name: row.name,
    plugin: row.plugin,
    slotType: row.slot_type,
    database: row.database,
    active: row.active,
    activePid: row.active_pid,
    walStatus: row.wal_status,
    restartLsn: row.restart_lsn === null ? null : parseLsn(row.restart_lsn),
    confirmedFlushLsn: row.confirmed_flush_lsn === null ? null : parseLsn(row.confirmed_flush_lsn),
    // numeric text; a fraction never occurs for a byte count
    retainedBytes: row.retained_bytes === null ? null : BigInt(row.retained_bytes.split('.')[0]!),
  };
}

/**
 * Creates a pgoutput slot (a failover slot when asked: PostgreSQL 17+); tolerates another process creating it
 * at the same moment.
 */
export async function createSlot(db: PgQueryable, name: string, failover = false): Promise<SlotState> {
  try {
    if (failover) await db.query(`SELECT pg_catalog.pg_create_logical_replication_slot($1, 'pgoutput', failover => true)`, [name]);
    else await db.query(`SELECT pg_catalog.pg_create_logical_replication_slot($1, 'pgoutput')`, [name]);
  } catch (err) {
    if ((err as { code?: unknown }).code !== '42710') throw err; // duplicate_object: created meanwhile
  }
  const slot = await readSlot(db, name);
  if (!slot) throw new Error(`replication slot ${name} vanished right after it was created`);
  return slot;
}

/** Said before creating a slot on a standby, which may otherwise look stuck. */
export const STANDBY_SLOT_WAIT = 'creating the replication slot on a standby: it waits for the primary\'s next running-transactions record (written every 15 s while the primary is busy; SELECT pg_log_standby_snapshot(); on the primary writes one now)';

/** A slot of the right name that logtap cannot use: the message says why and what to do. */
export function unusableSlotReason(slot: SlotState, database: string): string | null {
  const drop = `drop it (SELECT pg_drop_replication_slot('${slot.name}');) or choose another connector name`;
  if (slot.slotType !== 'logical') return `replication slot ${quoteIdent(slot.name)} is a ${slot.slotType} slot, not a logical one — ${drop}`;
  if (slot.plugin !== 'pgoutput') return `replication slot ${quoteIdent(slot.name)} uses the ${slot.plugin ?? 'unknown'} plugin, not pgoutput — ${drop}`;
  if (slot.database !== database) return `replication slot ${quoteIdent(slot.name)} belongs to database ${quoteIdent(slot.database ?? '?')}, not ${quoteIdent(database)} — ${drop}`;
  return null;
}

/** The slot lost WAL it needed (wal_status lost, or invalidated: no restart_lsn). */
export const slotLost = (slot: SlotState): boolean => slot.walStatus === 'lost' || slot.restartLsn === null;

export interface SlotContext {
  db: PgQueryable;
  slotName: string;
  database: string;
  connectorName: string;
  log: Logger;
  /** Create the slot as a failover slot (a PostgreSQL 17+ primary). */
  failover?: boolean;
  /** The server is a hot standby: the slot is created there, which waits for the primary's next running-transactions record. */
  standby?: boolean;
}

/**
 * The slot to stream from, created when missing and no checkpoint expects it. Refuses (PositionLostError)
 * when the checkpoint `from` cannot be honoured: the slot is gone or lost its WAL, or it was moved past
 * the checkpoint (its confirmed position is beyond what the checkpoint covers).
 */
export async function prepareSlot(context: SlotContext, from: PgPosition | null): Promise<SlotState> {
  const { db, slotName, connectorName, log } = context;
  const recover = `delete the checkpoint of connector ${JSON.stringify(connectorName)} (logtap offsets reset) and re-snapshot the tables (and drop the slot: SELECT pg_drop_replication_slot('${slotName}');)`;
  let slot = await readSlot(db, slotName);
  if (!slot) {
    if (from) {
      // After a failover this is a slot the standby never received (not a failover slot, or not yet synchronized).
      throw new PositionLostError(`replication slot ${quoteIdent(slotName)} does not exist on this server but the checkpoint (${positionDisplay(from)}) needs it: the changes since the checkpoint are lost (after a failover: the slot was not synchronized to the promoted standby — see "Failover slots" in docs/postgres-connector.md) — delete the checkpoint of connector ${JSON.stringify(connectorName)} (logtap offsets reset) and re-snapshot the tables`);
    }
    if (context.standby) log.info({ slot: slotName }, STANDBY_SLOT_WAIT);
    slot = await createSlot(db, slotName, context.failover ?? false);
    log.info({ slot: slotName, lsn: slot.confirmedFlushLsn === null ? null : formatLsn(slot.confirmedFlushLsn) }, 'created replication slot');
  }
  const unusable = unusableSlotReason(slot, context.database);
  if (unusable) throw new SourceSetupError(unusable);
  if (slotLost(slot)) {
    throw new PositionLostError(`replication slot ${quoteIdent(slotName)} lost the WAL it needed (wal_status=${slot.walStatus ?? 'invalidated'}; max_slot_wal_keep_size exceeded?) — ${recover}`);
  }
  if (slot.walStatus === 'unreserved') {
    log.warn({ slot: slotName }, 'the replication slot is about to lose WAL it needs (wal_status=unreserved): the stream must catch up now');
  }
  if (from && slot.confirmedFlushLsn !== null && slot.confirmedFlushLsn > coveredBelow(from)) {
    throw new PositionLostError(`replication slot ${quoteIdent(slotName)} was confirmed up to ${formatLsn(slot.confirmedFlushLsn)}, past the checkpoint (${positionDisplay(from)}): changes in between may be lost (was the slot used by another consumer, or the checkpoint rolled back?) — ${recover}`);
  }
  return slot;
}
