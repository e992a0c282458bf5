import type { Kafka } from 'kafkajs';
import type avro from 'avsc';
import { avroType } from '../../src/avro/avro-type.js';
import { readFraming } from '../../src/events/event-decoder.js';
import { valueSubject } from '../../src/events/topic-names.js';
import { readTopicToEnd } from '../../src/kafka/read-to-end.js';
import { SchemaTopic } from '../../src/kafka/schema-topic.js';

/**
 * Reads a table topic from the beginning as a consumer holding only the LATEST value schema would: each record is
 * read through Avro schema resolution from its own writer schema (found by fingerprint in the schema topic). The
 * last record of each `keyField` value wins; records are avsc's values of the latest schema.
 */
export async function readWithLatestValueSchema(kafka: Kafka, topicPrefix: string, topic: string, keyField: string): Promise<{ rows: Map<string, Record<string, unknown>>; versions: number }> {
  const entries = ((await new SchemaTopic(kafka, topicPrefix).readAll()) ?? []).filter((e) => e.subject === valueSubject(topic));
  const latest = entries.reduce((a, b) => (b.version > a.version ? b : a));
  const reader = avroType(latest.schema);
  const resolvers = new Map<string, avro.Resolver>();
  const rows = new Map<string, Record<string, unknown>>();
  await readTopicToEnd(kafka, topic, ({ message }) => {
    if (!message.value) return;
    const { ref, body } = readFraming(message.value);
    if (!('fingerprintHex' in ref)) throw new Error('expected the registry-free framing');
    let resolver = resolvers.get(ref.fingerprintHex);
    if (!resolver) {
      const writer = entries.find((e) => e.fingerprintHex === ref.fingerprintHex);
      if (!writer) throw new Error(`no value schema with fingerprint ${ref.fingerprintHex}`);
      resolver = reader.createResolver(avroType(writer.schema));
      resolvers.set(ref.fingerprintHex, resolver);
    }
    const record = reader.fromBuffer(body, resolver) as Record<string, unknown>;
    rows.set(String(record[keyField]), record);
  });
  return { rows, versions: entries.length };
}
