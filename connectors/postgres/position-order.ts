import type { PositionOrder } from '../../src/replay/replay-target.js';
import { type PgPosition, parsePosition } from './pg-position.js';

/**
 * PostgreSQL positions in log order, for `replay --until`. A change's position is partial (commit C, k-th
 * change); a complete position L covers the transactions committed below L, so it sorts as (L, 0): before
 * every change of a transaction committing at L, after every change of earlier ones.
 */
const rank = (p: PgPosition): [bigint, number] => (p.kind === 'complete' ? [p.lsn, 0] : [p.commitLsn, p.changes]);

export const pgPositionOrder: PositionOrder = {
  example: 'pg1:0/16B3748 or pg1:0/16B3748#2',
  parse: (token) => parsePosition(token),
  compare(a, b) {
    const [la, ka] = rank(a as PgPosition);
    const [lb, kb] = rank(b as PgPosition);
    return la < lb ? -1 : la > lb ? 1 : ka - kb;
  },
};
