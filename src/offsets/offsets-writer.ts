import type { Kafka } from 'kafkajs';
import type { LogtapConfig } from '../config/config-schema.js';
import type { KafkaRecord } from '../events/kafka-record.js';
import { openIdempotentSink, openTransactionalSink } from '../kafka/change-sink.js';
import { TopicManager } from '../kafka/topic-manager.js';

/**
 * Writes records of the connector's offsets topic (a moved checkpoint, a cleared failure) the way the daemon
 * does: exactly-once through the connector's own transactional ids, which fences any older producer of that
 * name first, so no daemon's commit can land between what was read and what is written.
 */
export async function commitOffsetsRecords(kafka: Kafka, config: LogtapConfig, topic: string, records: [KafkaRecord, ...KafkaRecord[]]): Promise<void> {
  await new TopicManager(kafka, config.name).ensure(topic, { partitions: 1, replicationFactor: config.topics.replicationFactor, compacted: true });
  const sink = config.delivery === 'exactly-once' ? await openTransactionalSink(kafka, config.name) : await openIdempotentSink(kafka, config.name);
  try {
    const last = records.at(-1)!;
    await sink.commit(records.slice(0, -1), last);
  } finally {
    await sink.close().catch(() => {});
  }
}
