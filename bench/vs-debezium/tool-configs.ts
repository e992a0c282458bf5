// How each tool is configured for the comparison, in one place so the results file states exactly this.
// Fairness: one partition per topic for both, acks=all for both, one record per row change for both
// (Debezium's extra tombstone after a delete is off, as logtap's entity envelope writes one record per delete).

/**
 * logtap: its defaults — Avro single-object encoding, exactly-once (changes + checkpoint in one Kafka transaction).
 * `--delivery at-least-once` runs it with Debezium's own guarantee instead (LogtapDelivery below).
 */
export const logtapSettings = {
  envelope: 'entity',
  encoding: { format: 'single-object' },
  delivery: 'exactly-once',
  batch: { maxRecords: 5000, maxBytes: 8 * 1024 * 1024, maxDelayMs: 20 },
  topics: { partitions: 1 },
  heartbeatIntervalMs: 1000,
  // Streaming workloads start from the log's current end, as Debezium's snapshot.mode=no_data does.
  snapshot: { mode: 'never' },
} as const;

/** What `--delivery` may choose for logtap; Debezium in Connect standalone is at-least-once either way. */
export const LOGTAP_DELIVERIES = ['exactly-once', 'at-least-once'] as const;
export type LogtapDelivery = typeof LOGTAP_DELIVERIES[number];

/**
 * Debezium's connector settings, tuned as its documentation advises for throughput: a larger batch and queue
 * than the defaults (2048 / 8192; the queue must exceed the batch) and a short poll interval (default 500 ms)
 * so a batch goes out as soon as it is there.
 */
export const debeziumConnectorSettings: Record<string, string> = {
  'max.batch.size': '8192',
  'max.queue.size': '32768',
  'poll.interval.ms': '20',
  'tombstones.on.delete': 'false',
  'topic.creation.default.partitions': '1',
  'topic.creation.default.replication.factor': '1',
};

/**
 * The Connect worker: Debezium's JSON converter with schemas disabled (logtap's Avro needs a registry and
 * Confluent's AvroConverter is not on Maven Central); the source producer with acks=all (idempotent, Kafka 3.x's
 * default), batching per Kafka's producer docs (linger 5 ms, 512 KiB batches), no compression (logtap has none).
 * Connect standalone has no exactly-once source support (that is distributed mode only): Debezium runs at-least-once.
 */
export const connectWorkerSettings: Record<string, string> = {
  'key.converter': 'org.apache.kafka.connect.json.JsonConverter',
  'value.converter': 'org.apache.kafka.connect.json.JsonConverter',
  'key.converter.schemas.enable': 'false',
  'value.converter.schemas.enable': 'false',
  'offset.flush.interval.ms': '1000',
  'topic.creation.enable': 'true',
  'producer.acks': 'all',
  'producer.enable.idempotence': 'true',
  'producer.linger.ms': '5',
  'producer.batch.size': '524288',
  'producer.compression.type': 'none',
};

/** The JVM options of Kafka's own connect-standalone.sh / kafka-run-class.sh. */
export const connectJvmOptions = ['-Xms256M', '-Xmx2G', '-XX:+UseG1GC', '-XX:MaxGCPauseMillis=20', '-XX:InitiatingHeapOccupancyPercent=35', '-XX:+ExplicitGCInvokesConcurrent', '-Djava.awt.headless=true'];
