import type { Logger } from '../logger.js';

/** Structured progress lines of the daemon's backfill: every `intervalMs` while a table is read, and per table. */
export class BackfillProgress {
  private table: string | undefined;
  private startedAt = 0;
  private loggedAt = 0;
  private rowsThisRun = 0;

  constructor(private readonly log: Logger, private readonly intervalMs: number) {}

  /** Rows of `table` published; `total` counts those of earlier runs too (from the checkpoint). */
  rows(table: string, added: number, total: number, estimated: number | null): void {
    if (table !== this.table) {
      this.table = table;
      this.startedAt = this.loggedAt = Date.now();
      this.rowsThisRun = 0;
    }
    this.rowsThisRun += added;
    if (Date.now() - this.loggedAt < this.intervalMs) return;
    this.loggedAt = Date.now();
    const rate = this.rate();
    const left = estimated !== null && rate > 0 ? Math.max(0, Math.round((estimated - total) / rate)) : null;
    this.log.info({ table, rows: total, estimatedRows: estimated, rowsPerSecond: rate, etaSeconds: left }, 'backfill progress');
  }

  finished(table: string, total: number): void {
    const rate = table === this.table ? this.rate() : null;
    this.log.info({ table, rows: total, rowsPerSecond: rate }, 'backfill of table finished');
    this.table = undefined;
  }

  private rate(): number {
    const seconds = (Date.now() - this.startedAt) / 1000;
    return seconds > 0 ? Math.round(this.rowsThisRun / seconds) : this.rowsThisRun;
  }
}
