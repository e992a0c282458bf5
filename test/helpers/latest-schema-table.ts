import type avro from 'avsc';
import type { Kafka } from 'kafkajs';
import { avroType } from '../../src/avro/avro-type.js';
import { readSingleObjectHeader } from '../../src/avro/single-object.js';
import { HEADER } from '../../src/events/event-encoder.js';
import { readTopicToEnd } from '../../src/kafka/read-to-end.js';
import { SchemaTopic } from '../../src/kafka/schema-topic.js';

/**
 * A table's topic read the way a plain Avro consumer that knows only the LATEST schema reads it: every record is
 * resolved from its writer schema (named by its fingerprint) to the latest value schema with Avro schema
 * resolution, so fields added later read their defaults on older records. Folded per key (last value wins,
 * tombstones delete, a truncate marker empties the rows of its partition). Keys are the key record's field values
 * joined by ','; values are the latest schema's records as avsc reads them (longs as BigInt, nullable unions
 * unwrapped).
 */
export async function latestSchemaTable(kafka: Kafka, topicPrefix: string, topic: string): Promise<Map<string, Record<string, unknown>>> {
  const entries = (await new SchemaTopic(kafka, topicPrefix).readAll()) ?? [];
  const latest = (subject: string) => entries.filter((e) => e.subject === subject).sort((a, b) => b.version - a.version)[0];
  const value = latest(`${topic}-value`);
  if (!value) throw new Error(`the schema topic of ${topicPrefix} has no ${topic}-value subject`);
  const reader = avroType(value.schema);
  const writers = new Map(entries.map((e) => [e.fingerprintHex, e.schema]));
  const resolvers = new Map<string, avro.Resolver>();
  const keyTypes = new Map<string, avro.Type>();
  const keyText = (bytes: Buffer): string => {
    const { fingerprintHex, body } = readSingleObjectHeader(bytes);
    let type = keyTypes.get(fingerprintHex);
    if (!type) {
      const schema = writers.get(fingerprintHex);
      if (!schema) throw new Error(`${topic}: a key names fingerprint ${fingerprintHex}, unknown to the schema topic`);
      type = avroType(schema);
      keyTypes.set(fingerprintHex, type);
    }
    return Object.values(type.fromBuffer(body) as Record<string, unknown>).map(String).join(',');
  };
  const rows = new Map<string, { partition: number; row: Record<string, unknown> }>();
  await readTopicToEnd(kafka, topic, ({ partition, message }) => {
    if (String(message.headers?.[HEADER.op] ?? '') === 't') {
      for (const [key, entry] of rows) if (entry.partition === partition) rows.delete(key);
      return;
    }
    if (!message.key) throw new Error(`${topic}: a record without a key (this reader is for keyed tables)`);
    const key = keyText(message.key);
    if (message.value === null) {
      rows.delete(key);
      return;
    }
    const { fingerprintHex, body } = readSingleObjectHeader(message.value);
    let resolver = resolvers.get(fingerprintHex);
    if (!resolver) {
      const writer = writers.get(fingerprintHex);
      if (!writer) throw new Error(`${topic}: a value names fingerprint ${fingerprintHex}, unknown to the schema topic`);
      resolver = reader.createResolver(avroType(writer));
      resolvers.set(fingerprintHex, resolver);
    }
    rows.set(key, { partition, row: reader.fromBuffer(body, resolver) as Record<string, unknown> });
  });
  return new Map([...rows].map(([key, entry]) => [key, entry.row]));
}
