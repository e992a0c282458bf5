import type { SourcePosition } from '../model/change-event.js';
import type { KafkaRecord } from '../events/kafka-record.js';

/** What the pipeline reports as it goes; the daemon's Prometheus metrics implement it. */
export interface PipelineMetrics {
  transaction(): void;
  flushed(batch: { records: number; bytes: number; changes: number; millis: number; position: SourcePosition }): void;
  /** Source commit → Kafka commit of the transaction holding it, once per source transaction. */
  commitToAck(millis: number): void;
  /** The records of a committed Kafka transaction (per-topic counts; src/ops/daemon-metrics.ts). */
  published?(records: readonly KafkaRecord[]): void;
  /**
   * Rows a snapshot has read of `table` (namespace.table) since the last call: Prometheus
   * `logtap_snapshot_rows_total{table}`. For the snapshot code to call as it goes.
   */
  snapshotRows?(table: string, rows: number): void;
  /**
   * A DDL rewrote rows of `table` without row events (src/schema-changes/): Prometheus
   * `logtap_schema_change_resyncs_total{table,reason,action}`.
   */
  schemaChangeResync?(table: string, reason: string, action: 'resync' | 'warn' | 'unavailable'): void;
}

export const noMetrics: PipelineMetrics = { transaction() {}, flushed() {}, commitToAck() {} };
