import type { Kafka } from 'kafkajs';
import type { Row } from '../model/change-event.js';
import type { PublishedRows } from '../source/source-connector.js';
import { EntityEventDecoder, schemaResolverFor, type SchemaResolver } from '../events/event-decoder.js';
import type { TopicRouter } from '../routing/topic-router.js';
import { HEADER } from '../events/event-encoder.js';
import { tableIdText } from '../model/table-schema.js';
import { readTopicToEnd } from '../kafka/read-to-end.js';
import { kafkaReadError } from '../kafka/kafka-errors.js';
import { SchemaTopic } from '../kafka/schema-topic.js';

/**
 * Reads a table's rows back from its entity-envelope topic (connectors that must know what they published:
 * MySQL's foreign-key cascades, docs/mysql-connector.md). Read committed, to the end offsets at the start of the
 * read: with exactly-once delivery that is the state of the last checkpoint. The last record of a key wins, a
 * tombstone or delete removes it, a truncate empties the table (as replay applies them); keyless records are
 * left out (a keyless table cannot be read back by key).
 */
export function topicRowsReader(kafka: Kafka, topicPrefix: string, registryUrl: string | undefined, topics: TopicRouter): PublishedRows {
  let schemas: Promise<SchemaResolver> | undefined;
  return async (table, onRow, signal) => {
    schemas ??= new SchemaTopic(kafka, topicPrefix).readAll(signal).then((entries) => schemaResolverFor(entries ?? [], registryUrl));
    const decoder = new EntityEventDecoder(await schemas);
    const topic = topics.topicOf(table);
    const text = tableIdText(table);
    const rows = new Map<string, Row>();
    await readTopicToEnd(kafka, topic, async ({ message }) => {
      // A topic several tables share (topics.routes): only this table's records.
      const source = message.headers?.[HEADER.table];
      if (source !== undefined && source.toString() !== text) return;
      const event = await decoder.decode({ key: message.key, value: message.value, headers: message.headers as Record<string, Buffer> });
      if (event.kind === 'truncate') {
        rows.clear();
        return;
      }
      if (!message.key) return;
      const key = message.key.toString('hex');
      if (event.kind === 'tombstone' || event.op === 'd') rows.delete(key);
      else rows.set(key, event.row);
    }, { ...(signal ? { signal } : {}), groupPrefix: 'logtap-cascade' }).catch((err: unknown) => {
      throw kafkaReadError(err, `reading the published rows of ${topic}`);
    });
    for (const row of rows.values()) onRow(row);
  };
}
