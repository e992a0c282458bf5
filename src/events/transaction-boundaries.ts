import type { ChangeEvent, SourcePosition } from '../model/change-event.js';
import type { CommitInfo } from '../source/source-connector.js';
import { tableIdText } from '../model/table-schema.js';
import type { KafkaRecord } from './kafka-record.js';
import { EVENT_ID_HEADER } from './event-id.js';

/** Every source transaction's BEGIN and END, in log order (one partition). */
export const transactionsTopic = (topicPrefix: string): string => `${topicPrefix}._transactions`;

/** The source transaction whose BEGIN is published and whose END is not yet: kept with the checkpoint (a cut transaction). */
export interface OpenTransaction {
  id: string;
  /** Microseconds since the epoch, as text (JSON has no 64-bit integers). */
  commitTimeMicros: string | null;
  /** Its changes published so far, per `namespace.table`, in the order first met. */
  counts: [string, number][];
}

/** One record of `<topicPrefix>._transactions`, as JSON: Debezium's transaction metadata, plus exact commit microseconds. */
export interface TransactionBoundaryValue {
  status: 'BEGIN' | 'END';
  id: string;
  /** END: every change of the transaction that was published; BEGIN: null. */
  event_count: number | null;
  /** END: the changes per table (`namespace.table`); BEGIN: null. */
  data_collections: { data_collection: string; event_count: number }[] | null;
  /** The source commit time, milliseconds. */
  ts_ms: number | null;
  /** The source commit time, microseconds. */
  commit_us: number | null;
}

/**
 * BEGIN and END records of each source transaction with published changes (streamed changes only: snapshot and backfill
 * reads belong to none). BEGIN goes right before the transaction's first record, END right after its commit, so both are
 * in the Kafka transaction of their neighbours; a source transaction cut by a checkpoint continues from `restored`.
 */
export class TransactionBoundaries {
  private open: { id: string; commitTimeMicros: bigint | undefined; counts: Map<string, number> } | null;

  constructor(private readonly topic: string, restored: OpenTransaction | null, private readonly onStale: (id: string) => void) {
    this.open = restored && {
      id: restored.id,
      commitTimeMicros: restored.commitTimeMicros === null ? undefined : BigInt(restored.commitTimeMicros),
      counts: new Map(restored.counts),
    };
  }

  /** The BEGIN record when `event` opens a source transaction (none otherwise); counts the change. */
  beforeChange(event: ChangeEvent): KafkaRecord[] {
    if (event.snapshot || event.txId === undefined) return [];
    if (this.open && this.open.id !== event.txId) {
      // Only after the checkpoint was moved past a transaction (logtap offsets): its END can never be written.
      this.onStale(this.open.id);
      this.open = null;
    }
    const records: KafkaRecord[] = [];
    if (!this.open) {
      this.open = { id: event.txId, commitTimeMicros: event.commitTimeMicros, counts: new Map() };
      records.push(this.record('BEGIN', event.position, this.open, null));
    }
    const table = tableIdText(event.table.id);
    this.open.counts.set(table, (this.open.counts.get(table) ?? 0) + 1);
    return records;
  }

  /** The END record when a transaction with published changes committed (none otherwise). */
  onCommit(position: SourcePosition, info: CommitInfo): KafkaRecord[] {
    const open = this.open;
    if (!open) return [];
    this.open = null;
    if (info.txId !== undefined && info.txId !== open.id) {
      this.onStale(open.id);
      return [];
    }
    if (info.commitTimeMicros !== undefined) open.commitTimeMicros = info.commitTimeMicros;
    return [this.record('END', position, open, [...open.counts])];
  }

  /** The transaction in progress, for the checkpoint; null between transactions. */
  state(): OpenTransaction | null {
    const open = this.open;
    return open && { id: open.id, commitTimeMicros: open.commitTimeMicros?.toString() ?? null, counts: [...open.counts] };
  }

  private record(status: 'BEGIN' | 'END', position: SourcePosition, { id, commitTimeMicros }: { id: string; commitTimeMicros: bigint | undefined }, counts: [string, number][] | null): KafkaRecord {
    const value: TransactionBoundaryValue = {
      status, id,
      event_count: counts && counts.reduce((sum, [, n]) => sum + n, 0),
      data_collections: counts && counts.map(([table, n]) => ({ data_collection: table, event_count: n })),
      ts_ms: commitTimeMicros === undefined ? null : Number(commitTimeMicros / 1000n),
      commit_us: commitTimeMicros === undefined ? null : Number(commitTimeMicros),
    };
    const headers: Record<string, string> = {
      'logtap.kind': 'transaction', 'logtap.position': position.token, 'logtap.txid': id,
      // BEGIN: at the transaction's first published change; END: at its commit.
      [EVENT_ID_HEADER]: `${position.token}/${status === 'BEGIN' ? 'begin' : 'end'}`,
    };
    if (commitTimeMicros !== undefined) headers['logtap.commit_us'] = commitTimeMicros.toString();
    return { topic: this.topic, key: Buffer.from(id), value: Buffer.from(JSON.stringify(value)), headers };
  }
}
