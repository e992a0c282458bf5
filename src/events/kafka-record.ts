/** One message for Kafka, as the core hands it to the publisher. A null value is a tombstone. */
export interface KafkaRecord {
  topic: string;
  key: Buffer | null;
  value: Buffer | null;
  headers: Record<string, string>;
  /** Written to this partition; absent: the key's partition (Kafka's default partitioner). */
  partition?: number;
}
