import type mysql from 'mysql2/promise';
import type { CheckpointStore } from '../../src/kafka/checkpoint-store.js';
import type { Daemon } from './daemon.js';
import { waitFor } from './wait.js';

/**
 * Whether a MySQL connector checkpoint token's GTID state covers every domain of `end` (MariaDB
 * `domain-server-seq` lists). A position inside a transaction (`;in=`) covers nothing yet. Written from the
 * token's documented shape, not with the connector's own parser, so the tests stay independent of it.
 */
export function checkpointCovers(token: string, end: string): boolean {
  const state = /gtid=([^;#]*)/.exec(token)?.[1] ?? '';
  if (/;in=/.test(token)) return false;
  const seqs = new Map(state.split(',').filter(Boolean).map((g) => { const [d, , n] = g.split('-'); return [d, Number(n)]; }));
  return end.split(',').filter(Boolean).every((g) => { const [d, , n] = g.split('-'); return (seqs.get(d) ?? -1) >= Number(n); });
}

/**
 * Waits until the checkpoint covers everything the server behind `sql` has written so far (@@gtid_binlog_pos now);
 * with `daemon`, fails at once if it stops.
 */
export async function waitMariadbCheckpointed(sql: mysql.Connection, checkpoints: CheckpointStore, timeoutMs: number, daemon?: Daemon): Promise<void> {
  const [[{ end }]] = await sql.query('SELECT @@gtid_binlog_pos AS end') as unknown as [[{ end: string }]];
  await waitFor('the changes to be checkpointed', async () => {
    if (daemon && daemon.child.exitCode !== null) throw new Error(`the daemon stopped (${daemon.child.exitCode})`);
    return checkpointCovers((await checkpoints.load())?.position.token ?? '', end) ? true : undefined;
  }, timeoutMs, 300);
}
