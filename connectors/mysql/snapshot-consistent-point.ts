import { ConfigError } from '../../src/errors.js';
import type { MysqlQueryRunner } from './introspect-columns.js';
import type { MysqlPosition } from './mysql-position.js';
import { masterStatus } from './server-settings.js';

/** Where a consistent read begins in the binlog, and how it was obtained (for the log). */
export interface ConsistentPoint {
  /** The binlog position matching the transaction's snapshot: streaming from it misses and repeats nothing. */
  stream: MysqlPosition;
  how: string;
}

/**
 * Opens a consistent-snapshot transaction on `runner` (one dedicated connection) and returns the binlog point it
 * matches.
 *
 * - MariaDB: `START TRANSACTION WITH CONSISTENT SNAPSHOT` takes the snapshot and the binlog position together
 *   (the server blocks binlog commits for that instant) and reports it as `binlog_snapshot_file/position`; no
 *   lock is held afterwards. The GTID position of that same binlog point is `BINLOG_GTID_POS(file, position)`:
 *   derived from the position, not read separately (@@gtid_binlog_pos may already have moved on).
 * - MySQL: no such status; `FLUSH TABLES WITH READ LOCK` stops commits while the snapshot is taken and the
 *   binlog position (and GTID set) is read, then `UNLOCK TABLES` at once: the lock lasts three statements.
 */
export async function beginConsistentRead(runner: MysqlQueryRunner, server: { isMariaDb: boolean; gtids: boolean }): Promise<ConsistentPoint> {
  await runner.query('SET SESSION TRANSACTION ISOLATION LEVEL REPEATABLE READ', []);
  if (server.isMariaDb) {
    await runner.query('START TRANSACTION WITH CONSISTENT SNAPSHOT, READ ONLY', []);
    const status = new Map((await runner.query("SHOW SESSION STATUS LIKE 'binlog_snapshot_%'", [])).map((row) => [String(row.Variable_name).toLowerCase(), String(row.Value)]));
    const file = status.get('binlog_snapshot_file');
    const offset = Number(status.get('binlog_snapshot_position'));
    if (!file || !Number.isSafeInteger(offset)) throw new ConfigError('MariaDB reports no binlog_snapshot_file/position: enable log_bin');
    if (!server.gtids) return { stream: { kind: 'file', file, offset, published: 0 }, how: `consistent snapshot at ${file}:${offset}` };
    const [row] = await runner.query('SELECT BINLOG_GTID_POS(?, ?) AS gtid', [file, offset]);
    const gtid = row?.gtid;
    if (typeof gtid !== 'string') throw new ConfigError(`MariaDB cannot name the GTID position of ${file}:${offset} (BINLOG_GTID_POS returned NULL): is the binlog file still there?`);
    return { stream: { kind: 'gtid', executed: gtid.replace(/\s+/g, '') }, how: `consistent snapshot at ${file}:${offset} (gtid ${gtid})` };
  }
  await runner.query('FLUSH TABLES WITH READ LOCK', []);
  try {
    await runner.query('START TRANSACTION WITH CONSISTENT SNAPSHOT, READ ONLY', []);
    const { file, offset, executedGtidSet: executed } = await masterStatus(runner);
    if (server.gtids) {
      return { stream: { kind: 'gtid', executed }, how: `consistent snapshot under a brief global read lock at ${file}:${offset} (gtid ${executed})` };
    }
    return { stream: { kind: 'file', file, offset, published: 0 }, how: `consistent snapshot under a brief global read lock at ${file}:${offset}` };
  } finally {
    await runner.query('UNLOCK TABLES', []);
  }
}
