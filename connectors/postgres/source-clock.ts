import type pg from 'pg';
import { type Lsn, parseLsn } from './lsn.js';

/** A transaction that was running when a probe looked, and what its session was doing then. */
export interface RunningTransaction {
  /** Idle in a transaction block: not committing, so its commit time (if any) comes later. */
  idleInTransaction: boolean;
  /** When its session's current statement started (µs), if the probe may see it. */
  statementStartMicros: bigint | null;
}

/** The server's clock, then the transactions running and the WAL insert position, each read after the one before (commit-time-bound.ts). */
export interface ClockProbe {
  timeMicros: bigint;
  /** The WAL insert position, read after the running transactions. */
  insertLsn: Lsn;
  /** Running transactions by 32-bit xid (text). */
  running: Map<string, RunningTransaction>;
}

/**
 * Three statements, in this order on purpose: the clock; then the transactions holding an xid (every backend's xid is
 * visible to any role, its state only to its own role or pg_read_all_stats; prepared transactions have none); then the
 * WAL insert position. A transaction that stamped its commit time before the clock either is still listed or has its
 * commit record below that position.
 */
export async function probeSourceClock(db: Pick<pg.Client, 'query'>): Promise<ClockProbe> {
  const { rows: [clock] } = await db.query<{ us: string }>('SELECT (extract(epoch FROM clock_timestamp()) * 1000000)::bigint::text AS us');
  const { rows } = await db.query<{ xid: string; idle: boolean | null; started_us: string | null }>(`
    SELECT backend_xid::text AS xid, state LIKE 'idle in transaction%' AS idle,
           (extract(epoch FROM query_start) * 1000000)::bigint::text AS started_us
    FROM pg_stat_activity WHERE backend_xid IS NOT NULL
    UNION ALL SELECT transaction::text, false, NULL FROM pg_prepared_xacts`);
  const { rows: [insert] } = await db.query<{ lsn: string }>('SELECT pg_current_wal_insert_lsn()::text AS lsn');
  const running = new Map<string, RunningTransaction>();
  for (const row of rows) running.set(row.xid, { idleInTransaction: row.idle === true, statementStartMicros: row.started_us === null ? null : BigInt(row.started_us) });
  return { timeMicros: BigInt(clock!.us), insertLsn: parseLsn(insert!.lsn), running };
}
