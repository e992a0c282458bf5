import { randomUUID } from 'node:crypto';
import type { Logger } from '../logger.js';
import type { ChangeEvent, SourcePosition } from '../model/change-event.js';
import { type TableId, tableIdText } from '../model/table-schema.js';
import type { OutboxMessage, SourceHandler } from '../source/source-connector.js';
import type { SchemaChange } from '../schema-changes/schema-change.js';
import { type BackfillSession, type BackfillSource, type BackfillTable, BackfillUnavailableError, type Watermark } from './backfill-source.js';
import { type BackfillState, chunkPublished, decodeBackfillState, encodeBackfillState, enqueue, enqueueAgain, skipHead } from './backfill-state.js';
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

const sameTable = (a: TableId, b: TableId | undefined): boolean => b !== undefined && a.namespace === b.namespace && a.name === b.name;

/** Where a watermark sits in the stream: the point its window's rows are published at. */
type StreamPoint = Pick<Watermark, 'position' | 'txId' | 'commitTimeMicros'>;

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

  /**
   * Queues `table` for a whole new pass, asked for by the daemon itself (a DDL rewrote its rows:
   * src/schema-changes/); `request` names it in the checkpointed state.
   */
  requestAgain(table: TableId, request: string): void {
    this.state = enqueueAgain(this.state, request, table);
    // Its description (columns, types) changed: read it again for the new pass.
    this.tables.delete(tableIdText(table));
    this.log.info({ request, table: tableIdText(table), queued: this.state.queue.map((q) => tableIdText(q.table)) }, 'backfill requested');
  }

  /** The handler the source calls: during the initial snapshot it only hides the signal table. */
  wrap(downstream: SourceHandler, phase: 'snapshot' | 'stream'): SourceHandler {
    const signalTable = this.options.source.signalTable;
    const schemaChanges = downstream.onSchemaChange ? { onSchemaChange: (c: SchemaChange) => downstream.onSchemaChange!(c) } : {};
    if (phase === 'snapshot') {
      return {
        onChange: (event) => (sameTable(event.table.id, signalTable) ? undefined : downstream.onChange(event)),
        onCommit: (position, info) => downstream.onCommit(position, info),
        onHeartbeat: (position, info) => downstream.onHeartbeat(position, info),
        ...(downstream.onMessage ? { onMessage: (m: OutboxMessage) => downstream.onMessage!(m) } : {}),
        ...schemaChanges,
      };
    }
    return {
      onChange: (event) => {
        if (sameTable(event.table.id, signalTable)) return this.signalRow(event, downstream);
        this.window?.observe(event);
        return this.thenStartWindow(downstream.onChange(event));
      },
      onCommit: (position: SourcePosition, info) => this.thenStartWindow(downstream.onCommit(position, info)),
      onHeartbeat: (position, info) => this.thenStartWindow(downstream.onHeartbeat(position, info)),
      ...(downstream.onMessage ? { onMessage: (m: OutboxMessage) => downstream.onMessage!(m) } : {}),
      onSchemaChange: async (change) => {
        await downstream.onSchemaChange?.(change);
        await this.startWindow();
      },
      onWatermark: async (mark) => {
        await this.onSignal(mark, mark, downstream);
        await this.startWindow();
      },
    };
  }

  private async signalRow(event: ChangeEvent, downstream: SourceHandler): Promise<void> {
    if (event.op === 'c' && event.after) await this.onSignal(event.after, event, downstream);
    await this.startWindow();
  }

  /** startWindow once `pending` is done; without a promise turn when nothing waits and no window is to start (live streaming). */
  private thenStartWindow(pending: Promise<void> | void): Promise<void> | void {
    if (pending) return pending.then(() => this.startWindow());
    if (this.window === null && this.state.queue.length > 0) return this.startWindow();
    this.warnIfStalled();
  }

  async close(): Promise<void> {
    await this.session?.close().catch(() => {});
    this.session = null;
  }

  /** An inserted signal row (the backfill's own clean-up deletes are no signals) or a watermark message. */
  private async onSignal(signal: { id?: unknown; type?: unknown; data?: unknown }, at: StreamPoint, downstream: SourceHandler): Promise<void> {
    const { id, type, data } = signal;
    const window = this.window;
    if (type === SIGNAL.windowOpen) {
      if (window && id === window.openId) window.open();
    } else if (type === SIGNAL.windowClose) {
      if (window && id === window.closeId && window.isOpen) await this.closeWindow(window, at, downstream);
    } else if (type === SIGNAL.executeSnapshot) {
      if (this.options.source.takesRequests) this.request(String(id), data);
      else this.log.warn({ id }, 'execute-snapshot signal ignored: online backfills on request are off (signal.enabled)');
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
  private async closeWindow(window: ChunkWindow, point: StreamPoint, downstream: SourceHandler): Promise<void> {
    const rows = window.publishable();
    const at = { position: point.position, ...(point.txId !== undefined ? { txId: point.txId } : {}), ...(point.commitTimeMicros !== undefined ? { commitTimeMicros: point.commitTimeMicros } : {}) };
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
      let table;
      try {
        table = await this.table(head.table);
      } catch (err) {
        if (!(err instanceof BackfillUnavailableError)) throw err;
        this.dropQueue(err.message);
        return;
      }
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

  /** The source cannot carry watermarks (no signal table, none can be created): every queued table is dropped, loudly. */
  private dropQueue(problem: string): void {
    for (const queued of this.state.queue) {
      this.log.error({ table: tableIdText(queued.table), request: queued.request, problem }, 'table cannot be backfilled: the source has no watermark channel; dropped');
    }
    while (this.state.queue.length > 0) this.state = skipHead(this.state);
    this.tables.clear();
  }

  /** A high watermark that never comes (the signal table no longer captured) would stop the backfill silently. */
  private warnIfStalled(): void {
    if (this.window === null || Date.now() - this.windowSince < STALL_WARNING_MS) return;
    this.windowSince = Date.now();
    const signalTable = this.options.source.signalTable;
    this.log.warn({ table: tableIdText(this.window.schema.id), window: this.window.id, signalTable: signalTable ? tableIdText(signalTable) : null, watermarks: this.options.source.watermarks },
      signalTable
        ? 'backfill window still waits for its high watermark in the stream: is the signal table captured (publication / source.tables)?'
        : 'backfill window still waits for its high watermark in the stream (a logical message)');
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
