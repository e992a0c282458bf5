import type { ChangeEvent, SourcePosition } from '../model/change-event.js';
import type { TableSchema } from '../model/table-schema.js';
import type { Logger } from '../logger.js';
import type { SourceConnector, SourceHandler } from '../source/source-connector.js';
import type { EventEncoder, PublishSchema } from '../events/event-encoder.js';
import type { KafkaRecord } from '../events/kafka-record.js';
import type { ChangeSink } from '../kafka/change-sink.js';
import type { Checkpoint } from './checkpoint.js';
import { type PipelineMetrics, noMetrics } from './pipeline-metrics.js';

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
  sink: ChangeSink;
  publishSchema: PublishSchema;
  /** Makes sure a table's topic exists before its first record. */
  ensureTableTopic: (table: TableSchema) => Promise<void>;
  /** The record that stores a checkpoint (CheckpointStore.record). */
  checkpointRecord: (checkpoint: Checkpoint) => KafkaRecord;
  /** Where the last run stopped, or null on a first start. */
  from: SourcePosition | null;
  limits: BatchLimits;
  /** An idle source still checkpoints (and releases its log) this often. */
  heartbeatIntervalMs: number;
  version: string;
  log: Logger;
  metrics?: PipelineMetrics;
}

/**
 * Source → encoder → Kafka, with the CDC safety rule in one place (flush): the records and their
 * checkpoint become durable in Kafka first, and only then is the source told it may release its log.
 * Handler calls and timer flushes run one at a time; a full batch makes the source wait (backpressure).
 */
export class Pipeline implements SourceHandler {
  private records: KafkaRecord[] = [];
  private bytes = 0;
  private firstWaitingAt = 0;
  private changes = 0;
  /** Commit times (µs) of the source transactions waiting in the batch. */
  private commitTimes: bigint[] = [];
  /** The position a flush checkpoints: after the last handed-over change, commit or heartbeat. */
  private position: SourcePosition | null;
  private checkpointed: SourcePosition | null;
  private lastCheckpointAt = Date.now();
  private serial: Promise<unknown> = Promise.resolve();
  private timer: NodeJS.Timeout | undefined;
  private failure: unknown;
  private readonly stop = new AbortController();
  private readonly metrics: PipelineMetrics;

  constructor(private readonly options: PipelineOptions) {
    this.position = options.from;
    this.checkpointed = options.from;
    this.metrics = options.metrics ?? noMetrics;
  }

  /** Streams until `signal` aborts (then flushes what is pending) or a failure (then rejects). */
  async run(signal: AbortSignal): Promise<void> {
    const onAbort = () => this.stop.abort();
    signal.addEventListener('abort', onAbort, { once: true });
    try {
      await this.options.source.stream(this.options.from, this, this.stop.signal);
      await this.serialize(() => this.flush('stop'));
    } catch (err) {
      this.failure ??= err;
    } finally {
      signal.removeEventListener('abort', onAbort);
      clearTimeout(this.timer);
    }
    // Wait for a timer flush that may still be running, then report what went wrong first.
    await this.serial.catch(() => {});
    if (this.failure) throw this.failure;
  }

  onChange(event: ChangeEvent): Promise<void> {
    return this.serialize(async () => {
      const { encoder } = this.options;
      if (!encoder.isPrepared(event.table)) {
        await this.options.ensureTableTopic(event.table);
        await encoder.prepare(event.table, this.options.publishSchema);
      }
      for (const record of encoder.encode(event)) {
        this.records.push(record);
        this.bytes += (record.key?.length ?? 0) + (record.value?.length ?? 0);
      }
      this.changes++;
      this.position = event.position;
      if (this.firstWaitingAt === 0 && this.records.length > 0) this.firstWaitingAt = Date.now();
      if (this.full()) await this.flush('size');
      else this.armTimer();
    });
  }

  onCommit(position: SourcePosition, info: { commitTimeMicros?: bigint } = {}): Promise<void> {
    return this.serialize(async () => {
      this.position = position;
      this.metrics.transaction();
      if (info.commitTimeMicros !== undefined) this.commitTimes.push(info.commitTimeMicros);
      if (this.full() || (this.records.length > 0 && Date.now() - this.firstWaitingAt >= this.options.limits.maxDelayMs)) await this.flush('size');
      else this.armTimer();
    });
  }

  onHeartbeat(position: SourcePosition): Promise<void> {
    return this.serialize(async () => {
      this.position = position;
      // With records waiting the timer flushes them (and this position) soon anyway.
      if (this.records.length === 0 && Date.now() - this.lastCheckpointAt >= this.options.heartbeatIntervalMs) await this.flush('heartbeat');
    });
  }

  private full(): boolean {
    const { maxRecords, maxBytes } = this.options.limits;
    return this.records.length >= maxRecords || this.bytes >= maxBytes;
  }

  private armTimer(): void {
    if (this.timer || this.records.length === 0) return;
    const wait = Math.max(0, this.firstWaitingAt + this.options.limits.maxDelayMs - Date.now());
    this.timer = setTimeout(() => {
      this.timer = undefined;
      // A failure is recorded by serialize() and ends the stream; run() reports it.
      this.serialize(() => this.flush('time')).catch(() => {});
    }, wait);
  }

  /** The safety rule: Kafka commit (records + checkpoint) → only then release at the source. */
  private async flush(reason: 'size' | 'time' | 'heartbeat' | 'stop'): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    const position = this.position;
    if (!position || (this.records.length === 0 && position.token === this.checkpointed?.token)) return;
    const records = this.records;
    const started = Date.now();
    const checkpoint: Checkpoint = {
      connector: this.options.name, source: this.options.source.kind, position, snapshot: null,
      committedAtMicros: BigInt(started) * 1000n, logtapVersion: this.options.version,
    };
    await this.options.sink.commit(records, this.options.checkpointRecord(checkpoint));
    const ackedMicros = BigInt(Date.now()) * 1000n;
    this.metrics.flushed({ records: records.length, bytes: this.bytes, changes: this.changes, millis: Date.now() - started, position });
    for (const committed of this.commitTimes) this.metrics.commitToAck(Number(ackedMicros - committed) / 1000);
    this.commitTimes = [];
    this.options.log.debug({ reason, records: records.length, position: position.display }, 'committed');
    this.records = [];
    this.bytes = 0;
    this.changes = 0;
    this.firstWaitingAt = 0;
    this.checkpointed = position;
    this.lastCheckpointAt = Date.now();
    await this.options.source.release(position);
  }

  /** Runs `work` after everything queued before it; the first failure stops the stream and fails all later work. */
  private serialize<T>(work: () => Promise<T>): Promise<T> {
    const next = this.serial.then(() => {
      if (this.failure) throw this.failure;
      return work();
    });
    this.serial = next.catch((err) => {
      this.failure ??= err;
      this.stop.abort();
    });
    return next;
  }
}
