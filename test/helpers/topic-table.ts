import type { Kafka } from 'kafkajs';
import { EntityEventDecoder, schemaTopicResolver } from '../../src/events/event-decoder.js';
import { SchemaTopic } from '../../src/kafka/schema-topic.js';
import { highWatermarkAdmin, readTopicToEnd } from '../../src/kafka/read-to-end.js';
import type { Row } from '../../src/model/change-event.js';
import { TruncateFence } from '../../src/replay/truncate-fence.js';

export interface TopicRead {
  /** The table the topic describes: last value per key, tombstones and truncate markers applied. */
  table: Map<string, Row>;
  /** logtap.position of every record, in offset order (for exactly-once checks). */
  positions: string[];
  records: number;
}

/** Reads a table topic from the beginning (read_committed) and folds it into the table it describes. */
export async function readTopicAsTable(kafka: Kafka, topicPrefix: string, topic: string, keyOf: (key: Row) => string): Promise<TopicRead> {
  const entries = (await new SchemaTopic(kafka, topicPrefix).readAll()) ?? [];
  const decoder = new EntityEventDecoder(schemaTopicResolver(entries));
  const table = new Map<string, Row>();
  const positions: string[] = [];
  let records = 0;
  // Truncate markers per partition, as replay applies them (one partition: in offset order).
  const fence = new TruncateFence(undefined);
  await readTopicToEnd(kafka, topic, async ({ partition, message }) => {
    records++;
    const event = await decoder.decode({ key: message.key, value: message.value, headers: message.headers as Record<string, Buffer> });
    positions.push(event.position);
    const verdict = event.kind === 'truncate' ? fence.marker(partition, event.position, event.partitions) : fence.row(partition);
    if (verdict === 'skip') return;
    if (event.kind === 'truncate') table.clear();
    else if (event.kind === 'tombstone') table.delete(keyOf(event.key!));
    else table.set(keyOf(event.key ?? event.row), event.row);
  });
  return { table, positions, records };
}

export interface LiveRecorder {
  /** logtap.position of every record seen, in order (each read once). */
  positions: string[];
  /** Resolves once everything committed to the topic by now has been seen; then stops. */
  finish(): Promise<void>;
}

/**
 * A read_committed consumer that watches a topic from its beginning while a test runs: it sees every
 * committed record before log compaction may remove older versions of a key (a compacted topic keeps
 * the table, not the history). The topic must exist.
 */
export async function watchTopic(kafka: Kafka, topic: string): Promise<LiveRecorder> {
  const positions: string[] = [];
  let next = 0n;
  let reached = -1n;
  const consumer = kafka.consumer({ groupId: `watch-${topic}-${Date.now()}`, readUncommitted: false, maxWaitTimeInMs: 100 });
  consumer.on(consumer.events.END_BATCH_PROCESS, ({ payload }) => {
    if (payload.firstOffset !== null && payload.firstOffset !== undefined) reached = BigInt(payload.lastOffset) > reached ? BigInt(payload.lastOffset) : reached;
  });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  await consumer.run({
    eachMessage: async ({ message }) => {
      const offset = BigInt(message.offset);
      if (offset < next) return;
      next = offset + 1n;
      if (offset > reached) reached = offset;
      positions.push(String(message.headers?.['logtap.position'] ?? ''));
    },
  });
  return {
    positions,
    async finish() {
      // The high watermark: the last stable offset may still stand before a transaction whose commit returned.
      const admin = highWatermarkAdmin(kafka);
      await admin.connect();
      const end = BigInt((await admin.fetchTopicOffsets(topic))[0]!.high);
      await admin.disconnect();
      const deadline = Date.now() + 120_000;
      while (reached + 1n < end && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
      await consumer.disconnect();
      if (reached + 1n < end) throw new Error(`the watching consumer reached offset ${reached} of ${end} in time`);
    },
  };
}
