import type { SourcePosition } from '../model/change-event.js';
import type { KafkaRecord } from './kafka-record.js';

/** Compacted, keyed by connector name: its latest watermark is kept. */
export const watermarksTopic = (topicPrefix: string): string => `${topicPrefix}._watermarks`;

/** On a data record: the watermark (µs) as of its change (docs/events.md, Event contract). */
export const WATERMARK_HEADER = 'logtap.watermark';

/** One record of `<topicPrefix>._watermarks`, as JSON, keyed by the connector name. */
export interface WatermarkValue {
  connector: string;
  /** Every change committed at or before this source time (µs since the epoch) is published. */
  watermark_us: number;
  /** The same in milliseconds (rounded down). */
  ts_ms: number;
  /** The checkpoint the watermark was written with (the connector's position token). */
  position: string;
}

export function watermarkRecord(topic: string, connector: string, watermarkMicros: bigint, position: SourcePosition): KafkaRecord {
  const value: WatermarkValue = { connector, watermark_us: Number(watermarkMicros), ts_ms: Number(watermarkMicros / 1000n), position: position.token };
  return {
    topic, key: Buffer.from(connector), value: Buffer.from(JSON.stringify(value)),
    headers: { 'logtap.kind': 'watermark', 'logtap.position': position.token, [WATERMARK_HEADER]: watermarkMicros.toString() },
  };
}
