import type { Kafka } from 'kafkajs';
import type { Row } from '../model/change-event.js';
import type { PublishedRows } from '../source/source-connector.js';
import type { AvroSchema } from '../avro/column-avro-type.js';
import { ConfigError } from '../errors.js';
import { EntityEventDecoder, schemaTopicResolver, type SchemaResolver } from '../events/event-decoder.js';
import { tableTopic } from '../events/topic-names.js';
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
export function topicRowsReader(kafka: Kafka, topicPrefix: string, registryUrl: string | undefined): PublishedRows {
  let schemas: Promise<SchemaResolver> | undefined;
  return async (table, onRow, signal) => {
    schemas ??= new SchemaTopic(kafka, topicPrefix).readAll(signal).then((entries) => resolver(entries ?? [], registryUrl));
    const decoder = new EntityEventDecoder(await schemas);
    const topic = tableTopic(topicPrefix, table);
    const rows = new Map<string, Row>();
    await readTopicToEnd(kafka, topic, async ({ message }) => {
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

/** Writer schemas from the schema topic, and from the registry for Confluent-framed records. */
function resolver(entries: Parameters<typeof schemaTopicResolver>[0], registryUrl: string | undefined): SchemaResolver {
  const fromTopic = schemaTopicResolver(entries);
  const byId = new Map<number, Promise<AvroSchema | undefined>>();
  return (ref) => {
    if ('fingerprintHex' in ref) return fromTopic(ref);
    if (!registryUrl) throw new ConfigError(`the topics are framed for a schema registry (id ${ref.registryId}): set encoding.registryUrl in the config`);
    let schema = byId.get(ref.registryId);
    if (!schema) {
      schema = fetch(`${registryUrl.replace(/\/$/, '')}/schemas/ids/${ref.registryId}`).then(async (res) => {
        if (!res.ok) return undefined;
        return JSON.parse(((await res.json()) as { schema: string }).schema) as AvroSchema;
      });
      byId.set(ref.registryId, schema);
    }
    return schema;
  };
}
