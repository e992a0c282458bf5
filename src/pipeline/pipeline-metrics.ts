import type { SourcePosition } from '../model/change-event.js';

/** What the pipeline reports as it goes; the daemon's Prometheus metrics implement it. */
export interface PipelineMetrics {
  transaction(): void;
  flushed(batch: { records: number; bytes: number; changes: number; millis: number; position: SourcePosition }): void;
  /** Source commit → Kafka commit of the transaction holding it, once per source transaction. */
  commitToAck(millis: number): void;
}

export const noMetrics: PipelineMetrics = { transaction() {}, flushed() {}, commitToAck() {} };
