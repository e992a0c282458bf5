import type { Kafka } from 'kafkajs';
import { EntityEventDecoder, schemaTopicResolver } from '../../src/events/event-decoder.js';
import { SchemaTopic } from '../../src/kafka/schema-topic.js';
import { readTopicToEnd } from '../../src/kafka/read-to-end.js';
import type { Row } from '../../src/model/change-event.js';

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
  await readTopicToEnd(kafka, topic, async ({ message }) => {
    records++;
    const event = await decoder.decode({ key: message.key, value: message.value, headers: message.headers as Record<string, Buffer> });
    positions.push(event.position);
    if (event.kind === 'truncate') table.clear();
    else if (event.kind === 'tombstone') table.delete(keyOf(event.key!));
    else table.set(keyOf(event.key ?? event.row), event.row);
  });
  return { table, positions, records };
}
