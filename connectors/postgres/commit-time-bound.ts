import type { Lsn } from './lsn.js';
import type { ClockProbe, RunningTransaction } from './source-clock.js';

/**
 * A source time T that bounds every commit the stream has not handed over yet (an idle or busy source's watermark).
 *
 * PostgreSQL stamps a commit's time before it writes the commit record, and a loaded server can hold a backend between
 * the two for milliseconds: commit times in WAL order go back and forth, so neither a commit's time nor the clock at a
 * WAL position bounds what comes later. A probe's clock T does once (1) every transaction running when the probe
 * looked (after reading T) has finished or is provably not committing — idle in its transaction block, or in a
 * statement that started after T — as a later probe sees, and (2) the stream passed the WAL insert position of the
 * probe that saw that: every commit stamped at or before T lies below it.
 */
export class CommitTimeBound {
  private pending: ClockProbe | null = null;
  private waitingFor = new Set<string>();
  /** Where the stream must be for the pending probe's time to hold; null: not yet known. */
  private sealedAt: Lsn | null = null;

  /** Whether another probe is of use now: none pending, or the pending one still waits for running transactions. */
  get wantsProbe(): boolean {
    return this.pending === null || this.sealedAt === null;
  }

  add(probe: ClockProbe): void {
    if (this.pending === null) {
      this.pending = probe;
      this.waitingFor = new Set([...probe.running].filter(([, t]) => mayHaveCommittedBy(t, probe.timeMicros)).map(([xid]) => xid));
    } else if (this.sealedAt === null) {
      const since = this.pending.timeMicros;
      for (const xid of this.waitingFor) {
        const now = probe.running.get(xid);
        if (now === undefined || !mayHaveCommittedBy(now, since)) this.waitingFor.delete(xid);
      }
    } else return;
    if (this.waitingFor.size === 0) this.sealedAt = probe.insertLsn;
  }

  /** The bound, once the stream has reached `reached` (a position below which every commit is handed over); then a new one starts. */
  take(reached: Lsn): bigint | undefined {
    if (this.pending === null || this.sealedAt === null || reached < this.sealedAt) return undefined;
    const time = this.pending.timeMicros;
    this.pending = null;
    this.sealedAt = null;
    this.waitingFor.clear();
    return time;
  }
}

/** Whether a transaction seen running may have stamped its commit time at or before `micros`. */
function mayHaveCommittedBy(t: RunningTransaction, micros: bigint): boolean {
  if (t.idleInTransaction) return false;
  return t.statementStartMicros === null || t.statementStartMicros <= micros;
}
