import type { PositionOrder } from '../../src/replay/replay-target.js';
import { parseGtid } from './gtid-set.js';
import { type MysqlPosition, decodeMysqlPosition } from './mysql-position.js';

/**
 * MySQL/MariaDB positions in binlog order, for `replay --until`. A change's position names its transaction
 * and how many of its changes precede it (k ≥ 1); a complete position covers whole transactions, so it sorts
 * after every change of the transactions it covers. GTID positions are ordered by sequence number (MariaDB)
 * or transaction number (MySQL), which is the binlog order for a single replication domain / source server;
 * file positions by file name, offset and change.
 */
type Rank = [string, bigint, bigint, number];

const COMPLETE = Number.MAX_SAFE_INTEGER;

/** Highest transaction number a GTID state holds (`0-1-42,1-3-7` → 42; `uuid:1-42:50` → 50). */
function highest(executed: string): bigint {
  let max = 0n;
  // The last number of each entry is its highest (MariaDB: the sequence; MySQL: intervals ascend).
  for (const entry of executed.split(',')) {
    const last = /(\d+)\s*$/.exec(entry)?.[1];
    if (last !== undefined && BigInt(last) > max) max = BigInt(last);
  }
  return max;
}

function rank(p: MysqlPosition): Rank {
  if (p.kind === 'file') {
    // complete up to offset: before the transaction starting there
    return [p.file, BigInt(p.offset), 0n, p.published];
  }
  if (!p.inTransaction) return ['', highest(p.executed), 0n, COMPLETE];
  const gtid = parseGtid(p.inTransaction.gtid);
  return ['', gtid.flavour === 'mariadb' ? gtid.seq : gtid.gno, 0n, p.inTransaction.published];
}

export const mysqlPositionOrder: PositionOrder = {
  example: 'my1:gtid=0-1-42 or my1:gtid=0-1-41;in=0-1-42#3',
  parse: (token) => decodeMysqlPosition(token),
  compare(a, b) {
    const ra = rank(a as MysqlPosition);
    const rb = rank(b as MysqlPosition);
    if (ra[0] !== rb[0]) return ra[0] < rb[0] ? -1 : 1;
    if (ra[1] !== rb[1]) return ra[1] < rb[1] ? -1 : 1;
    return ra[3] - rb[3];
  },
};
