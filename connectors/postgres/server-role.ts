import type { PgQueryable } from './introspect-columns.js';

/** What the connector must know of the server it reached: a primary or a hot standby, and its version. */
export interface ServerRole {
  /** In recovery: a hot standby (read-only; logical decoding there needs PostgreSQL 16+). */
  standby: boolean;
  /** server_version_num, e.g. 170004. */
  versionNum: number;
}

export async function readServerRole(db: PgQueryable): Promise<ServerRole> {
  const { rows } = await db.query(`SELECT pg_catalog.pg_is_in_recovery() AS standby, current_setting('server_version_num')::int AS version_num`);
  const row = rows[0] as { standby: boolean; version_num: number };
  return { standby: row.standby, versionNum: row.version_num };
}

/**
 * Slots are created as failover slots (synchronized to standbys with sync_replication_slots, so they survive a
 * promotion) on a PostgreSQL 17+ primary. A standby cannot create one: its slots are local to it.
 */
export const wantsFailoverSlot = (role: ServerRole): boolean => !role.standby && role.versionNum >= 170000;

/** Logical decoding on a standby arrived in PostgreSQL 16. */
export const STANDBY_DECODING_VERSION = 160000;
