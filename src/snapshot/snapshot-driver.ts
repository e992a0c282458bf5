import type { Logger } from '../logger.js';
import type { SourcePosition } from '../model/change-event.js';
import { tableIdText } from '../model/table-schema.js';
import type { PipelineMetrics } from '../pipeline/pipeline-metrics.js';
import type { PrepareTables } from '../pipeline/pipeline.js';
import type { SourceHandler } from '../source/source-connector.js';
import type { SnapshotChunk, SourceSnapshot } from '../source/snapshot-source.js';
import { ChunkPrefetch } from './chunk-prefetch.js';

export interface SnapshotDriverOptions {
  log: Logger;
  /** Bytes one chunk may read ahead of its turn (default 16 MiB). */
  readAheadBytes?: number;
  /** A progress line per table at least this often while it is read (default 10 s). */
  progressIntervalMs?: number;
  metrics?: Pick<PipelineMetrics, 'snapshotRows'> | undefined;
  /** Prepares the snapshot's next tables (SourceSnapshot.tables) in batches before their first chunk, the first with every later table as upcoming. */
  prepareTables?: PrepareTables | undefined;
}

/** Tables prepared at once (topics created, schemas published): few round trips, and not every table's codecs at once. */
const TABLES_PREPARED_AT_ONCE = 500;

/**
 * Publishes a snapshot through the pipeline's handler: every chunk's rows as `op = r` events (snapshot flag
 * set) in chunk order, each chunk closed by a commit at its `done` position, so the pipeline checkpoints
 * per chunk; up to `snapshot.parallelism` chunks are read ahead meanwhile. A row's position is the position
 * before its chunk: a checkpoint taken inside a chunk resumes at that chunk's start. A table without a key
 * starts with a truncate marker (op `t`, snapshot flag set).
 *
 * Returns where streaming continues, or null when `signal` aborted first.
 */
export async function publishSnapshot(snapshot: SourceSnapshot, handler: SourceHandler, options: SnapshotDriverOptions, signal: AbortSignal): Promise<SourcePosition | null> {
  const { log } = options;
  const readAhead = options.readAheadBytes ?? 16 * 1024 * 1024;
  const interval = options.progressIntervalMs ?? 10_000;
  const reading = new AbortController();
  const readSignal = AbortSignal.any([signal, reading.signal]);
  const window: ChunkPrefetch[] = [];
  let planned = false;
  const progress = new TableProgress(log, interval);
  // Taken out batch by batch (SourceSnapshot.tables): a table read is no longer referenced from here.
  const upcoming = options.prepareTables ? snapshot.tables ?? [] : [];
  /** Tables prepared and not reached yet. */
  let preparedAhead = 0;
  let first = true;
  let lastTable: SnapshotChunk['table'] | undefined;

  const fill = async (): Promise<void> => {
    while (!planned && window.length < snapshot.parallelism && !readSignal.aborted) {
      const chunk: SnapshotChunk | null = await snapshot.nextChunk();
      if (chunk === null) planned = true;
      else window.push(new ChunkPrefetch(chunk, readAhead, readSignal));
    }
  };

  log.info({ start: snapshot.start.display, streamFrom: snapshot.streamFrom.display, parallelism: snapshot.parallelism, consistency: snapshot.consistency }, 'snapshot started');
  // Checkpointed at once on a first start: the stream start point is known from here on.
  await handler.onHeartbeat(snapshot.start);
  let before = snapshot.start;
  try {
    await fill();
    while (window.length > 0 && !signal.aborted) {
      const current = window[0]!;
      const { chunk } = current;
      progress.table(chunk);
      if (chunk.table !== lastTable) {
        lastTable = chunk.table;
        if (preparedAhead === 0 && upcoming.length > 0) {
          const batch = upcoming.splice(0, TABLES_PREPARED_AT_ONCE);
          // The first batch announces the rest: their topics are created while the tables before them are read.
          await options.prepareTables!(batch, first ? [...upcoming] : []);
          first = false;
          preparedAhead = batch.length;
        }
        if (preparedAhead > 0) preparedAhead--;
      }
      log.debug({ chunk: chunk.display }, 'snapshot chunk');
      // A table without a key is one chunk, and its topic a change log that nothing folds: a truncate marker
      // first makes this read replace what an interrupted (or earlier) snapshot published of it.
      if (chunk.table.key.length === 0) await handler.onChange({ table: chunk.table, op: 't', position: before, snapshot: true });
      for await (const page of current.pages()) {
        for (const row of page.rows) {
          await handler.onChange({ table: chunk.table, op: 'r', after: row, position: before, snapshot: true });
        }
        progress.rows(page.rows.length);
        options.metrics?.snapshotRows?.(tableIdText(chunk.table.id), page.rows.length);
        if (signal.aborted) break;
      }
      if (signal.aborted) break;
      window.shift();
      await handler.onCommit(chunk.done, {});
      before = chunk.done;
      progress.chunkDone();
      await fill();
    }
  } finally {
    reading.abort();
    await Promise.all(window.map((w) => w.stop()));
  }
  if (signal.aborted) return null;
  progress.finish();
  await handler.onCommit(snapshot.streamFrom, {});
  log.info({ streamFrom: snapshot.streamFrom.display, tables: progress.tables, rows: progress.totalRows }, 'snapshot finished');
  return snapshot.streamFrom;
}

/** Structured progress lines: per table when it is finished, and every `interval` while it is read. */
class TableProgress {
  private current: string | undefined;
  private rowsOfTable = 0;
  private chunksOfTable = 0;
  private startedAt = 0;
  private loggedAt = 0;
  tables = 0;
  totalRows = 0;

  constructor(private readonly log: Logger, private readonly interval: number) {}

  table(chunk: SnapshotChunk): void {
    const name = tableIdText(chunk.table.id);
    if (name === this.current) return;
    this.finish();
    this.current = name;
    this.rowsOfTable = 0;
    this.chunksOfTable = 0;
    this.startedAt = this.loggedAt = Date.now();
  }

  rows(count: number): void {
    this.rowsOfTable += count;
    this.totalRows += count;
    if (Date.now() - this.loggedAt >= this.interval) {
      this.loggedAt = Date.now();
      this.log.info({ table: this.current, rows: this.rowsOfTable, chunks: this.chunksOfTable, rowsPerSecond: this.rate() }, 'snapshot progress');
    }
  }

  chunkDone(): void {
    this.chunksOfTable++;
  }

  finish(): void {
    if (this.current === undefined) return;
    this.tables++;
    this.log.info({ table: this.current, rows: this.rowsOfTable, chunks: this.chunksOfTable, rowsPerSecond: this.rate() }, 'snapshot of table finished');
    this.current = undefined;
  }

  private rate(): number {
    const seconds = (Date.now() - this.startedAt) / 1000;
    return seconds > 0 ? Math.round(this.rowsOfTable / seconds) : this.rowsOfTable;
  }
}
