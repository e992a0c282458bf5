import type pg from 'pg';
import type { CheckpointStore } from '../../src/kafka/checkpoint-store.js';
import { parseLsn } from '../../connectors/postgres/lsn.js';
import type { Daemon } from './daemon.js';
import { waitFor } from './wait.js';

/** Whether a PostgreSQL connector checkpoint token is a complete position (no transaction half read) at or after `lsn`. */
export function pgCheckpointCovers(token: string, lsn: string): boolean {
  const complete = /^pg1:([0-9A-F]+\/[0-9A-F]+)$/i.exec(token)?.[1];
  return complete !== undefined && parseLsn(complete) >= parseLsn(lsn);
}

/**
 * Waits until the checkpoint covers everything `source`'s server has written so far (the WAL insert position now);
 * with `daemon`, fails at once if it stops.
 */
export async function waitPgCheckpointed(source: pg.Client, checkpoints: CheckpointStore, timeoutMs: number, daemon?: Daemon): Promise<void> {
  const { rows: [end] } = await source.query<{ lsn: string }>('SELECT pg_current_wal_insert_lsn()::text AS lsn');
  await waitFor('the changes to be checkpointed', async () => {
    if (daemon && daemon.child.exitCode !== null) throw new Error(`the daemon stopped (${daemon.child.exitCode})`);
    return pgCheckpointCovers((await checkpoints.load())?.position.token ?? '', end!.lsn) ? true : undefined;
  }, timeoutMs, 300);
}
