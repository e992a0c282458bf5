import type { ChangeEvent, SourcePosition } from '../model/change-event.js';
import type { CommitInfo, HeartbeatInfo } from '../source/source-connector.js';
import type { KafkaRecord } from '../events/kafka-record.js';
import { type OpenTransaction, TransactionBoundaries } from '../events/transaction-boundaries.js';
import { WATERMARK_HEADER, watermarkRecord } from '../events/watermark-record.js';

/**
 * What the event contract (docs/events.md) keeps beside the checkpoint, in `<topicPrefix>._offsets` under
 * `<connector>#event-contract`, in the same Kafka transaction: the source transaction a checkpoint cut (its BEGIN is
 * published, its END is not) and the last published watermark (so a restart never publishes a lower one).
 */
export interface EventContractState {
  /** The checkpoint's position token when this was written: an open transaction holds only at that checkpoint. */
  position: string;
  openTransaction: OpenTransaction | null;
  watermarkMicros: string | null;
}

export const eventContractKey = (connector: string): string => `${connector}#event-contract`;

export const encodeEventContractState = (state: EventContractState): Buffer => Buffer.from(JSON.stringify(state));

export function decodeEventContractState(bytes: Buffer): EventContractState {
  const parsed = JSON.parse(bytes.toString('utf8')) as EventContractState;
  return { position: parsed.position, openTransaction: parsed.openTransaction ?? null, watermarkMicros: parsed.watermarkMicros ?? null };
}

/** The contract's state at one point of the stream: what a checkpoint there carries. */
export interface ContractPoint {
  openTransaction: OpenTransaction | null;
  /** Every change committed later carries a commit time at or after this (null: not known yet). */
  sourceTimeMicros: bigint | null;
}

export interface EventContractOptions {
  connector: string;
  /** `<topicPrefix>._transactions`, or null: no transaction boundaries. */
  transactionsTopic: string | null;
  /** `<topicPrefix>._watermarks`, or null: no watermark records. */
  watermarksTopic: string | null;
  /** A `logtap.watermark` header on every data record. */
  watermarkHeader: boolean;
  /** What the last run kept, and the checkpoint it resumes from. */
  restored: EventContractState | null;
  checkpointPosition: string | null;
  /** The record that keeps the state (CheckpointStore.eventContractRecord). */
  stateRecord: (state: EventContractState) => KafkaRecord;
  /** A kept open transaction that the stream did not continue (the checkpoint was moved past it). */
  onStale: (transactionId: string) => void;
  /**
   * A transaction committed at or before a watermark already in use: the watermark's promise is broken for it (MariaDB:
   * a statement running over a second; anywhere: a clock stepped back, the checkpoint moved back). Said, not hidden.
   */
  onLateCommit?: (late: { commitTimeMicros: bigint; watermarkMicros: bigint; transactionId: string | undefined }) => void;
}

/**
 * Transaction boundaries and watermarks for the pipeline: the records they add to a batch and to its Kafka transaction.
 * A watermark W says: every change committed at or before W (source commit time, µs) is published, and no change
 * published later has a commit time at or before W; it is the source time last known to bound all later commits, less 1 µs.
 */
export class EventContract {
  private readonly boundaries: TransactionBoundaries | null;
  /** The highest source time that bounds every later commit, from commits and heartbeats. */
  private sourceTimeMicros: bigint | null = null;
  private publishedWatermark: bigint | null;
  /** The open transaction was kept with the last checkpoint: the next one must overwrite it. */
  private keptOpen: boolean;
  /** The source transaction the checkpoint this run resumes from cut, if any. */
  readonly resumedTransaction: OpenTransaction | null;

  constructor(private readonly options: EventContractOptions) {
    const restored = options.restored;
    const open = restored?.openTransaction && restored.position === options.checkpointPosition ? restored.openTransaction : null;
    if (restored?.openTransaction && !open) options.onStale(restored.openTransaction.id);
    this.keptOpen = open !== null;
    this.resumedTransaction = open;
    this.boundaries = options.transactionsTopic ? new TransactionBoundaries(options.transactionsTopic, open, options.onStale) : null;
    this.publishedWatermark = restored?.watermarkMicros ? BigInt(restored.watermarkMicros) : null;
    this.sourceTimeMicros = this.publishedWatermark === null ? null : this.publishedWatermark + 1n;
  }

  /** Records that go before the change's own (a BEGIN). */
  beforeChange(event: ChangeEvent): KafkaRecord[] {
    return this.boundaries?.beforeChange(event) ?? NONE;
  }

  /** Adds the watermark header to a change's records: every change before them in the log is in their Kafka transaction or an earlier one. */
  decorate(records: KafkaRecord[]): void {
    this.decorator()?.(records);
  }

  /** decorate() as of now, for records an encoding worker makes later (src/encoding/); null: nothing to add. */
  decorator(): ((records: KafkaRecord[]) => void) | null {
    if (!this.options.watermarkHeader || this.sourceTimeMicros === null) return null;
    const watermark = (this.sourceTimeMicros - 1n).toString();
    return (records) => {
      for (const record of records) {
        if (record.partition !== undefined) record.headers = { ...record.headers };
        record.headers[WATERMARK_HEADER] = watermark;
      }
    };
  }

  /** Records that follow a source commit (an END). */
  onCommit(position: SourcePosition, info: CommitInfo): KafkaRecord[] {
    const watermarksOn = this.options.watermarksTopic !== null || this.options.watermarkHeader;
    if (watermarksOn && info.commitTimeMicros !== undefined && this.sourceTimeMicros !== null && info.commitTimeMicros < this.sourceTimeMicros) {
      this.options.onLateCommit?.({ commitTimeMicros: info.commitTimeMicros, watermarkMicros: this.sourceTimeMicros - 1n, transactionId: info.txId });
    }
    if (info.commitTimeMicros !== undefined && info.boundsLaterCommits) this.advance(info.commitTimeMicros);
    return this.boundaries?.onCommit(position, info) ?? NONE;
  }

  onHeartbeat(info: HeartbeatInfo | undefined): void {
    if (info?.sourceTimeMicros !== undefined) this.advance(info.sourceTimeMicros);
  }

  /** The state now (a flush). */
  point(): ContractPoint {
    return { openTransaction: this.boundaries?.state() ?? null, sourceTimeMicros: this.sourceTimeMicros };
  }

  /** Whether a checkpoint at `point` publishes something new even without records: a higher watermark. */
  advances(point: ContractPoint): boolean {
    return this.options.watermarksTopic !== null && this.watermarkOf(point) !== null;
  }

  /** The records that go into the Kafka transaction of the checkpoint at `position`. */
  commitRecords(point: ContractPoint, position: SourcePosition): KafkaRecord[] {
    if (!this.boundaries && !this.options.watermarksTopic && !this.options.watermarkHeader) return NONE;
    const records: KafkaRecord[] = [];
    const watermark = this.watermarkOf(point);
    if (watermark !== null && this.options.watermarksTopic) records.push(watermarkRecord(this.options.watermarksTopic, this.options.connector, watermark, position));
    if (watermark !== null || point.openTransaction !== null || this.keptOpen) {
      const kept = watermark ?? this.publishedWatermark;
      records.push(this.options.stateRecord({ position: position.token, openTransaction: point.openTransaction, watermarkMicros: kept?.toString() ?? null }));
    }
    return records;
  }

  /** The Kafka transaction of `point`'s checkpoint committed. */
  committed(point: ContractPoint): void {
    const watermark = this.watermarkOf(point);
    if (watermark !== null) this.publishedWatermark = watermark;
    this.keptOpen = point.openTransaction !== null;
  }

  /** The watermark a checkpoint at `point` publishes, or null when it is not above the last one published. */
  private watermarkOf(point: ContractPoint): bigint | null {
    if (point.sourceTimeMicros === null) return null;
    const watermark = point.sourceTimeMicros - 1n;
    return this.publishedWatermark === null || watermark > this.publishedWatermark ? watermark : null;
  }

  private advance(micros: bigint): void {
    if (this.sourceTimeMicros === null || micros > this.sourceTimeMicros) this.sourceTimeMicros = micros;
  }
}

const NONE: KafkaRecord[] = [];
