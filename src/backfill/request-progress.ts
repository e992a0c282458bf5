import cliProgress from 'cli-progress';
import type { Logger } from '../logger.js';
import type { TableId } from '../model/table-schema.js';
import { tableIdText } from '../model/table-schema.js';
import type { BackfillState } from './backfill-state.js';

/** How far one `logtap snapshot` request got, as seen in the daemon's last checkpoint. */
export interface RequestStatus {
  /** waiting: no checkpoint names the request yet; running: some of its tables are queued; done. */
  phase: 'waiting' | 'running' | 'done';
  /** The table being read, when it is one of this request's. */
  table: string | null;
  /** Rows published of the request's tables still queued (finished tables add what was last seen of them). */
  rows: number;
}

/** Reads a request's status from a checkpointed state; `seen` keeps the last row count of each table across calls. */
export function requestStatus(state: BackfillState, request: string, seen: Map<string, number>): RequestStatus {
  if (state.completed.includes(request)) return { phase: 'done', table: null, rows: sum(seen) };
  const mine = state.queue.filter((q) => q.request === request);
  if (mine.length === 0) return { phase: 'waiting', table: null, rows: 0 };
  for (const q of mine) seen.set(tableIdText(q.table), q.rows);
  const head = state.queue[0]!;
  return { phase: 'running', table: head.request === request ? tableIdText(head.table) : null, rows: sum(seen) };
}

const sum = (m: Map<string, number>): number => [...m.values()].reduce((a, b) => a + b, 0);

/** Shows a request's progress: a bar on a terminal (rows, rows/s, ETA), structured log lines otherwise. */
export interface RequestDisplay {
  update(status: RequestStatus): void;
  stop(): void;
}

export function barDisplay(tables: readonly TableId[], estimatedRows: number): RequestDisplay {
  const bar = new cliProgress.SingleBar({
    stream: process.stderr,
    format: 'backfill {tables} |{bar}| {value}/{total} rows | {rate} rows/s | ETA {eta_formatted}',
    hideCursor: true,
    etaBuffer: 20,
  }, cliProgress.Presets.shades_classic);
  const started = Date.now();
  const names = tables.map(tableIdText).join(', ');
  bar.start(Math.max(estimatedRows, 1), 0, { tables: names, rate: 0 });
  return {
    update(status) {
      const seconds = (Date.now() - started) / 1000;
      if (status.rows > bar.getTotal()) bar.setTotal(status.rows);
      if (status.phase === 'done') bar.setTotal(Math.max(status.rows, 1));
      bar.update(status.rows, { tables: status.table ?? names, rate: seconds > 0 ? Math.round(status.rows / seconds) : 0 });
    },
    stop() {
      bar.stop();
    },
  };
}

export function logDisplay(log: Logger, estimatedRows: number, everyMs = 10_000): RequestDisplay {
  const started = Date.now();
  let lastLog = 0;
  let lastPhase = '';
  return {
    update(status) {
      if (status.phase === lastPhase && Date.now() - lastLog < everyMs) return;
      lastLog = Date.now();
      lastPhase = status.phase;
      const seconds = (Date.now() - started) / 1000;
      const rate = seconds > 0 ? Math.round(status.rows / seconds) : 0;
      const eta = rate > 0 && estimatedRows > status.rows ? Math.round((estimatedRows - status.rows) / rate) : null;
      log.info({ phase: status.phase, table: status.table, rows: status.rows, estimatedRows, rowsPerSecond: rate, etaSeconds: eta }, 'backfill progress');
    },
    stop() {},
  };
}
