import { type Lsn } from './lsn.js';
import { type PgPosition, coveredBelow } from './pg-position.js';

/**
 * What a resume position says was already published, so nothing is handed over twice: PostgreSQL resends
 * whole transactions after a restart (the slot's confirmed position only moves on release, and a
 * checkpoint may sit inside a transaction).
 */
export class ResumeFilter {
  constructor(private readonly from: PgPosition | null) {}

  /** How many leading changes of the transaction committing at `commitLsn` to skip; Infinity: all of it. */
  changesToSkip(commitLsn: Lsn): number {
    const from = this.from;
    if (!from) return 0;
    if (from.kind === 'complete') return commitLsn < from.lsn ? Infinity : 0;
    if (commitLsn < from.commitLsn) return Infinity;
    return commitLsn === from.commitLsn ? from.changes : 0;
  }

  /** A message outside any transaction, at `lsn`, was published before the position was taken. */
  covers(lsn: Lsn): boolean {
    return this.from !== null && lsn < coveredBelow(this.from);
  }

  /** Heartbeats at or below this would not move past the resume position. */
  get floor(): Lsn | null {
    return this.from && coveredBelow(this.from);
  }
}
