import type pg from 'pg';
import { type Lsn, parseLsn } from './lsn.js';

/** The server's flushed WAL end and its clock, read together (for watermarks on an idle source). */
export interface ClockProbe {
  flushedLsn: Lsn;
  timeMicros: bigint;
}

/**
 * Reads the flushed WAL end, then the clock: a transaction whose commit record lies past that WAL end took its commit
 * time after the read, except in the microseconds between PostgreSQL stamping a commit and writing its record.
 */
export async function probeSourceClock(db: Pick<pg.Client, 'query'>): Promise<ClockProbe> {
  const { rows: [row] } = await db.query<{ lsn: string; us: string }>(
    "SELECT pg_current_wal_flush_lsn()::text AS lsn, (extract(epoch FROM clock_timestamp()) * 1000000)::bigint::text AS us",
  );
  return { flushedLsn: parseLsn(row!.lsn), timeMicros: BigInt(row!.us) };
}
