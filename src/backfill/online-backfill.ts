import { randomUUID } from 'node:crypto';
import type { Logger } from '../logger.js';
import type { ChangeEvent, SourcePosition } from '../model/change-event.js';
import { type TableId, tableIdText } from '../model/table-schema.js';
import type { OutboxMessage, SourceHandler } from '../source/source-connector.js';
import type { BackfillSession, BackfillSource, BackfillTable } from './backfill-source.js';
import { type BackfillState, chunkPublished, decodeBackfillState, encodeBackfillState, enqueue, skipHead } from './backfill-state.js';
import { BackfillProgress } from './backfill-progress.js';
import { ChunkWindow } from './chunk-window.js';
import { SIGNAL, parseExecuteSnapshotData } from './signal-types.js';

export interface OnlineBackfillOptions {
  source: BackfillSource;
  /** Config `name`: requests for another connector are left alone. */
  connector: string;
  /** The backfill state of the checkpoint this run starts from (Checkpoint.snapshot). */
  checkpointed: string | null;
  chunkRows: number;
  log: Logger;
  /** A progress line at least this often while a table is read (default 10 s). */
  progressIntervalMs?: number;
  metrics?: { snapshotRows?(table: string, rows: number): void } | undefined;
}

/** A window open this long without its high watermark in the stream is reported. */
const STALL_WARNING_MS = 60_000;

const sameTable = (a: TableId, b: TableId): boolean => a.namespace === b.namespace && a.name === b.name;

/**
 * Online backfills while the stream runs (docs/backfill.md), installed between the source and the pipeline.
 * It takes the signal table's changes out of the stream, queues the tables an `execute-snapshot` signal
 * names, and reads them chunk by chunk in DBLog windows (chunk-window.ts): write a low watermark, read the
 * chunk, write a high watermark — all while the stream is held at one point, so no change can be missed —
 * then, when the stream reaches the high watermark, publish the chunk's rows whose keys did not change in
 * between as `op = r` events at that point of the stream. Its state (the queue, the last key published)
 * goes into every checkpoint, so a restart continues from the last published chunk.
 */
export class OnlineBackfill {
  private state: BackfillState;
  private window: ChunkWindow | null = null;
  private session: BackfillSession | null = null;
  private readonly tables = new Map<string, BackfillTable | { problem: string }>();
  private rereadAfterFailure = false;
  /** When the open window's high watermark was written (or last warned about). */
  private windowSince = 0;
  private readonly progress: BackfillProgress;
  private readonly log: Logger;

  constructor(private readonly options: OnlineBackfillOptions) {
    this.log = options.log;
    this.state = decodeBackfillState(options.checkpointed);
    this.progress = new BackfillProgress(this.log, options.progressIntervalMs ?? 10_000);
    if (this.state.queue.length > 0) {
      const [head] = this.state.queue;
      this.log.info({ tables: this.state.queue.map((q) => tableIdText(q.table)), resumeAfter: head!.after, rows: head!.rows }, 'backfill resumes from the checkpoint');
    }
  }

  /** The state for the checkpoint being cut now. */
  checkpointState(): string | null {
    return encodeBackfillState(this.state);
  }

  /** The handler the source calls: during the initial snapshot it only hides the signal table. */
  wrap(downstream: SourceHandler, phase: 'snapshot' | 'stream'): SourceHandler {
    const signalTable = this.options.source.signalTable;
    if (phase === 'snapshot') {
      return {
        onChange: (event) => (sameTable(event.table.id, signalTable) ? undefined : downstream.onChange(event)),
        onCommit: (position, info) => downstream.onCommit(position, info),
        onHeartbeat: (position) => downstream.onHeartbeat(position),
        ...(downstream.onMessage ? { onMessage: (m: OutboxMessage) => downstream.onMessage!(m) } : {}),
      };
    }
    return {
      onChange: async (event) => {
        if (sameTable(event.table.id, signalTable)) {
          await this.onSignal(event, downstream);
        } else {
          this.window?.observe(event);
          await downstream.onChange(event);
        }
        await this.startWindow();
      },
      onCommit: async (position: SourcePosition, info) => {
        await downstream.onCommit(position, info);
        await this.startWindow();
      },
      onHeartbeat: async (position) => {
        await downstream.onHeartbeat(position);
        await this.startWindow();
      },
      ...(downstream.onMessage ? { onMessage: (m: OutboxMessage) => downstream.onMessage!(m) } : {}),
    };
  }

  async close(): Promise<void> {
    await this.session?.close().catch(() => {});
    this.session = null;
  }

  private async onSignal(event: ChangeEvent, downstream: SourceHandler): Promise<void> {
    // Only inserted rows are signals; the backfill's own clean-up deletes and anything else are ignored.
    if (event.op !== 'c' || !event.after) return;
    const { id, type, data } = event.after as { id: unknown; type: unknown; data: unknown };
    const window = this.window;
    if (type === SIGNAL.windowOpen) {
      if (window && id === window.openId) window.open();
    } else if (type === SIGNAL.windowClose) {
      if (window && id === window.closeId && window.isOpen) await this.closeWindow(window, event, downstream);
    } else if (type === SIGNAL.executeSnapshot) {
      this.request(String(id), data);
    } else {
      this.log.warn({ id, type }, 'signal of an unknown type ignored');
    }
  }

  private request(id: string, data: unknown): void {
    let request;
    try {
      request = parseExecuteSnapshotData(data);
    } catch (err) {
      this.log.warn({ id, problem: (err as Error).message }, 'execute-snapshot signal ignored: expected data {"data-collections": ["namespace.table", …]}');
      return;
    }
    if (request.connector !== null && request.connector !== this.options.connector) return;
    this.state = enqueue(this.state, id, request.tables);
    this.log.info({ request: id, tables: request.tables.map(tableIdText), queued: this.state.queue.map((q) => tableIdText(q.table)) }, 'backfill requested');
  }

  /** The high watermark: the chunk's rows that did not change in the window go out here, in key order. */
  private async closeWindow(window: ChunkWindow, event: ChangeEvent, downstream: SourceHandler): Promise<void> {
    const rows = window.publishable();
    const at = { position: event.position, ...(event.txId !== undefined ? { txId: event.txId } : {}), ...(event.commitTimeMicros !== undefined ? { commitTimeMicros: event.commitTimeMicros } : {}) };
    for (const row of rows) await downstream.onChange({ table: window.schema, op: 'r', after: row, snapshot: true, ...at });
    this.window = null;
    this.chunkDone(window.upTo, rows.length);
    this.log.debug({ table: tableIdText(window.schema.id), rows: rows.length, changedInWindow: window.changedKeys, upTo: window.upTo }, 'backfill chunk published');
  }

  private chunkDone(upTo: string[] | null, rows: number): void {
    const head = this.state.queue[0]!;
    const name = tableIdText(head.table);
    this.state = chunkPublished(this.state, upTo, rows);
    this.options.metrics?.snapshotRows?.(name, rows);
    const table = this.tables.get(name);
    this.progress.rows(name, rows, head.rows + rows, table && 'schema' in table ? table.estimatedRows : null);
    if (upTo === null) {
      this.progress.finished(name, head.rows + rows);
      this.tables.delete(name);
      if (this.state.queue.length === 0) this.log.info({ completed: this.state.completed.at(-1) }, 'backfill finished');
    }
  }

  /**
   * Opens the next window when a backfill is queued and none is open: low watermark, chunk read, high
   * watermark, each committed before the next. The stream waits meanwhile (this runs inside a handler call),
   * so both watermarks arrive later and every change between them is seen.
   */
  private async startWindow(): Promise<void> {
    this.warnIfStalled();
    while (this.window === null && this.state.queue.length > 0) {
      const head = this.state.queue[0]!;
      const table = await this.table(head.table);
      if ('problem' in table) {
        this.log.warn({ table: tableIdText(head.table), problem: table.problem }, 'table cannot be backfilled: skipped');
        this.state = skipHead(this.state);
        this.tables.delete(tableIdText(head.table));
        continue;
      }
      const session = this.session!;
      const window = new ChunkWindow(randomUUID(), table.schema);
      const data = JSON.stringify({ table: tableIdText(head.table), after: head.after });
      await session.writeWatermark({ id: window.openId, type: SIGNAL.windowOpen, data }, [SIGNAL.windowOpen, SIGNAL.windowClose]);
      let chunk;
      try {
        chunk = await table.readChunk(head.after, this.options.chunkRows);
        this.rereadAfterFailure = false;
      } catch (err) {
        // A table altered since it was described (a dropped column) fails the read: describe it again, once.
        if (this.rereadAfterFailure) throw err;
        this.rereadAfterFailure = true;
        this.tables.delete(tableIdText(head.table));
        this.log.warn({ table: tableIdText(head.table), err: (err as Error).message }, 'backfill chunk read failed: reading the table description again');
        continue;
      }
      if (chunk.rows.length === 0) {
        // Nothing to publish: no high watermark needed (the low one is ignored when it comes by).
        this.chunkDone(chunk.upTo, 0);
        continue;
      }
      window.setChunk(chunk.rows, chunk.upTo);
      this.window = window;
      this.windowSince = Date.now();
      await session.writeWatermark({ id: window.closeId, type: SIGNAL.windowClose, data }, []);
    }
  }

  /** A high watermark that never comes (the signal table no longer captured) would stop the backfill silently. */
  private warnIfStalled(): void {
    if (this.window === null || Date.now() - this.windowSince < STALL_WARNING_MS) return;
    this.windowSince = Date.now();
    this.log.warn({ table: tableIdText(this.window.schema.id), window: this.window.id, signalTable: tableIdText(this.options.source.signalTable) },
      'backfill window still waits for its high watermark in the stream: is the signal table captured (publication / source.tables)?');
  }

  private async table(id: TableId): Promise<BackfillTable | { problem: string }> {
    const name = tableIdText(id);
    let table = this.tables.get(name);
    if (!table) {
      this.session ??= await this.options.source.open();
      table = await this.session.table(id);
      this.tables.set(name, table);
    }
    return table;
  }
}
