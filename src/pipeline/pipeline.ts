import type { ChangeEvent, SourcePosition } from '../model/change-event.js';
import type { TableSchema } from '../model/table-schema.js';
import type { Logger } from '../logger.js';
import type { CommitInfo, HeartbeatInfo, OutboxMessage, SourceConnector, SourceHandler } from '../source/source-connector.js';
import type { EventEncoder, PublishSchema } from '../events/event-encoder.js';
import type { SchemaEntry } from '../schema/schema-catalog.js';
import type { KafkaRecord } from '../events/kafka-record.js';
import type { ChangeSink } from '../kafka/change-sink.js';
import type { Checkpoint } from './checkpoint.js';
import { type PipelineMetrics, noMetrics } from './pipeline-metrics.js';
import type { CapturedOutboxRow, OutboxTables } from '../outbox/outbox-table.js';
import type { ContractPoint, EventContract } from './event-contract.js';
import { type EncodePool, PendingRecords } from '../encoding/encode-pool.js';

export interface BatchLimits {
  /** Flush when this many records wait (also inside a source transaction: bounded memory). */
  maxRecords: number;
  /** Flush when the waiting records hold this many bytes. */
  maxBytes: number;
  /** Flush at the latest this long after the first waiting record. */
  maxDelayMs: number;
}

export interface PipelineOptions {
  name: string;
  source: SourceConnector;
  encoder: EventEncoder;
  /** Encoding worker threads (config `workers`); absent: every change is encoded on this thread. */
  encodePool?: EncodePool;
  sink: ChangeSink;
  publishSchema: PublishSchema;
  /** Makes sure a table's topic exists before its first record; returns its partition count. */
  ensureTableTopic: (table: TableSchema) => Promise<number>;
  /**
   * ensureTableTopic for many tables at once (a snapshot's tables), in their order; absent: one by one. The topics
   * of `upcoming` (tables prepared later) may be started meanwhile, without waiting for them.
   */
  ensureTableTopics?: (tables: readonly TableSchema[], upcoming?: readonly TableSchema[]) => Promise<number[]>;
  /** publishSchema for many schemas at once; absent: one by one. */
  publishSchemas?: (entries: SchemaEntry[]) => Promise<void>;
  /** Makes sure an outbox message's topic exists before its first record. */
  ensureOutboxTopic: (topic: string) => Promise<unknown>;
  /** Outbox tables (config outbox.tables): their inserted rows become outbox records instead of table records. */
  outboxTables?: OutboxTables;
  /** Told of the outbox rows a committed checkpoint covers that are to be deleted from the source (deleteAfterCapture). */
  onOutboxCommitted?: (rows: CapturedOutboxRow[]) => void;
  /** The record that stores a checkpoint (CheckpointStore.record). */
  checkpointRecord: (checkpoint: Checkpoint) => KafkaRecord;
  /** Where the last run stopped, or null on a first start. */
  from: SourcePosition | null;
  /**
   * Runs before streaming (an initial snapshot, src/snapshot/): hands its rows to the pipeline and returns
   * where streaming continues, or null when aborted. Absent: streaming starts at `from`.
   */
  beforeStream?: (handler: SourceHandler, signal: AbortSignal, prepareTables: PrepareTables) => Promise<SourcePosition | null>;
  /** Called once the source streams (after the snapshot, when there is one; once it fixed its start), with where it starts. */
  onStreaming?: (from: SourcePosition | null) => void;
  /**
   * Shapes every change before it is encoded (the configured columns and masks, src/columns/): snapshot, backfill
   * and stream changes all enter here. Absent: changes are published as the source gave them.
   */
  shape?: (event: ChangeEvent) => ChangeEvent;
  /** The table version `shape` gives its events (prepared ahead for a snapshot's tables). */
  shapeTable?: (table: TableSchema) => TableSchema;
  /** Sees every source call before the pipeline and adds its state to each checkpoint (online backfills, src/backfill/). */
  interceptor?: HandlerInterceptor;
  /**
   * Records that go out with the first commit of this run, even one without changes (the tombstone that clears
   * the last failure once streaming resumed: src/pipeline/last-failure.ts).
   */
  firstCommitRecords?: KafkaRecord[];
  /** Told of every checkpoint once it is committed (logtap snapshot follows its backfill this way). */
  onCheckpoint?: (checkpoint: Checkpoint) => void;
  /** Transaction boundaries and watermarks (src/pipeline/event-contract.ts); absent: neither. */
  contract?: EventContract;
  limits: BatchLimits;
  /** An idle source still checkpoints (and releases its log) this often. */
  heartbeatIntervalMs: number;
  version: string;
  log: Logger;
  metrics?: PipelineMetrics;
}

/**
 * Prepares tables ahead of their first change (a snapshot's next tables): their topics are ensured and their new
 * schemas published in batches instead of one table at a time. `upcoming` are prepared later: their topics can be
 * started now.
 */
export type PrepareTables = (tables: readonly TableSchema[], upcoming?: readonly TableSchema[]) => Promise<void>;

/** Sits between the source and the pipeline (src/backfill/online-backfill.ts). */
export interface HandlerInterceptor {
  wrap(pipeline: SourceHandler, phase: 'snapshot' | 'stream'): SourceHandler;
  /** Its state as of everything handed to the pipeline so far: the Checkpoint record's `snapshot` field. */
  checkpointState(): string | null;
}

/**
 * Source → encoder → Kafka, with the CDC safety rule in one place (flush): the records and their
 * checkpoint become durable in Kafka first, and only then is the source told it may release its log.
 * Handler calls and timer flushes run one at a time; a full batch makes the source wait (backpressure).
 */
export class Pipeline implements SourceHandler {
  /** The waiting records in order; a change an encoding worker has yet to encode holds its records' place. */
  private records: Waiting[] = [];
  private bytes = 0;
  private firstWaitingAt = 0;
  private changes = 0;
  /** Commit times (µs) of the source transactions waiting in the batch. */
  private commitTimes: bigint[] = [];
  /** The position a flush checkpoints: after the last handed-over change, commit or heartbeat. */
  private position: SourcePosition | null;
  private checkpointed: SourcePosition | null;
  /** The interceptor's state in the last checkpoint. */
  private checkpointedState: string | null = null;
  private lastCheckpointAt = Date.now();
  private serial: Promise<unknown> = Promise.resolve();
  /** Serialized work queued or running: none, and a handler call may run at once (serializeNow). */
  private serialPending = 0;
  private timer: NodeJS.Timeout | undefined;
  private failure: unknown;
  /** A Kafka commit failed (then nothing more is written). */
  private commitFailed = false;
  /**
   * The waiting records up to the last source transaction boundary (commit or heartbeat) and the position there:
   * when a change fails, what precedes its transaction is still committed, so the checkpoint stands right
   * before the transaction that failed (logtap offsets skip-current-transaction skips exactly that one).
   */
  private boundary: Boundary | null = null;
  /**
   * With encoding workers, every boundary of the waiting records: a change found unencodable only at the flush may
   * sit before the last boundary, and the checkpoint goes right before its transaction all the same.
   */
  private boundaries: Boundary[] = [];
  /** The waiting record (index) whose change could not be encoded, when that is the failure. */
  private failedAt = Infinity;
  /** The Kafka commit (and release) of the previous batch, while it runs. */
  private inFlight: Promise<void> | undefined;
  private readonly stop = new AbortController();
  private readonly metrics: PipelineMetrics;
  /** Inside a group of changes that share one position (ChangeEvent.continuesGroup): no flush may cut it. */
  private groupOpen = false;
  private firstCommitRecords: KafkaRecord[];
  /** Outbox rows among the waiting records (deleteAfterCapture), each with the record count once it was added. */
  private captured: Array<{ row: CapturedOutboxRow; records: number }> = [];

  constructor(private readonly options: PipelineOptions) {
    this.firstCommitRecords = options.firstCommitRecords ?? [];
    if (options.encodePool) {
      // A worker that fails stops the stream now, not at the next flush.
      options.encodePool.onFailure = (err) => {
        this.failure ??= err;
        this.stop.abort();
      };
    }
    this.position = options.from;
    this.checkpointed = options.from;
    this.metrics = options.metrics ?? noMetrics;
  }

  /** Streams until `signal` aborts (then flushes what is pending) or a failure (then rejects). */
  async run(signal: AbortSignal): Promise<void> {
    const onAbort = () => this.stop.abort();
    signal.addEventListener('abort', onAbort, { once: true });
    try {
      const { interceptor } = this.options;
      const from = this.options.beforeStream ? await this.options.beforeStream(interceptor?.wrap(this, 'snapshot') ?? this, this.stop.signal, (tables, upcoming) => this.prepareTables(tables, upcoming)) : this.options.from;
      // A finished snapshot is checkpointed at once, also when nothing follows: an idle source sends no keepalive
      // that moves the log on, and a restart would otherwise begin the snapshot again.
      if (this.options.beforeStream && from && !this.stop.signal.aborted) await this.serialize(() => this.flush('snapshot'));
      if (!this.stop.signal.aborted) {
        // Said once the source has fixed its start (a new slot, the binlog position read): not before, or a change
        // written right after the line could precede the start and be missed.
        let announced = false;
        const started = () => {
          if (announced) return;
          announced = true;
          this.options.onStreaming?.(from);
        };
        await this.options.source.stream(from, interceptor?.wrap(this, 'stream') ?? this, this.stop.signal, started);
      }
      await this.serialize(() => this.flush('stop'));
    } catch (err) {
      this.failure ??= err;
    } finally {
      signal.removeEventListener('abort', onAbort);
      clearTimeout(this.timer);
    }
    // Wait for a timer flush or a commit that may still be running, then report what went wrong first.
    await this.serial.catch(() => {});
    await this.inFlight?.catch(() => {});
    if (this.failure) {
      if (!this.commitFailed) await this.commitUpToBoundary();
      throw this.failure;
    }
  }

  onChange(source: ChangeEvent): Promise<void> | void {
    return this.serializeNow(() => this.change(source));
  }

  /** A change; a promise only when it waits (an outbox topic, a table's first change, a flush). */
  private change(source: ChangeEvent): Promise<void> | void {
    const event = this.options.shape ? this.options.shape(source) : source;
    const { contract } = this.options;
    if (contract) for (const record of contract.beforeChange(event)) this.add(record);
    const outbox = this.options.outboxTables?.find(event.table.id);
    const { encoder } = this.options;
    if (outbox || !encoder.isPrepared(event.table)) return this.changeWaiting(event, outbox);
    this.encode(event);
    return this.changed(event);
  }

  /** A change of an outbox table, or of a table whose topic and encoder are not ready yet. */
  private async changeWaiting(event: ChangeEvent, outbox: ReturnType<OutboxTables['find']>): Promise<void> {
    if (outbox) {
      // An outbox table has no table topic: its inserted rows go out as outbox records, in the same batch.
      const record = outbox.record(event);
      if (record) {
        await this.options.ensureOutboxTopic(record.topic);
        this.add(record);
        const row = outbox.captured(event);
        if (row) this.captured.push({ row, records: this.records.length });
      }
    } else {
      const { encoder } = this.options;
      if (!encoder.isPrepared(event.table)) {
        const partitions = await this.options.ensureTableTopic(event.table);
        await encoder.prepare(event.table, this.options.publishSchema, partitions);
      }
      this.encode(event);
    }
    await this.changed(event);
  }

  /** A change's records, or their place while an encoding worker encodes them. */
  private encode(event: ChangeEvent): void {
    const { contract } = this.options;
    const pending = this.options.encodePool?.submit(event, contract?.decorator() ?? null);
    if (pending) {
      this.addPending(pending);
      return;
    }
    const records = this.options.encoder.encode(event);
    contract?.decorate(records);
    for (const record of records) this.add(record);
  }

  private changed(event: ChangeEvent): Promise<void> | void {
    this.changes++;
    this.position = event.position;
    this.groupOpen = event.continuesGroup === true;
    if (this.full() && !this.groupOpen) return this.flush('size');
    this.armTimer();
  }

  private prepareTables(tables: readonly TableSchema[], upcoming: readonly TableSchema[] = []): Promise<void> {
    return this.serialize(async () => {
      const { encoder, ensureTableTopics, publishSchemas } = this.options;
      // As their events will arrive: shaped (tables.<t>.columns), outbox tables left out (they have no table topic).
      const { shapeTable, outboxTables } = this.options;
      const asPublished = (list: readonly TableSchema[]) => list.filter((t) => !outboxTables?.find(t.id)).map((t) => shapeTable?.(t) ?? t).filter((t) => !encoder.isPrepared(t));
      const todo = asPublished(tables);
      if (todo.length === 0) return;
      const started = Date.now();
      const partitions = ensureTableTopics ? await ensureTableTopics(todo, asPublished(upcoming)) : [];
      const topicsReady = Date.now();
      const entries: SchemaEntry[] = [];
      // New schemas are collected and published together before prepareTables returns: before any record uses them.
      const collect: PublishSchema = publishSchemas ? async (entry) => { entries.push(entry); } : this.options.publishSchema;
      for (const [i, table] of todo.entries()) {
        await encoder.prepare(table, collect, partitions[i] ?? await this.options.ensureTableTopic(table));
      }
      const encodersReady = Date.now();
      if (entries.length > 0) await publishSchemas!(entries);
      this.options.log.debug({ tables: todo.length, schemas: entries.length, topicsMs: topicsReady - started, encodersMs: encodersReady - topicsReady, schemasMs: Date.now() - encodersReady }, 'prepared tables');
    });
  }

  /** An outbox message goes out as written: its key as text, its value as JSON text, in log order. */
  onMessage(message: OutboxMessage): Promise<void> {
    return this.serialize(async () => {
      await this.options.ensureOutboxTopic(message.topic);
      const headers: Record<string, string> = { 'logtap.kind': 'outbox', 'logtap.position': message.position.token };
      if (message.txId !== undefined) headers['logtap.txid'] = message.txId;
      if (message.commitTimeMicros !== undefined) headers['logtap.commit_us'] = message.commitTimeMicros.toString();
      this.add({ topic: message.topic, key: message.key === null ? null : Buffer.from(message.key), value: Buffer.from(JSON.stringify(message.value)), headers });
      this.position = message.position;
      if (this.full()) await this.flush('size');
      else this.armTimer();
    });
  }

  /**
   * A schema change that queued a resync (src/schema-changes/): the interceptor's new state is checkpointed
   * now, so a crash before the next flush cannot lose the request.
   */
  onSchemaChange(): Promise<void> {
    return this.serialize(() => this.flush('schema-change'));
  }

  private add(record: KafkaRecord): void {
    this.records.push(record);
    this.bytes += recordSize(record);
    if (this.firstWaitingAt === 0) this.firstWaitingAt = Date.now();
  }

  /** A change an encoding worker encodes: its place among the waiting records, its size estimated until then. */
  private addPending(pending: PendingRecords): void {
    this.records.push(pending);
    this.bytes += pending.bytes;
    if (this.firstWaitingAt === 0) this.firstWaitingAt = Date.now();
  }

  /**
   * Waits until every waiting change an encoding worker holds is encoded. A change that could not be encoded fails
   * here: `failedAt` notes its place, so that the transactions before it are still committed (commitUpToBoundary).
   */
  private async settle(): Promise<void> {
    const pool = this.options.encodePool;
    if (!pool) return;
    pool.dispatch();
    let last: PendingRecords['batch'] | undefined;
    for (let i = 0; i < this.records.length; i++) {
      const waiting = this.records[i]!;
      if (!(waiting instanceof PendingRecords)) continue;
      try {
        if (waiting.batch !== last) {
          last = waiting.batch;
          await last.done;
        }
        // Throws when this change could not be encoded.
        waiting.batch.recordsOf(waiting.index);
      } catch (err) {
        this.failedAt = i;
        throw err;
      }
    }
  }

  onCommit(position: SourcePosition, info: CommitInfo = {}): Promise<void> | void {
    return this.serializeNow(() => {
      const { contract } = this.options;
      if (contract) for (const record of contract.onCommit(position, info)) this.add(record);
      this.position = position;
      this.metrics.transaction();
      if (info.commitTimeMicros !== undefined) this.commitTimes.push(info.commitTimeMicros);
      this.markBoundary(position);
      if (this.full()) return this.flush('size');
      if (!this.inFlight) return this.flushIfDue();
    });
  }

  onHeartbeat(position: SourcePosition, info?: HeartbeatInfo): Promise<void> | void {
    return this.serializeNow(() => {
      this.options.contract?.onHeartbeat(info);
      this.position = position;
      this.markBoundary(position);
      // With records waiting the timer flushes them (and this position) soon anyway.
      // The first position of a start without a checkpoint is checkpointed at once: a source that keeps no
      // state of its own (MySQL) would otherwise start elsewhere after a crash.
      const due = this.checkpointed === null || Date.now() - this.lastCheckpointAt >= this.options.heartbeatIntervalMs;
      if (this.records.length === 0 && !this.inFlight && due) return this.flush('heartbeat');
    });
  }

  private full(): boolean {
    const { maxRecords, maxBytes } = this.options.limits;
    return this.records.length >= maxRecords || this.bytes >= maxBytes;
  }

  private armTimer(): void {
    // With a commit in flight, its completion flushes what is due.
    if (this.timer || this.inFlight || this.records.length === 0) return;
    const wait = Math.max(0, this.firstWaitingAt + this.options.limits.maxDelayMs - Date.now());
    this.timer = setTimeout(() => {
      this.timer = undefined;
      // A failure is recorded by serialize() and ends the stream; run() reports it.
      this.serialize(() => this.flush('time')).catch(() => {});
    }, wait);
  }

  /**
   * Hands the waiting records to Kafka. One Kafka transaction is in flight at a time, and the source keeps
   * being read while it commits (the next batch fills meanwhile), so throughput is not bounded by the
   * commit round trip. The safety rule holds per batch: Kafka commit (records + checkpoint) → only then
   * release at the source, in order.
   */
  private async flush(reason: 'size' | 'time' | 'heartbeat' | 'stop' | 'schema-change' | 'snapshot'): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    // A group's last event ends it and re-arms the timer; a stream stopped inside one resumes before it.
    if (this.groupOpen) return;
    // The previous batch commits (and releases) before this one starts: order, and at most two batches in memory.
    if (this.inFlight) await this.inFlight;
    await this.settle();
    const position = this.position;
    const contract = this.options.contract?.point() ?? null;
    if (!position || (this.records.length === 0 && this.firstCommitRecords.length === 0 && position.token === this.checkpointed?.token
      && (this.options.interceptor?.checkpointState() ?? null) === this.checkpointedState && !(contract && this.options.contract!.advances(contract)))) return;
    const state = this.options.interceptor?.checkpointState() ?? null;
    const batch = { records: this.records, bytes: this.bytes, changes: this.changes, commitTimes: this.commitTimes, position, state, extra: this.firstCommitRecords, captured: this.captured.map((c) => c.row), contract };
    this.firstCommitRecords = [];
    this.captured = [];
    this.boundary = null;
    this.boundaries = [];
    this.records = [];
    this.bytes = 0;
    this.changes = 0;
    this.commitTimes = [];
    this.firstWaitingAt = 0;
    const commit = this.commit(batch, reason);
    this.inFlight = commit;
    commit.then(
      () => {
        if (this.inFlight === commit) this.inFlight = undefined;
        // What arrived during the commit goes next, once due.
        if (this.records.length > 0) this.serialize(() => this.flushIfDue()).catch(() => {});
      },
      (err) => {
        this.commitFailed = true;
        this.failure ??= err;
        this.stop.abort();
      },
    );
    if (reason === 'stop' || reason === 'heartbeat' || reason === 'schema-change' || reason === 'snapshot') await commit;
  }

  private async commit(batch: { records: Waiting[]; bytes: number; changes: number; commitTimes: bigint[]; position: SourcePosition; state: string | null; extra: KafkaRecord[]; captured: CapturedOutboxRow[]; contract: ContractPoint | null }, reason: string): Promise<void> {
    const { position } = batch;
    const records = settledRecords(batch.records);
    const { contract } = this.options;
    const extra = contract && batch.contract ? [...batch.extra, ...contract.commitRecords(batch.contract, position)] : batch.extra;
    const started = Date.now();
    const checkpoint: Checkpoint = {
      connector: this.options.name, source: this.options.source.kind, position, snapshot: batch.state,
      committedAtMicros: BigInt(started) * 1000n, logtapVersion: this.options.version,
    };
    await this.options.sink.commit(extra.length > 0 ? [...records, ...extra] : records, this.options.checkpointRecord(checkpoint));
    if (contract && batch.contract) contract.committed(batch.contract);
    const ackedMicros = BigInt(Date.now()) * 1000n;
    this.metrics.flushed({ records: records.length, bytes: batch.records === records ? batch.bytes : bytesOf(records), changes: batch.changes, millis: Date.now() - started, position });
    this.metrics.published?.(records);
    for (const committed of batch.commitTimes) this.metrics.commitToAck(Number(ackedMicros - committed) / 1000);
    this.options.log.debug({ reason, records: records.length, position: position.display }, 'committed');
    this.checkpointed = position;
    this.checkpointedState = batch.state;
    this.lastCheckpointAt = Date.now();
    this.options.onCheckpoint?.(checkpoint);
    // Durable in Kafka now: the captured outbox rows may leave the source table.
    if (batch.captured.length > 0) this.options.onOutboxCommitted?.(batch.captured);
    await this.options.source.release(position);
  }

  private markBoundary(position: SourcePosition): void {
    if (this.options.encodePool && this.boundary && this.boundary.records < this.records.length) {
      this.boundaries.push(this.boundary);
      this.boundary = null;
    }
    const b = this.boundary ??= { records: 0, bytes: 0, changes: 0, commitTimes: 0, position, contract: null };
    b.records = this.records.length;
    b.bytes = this.bytes;
    b.changes = this.changes;
    b.commitTimes = this.commitTimes.length;
    b.position = position;
    // Between source transactions: none is open.
    b.contract = this.options.contract ? { ...this.options.contract.point(), openTransaction: null } : null;
  }

  /** After a failure that was not Kafka's: commits the waiting records of the transactions completed before it. */
  private async commitUpToBoundary(): Promise<void> {
    // The last boundary before the change that could not be encoded (with encoding workers it may not be the last one).
    let b = this.boundary;
    if (b && b.records > this.failedAt) b = this.boundaries.filter((x) => x.records <= this.failedAt).pop() ?? null;
    clearTimeout(this.timer);
    if (!b || (b.records === 0 && b.position.token === this.checkpointed?.token)) return;
    const batch = {
      records: this.records.slice(0, b.records), bytes: b.bytes, changes: b.changes, commitTimes: this.commitTimes.slice(0, b.commitTimes),
      position: b.position, state: this.options.interceptor?.checkpointState() ?? null, extra: [], contract: b.contract,
      captured: this.captured.filter((c) => c.records <= b.records).map((c) => c.row),
    };
    this.records = [];
    this.captured = [];
    this.boundary = null;
    this.boundaries = [];
    try {
      await this.commit(batch, 'before the failure');
    } catch (err) {
      this.options.log.warn({ err: (err as Error).message }, 'the transactions before the failure could not be committed');
    }
  }

  private flushIfDue(): Promise<void> | void {
    if (this.full() || (this.records.length > 0 && Date.now() - this.firstWaitingAt >= this.options.limits.maxDelayMs)) return this.flush('time');
    this.armTimer();
  }

  /** Runs `work` after everything queued before it; the first failure stops the stream and fails all later work. */
  private serialize<T>(work: () => Promise<T> | T): Promise<T> {
    this.serialPending++;
    const next = this.serial.then(() => {
      if (this.failure) throw this.failure;
      return work();
    });
    this.serial = this.track(next);
    return next;
  }

  /**
   * serialize() without a promise turn when nothing queued before is still running (live streaming: a change or a
   * commit that only encodes and adds records runs at once); only what `work` waits for (a flush, a table's
   * preparation) is chained, and later work queues behind it.
   */
  private serializeNow(work: () => Promise<void> | void): Promise<void> | void {
    if (this.serialPending > 0) return this.serialize(work);
    if (this.failure) return Promise.reject(this.failure);
    let waiting: Promise<void> | void;
    try {
      waiting = work();
    } catch (err) {
      this.failure ??= err;
      this.stop.abort();
      return Promise.reject(err);
    }
    if (!waiting) return;
    this.serialPending++;
    this.serial = this.track(waiting);
    return waiting;
  }

  /** Counts `work` as queued until it ends; its failure stops the stream. */
  private track(work: Promise<unknown>): Promise<void> {
    return work.then(
      () => {
        this.serialPending--;
      },
      (err) => {
        this.serialPending--;
        this.failure ??= err;
        this.stop.abort();
      },
    );
  }
}

interface Boundary { records: number; bytes: number; changes: number; commitTimes: number; position: SourcePosition; contract: ContractPoint | null }

/** A waiting record, or the place of a change's records while an encoding worker encodes them. */
type Waiting = KafkaRecord | PendingRecords;

/** The records in order, every change's records in its place (all settled: Pipeline.settle). */
function settledRecords(waiting: Waiting[]): KafkaRecord[] {
  if (!waiting.some((w) => w instanceof PendingRecords)) return waiting as KafkaRecord[];
  const records: KafkaRecord[] = [];
  for (const w of waiting) {
    if (w instanceof PendingRecords) records.push(...w.records());
    else records.push(w);
  }
  return records;
}

/** What a record adds to the batch's byte count (batch.maxBytes): its key and value. */
const recordSize = (r: KafkaRecord): number => (r.key?.length ?? 0) + (r.value?.length ?? 0);

const bytesOf = (records: KafkaRecord[]): number => records.reduce((sum, r) => sum + recordSize(r), 0);
