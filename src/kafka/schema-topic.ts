import type { Kafka, Producer } from 'kafkajs';
import { SinkError } from '../errors.js';
import { fixedSchema } from '../schema/fixed-schemas.js';
import type { SchemaEntry } from '../schema/schema-catalog.js';
import { fingerprintHex } from '../schema/schema-catalog.js';
import { fingerprint64Bytes } from '../avro/fingerprint.js';
import { frameSingleObject, readSingleObjectHeader } from '../avro/single-object.js';
import type { AvroSchema } from '../avro/column-avro-type.js';
import { schemaTopic } from '../events/topic-names.js';
import { readTopicToEnd } from './read-to-end.js';
import { kafkaReadError } from './kafka-errors.js';
import { readWhileLeadershipMoves } from './leadership-retry.js';

/**
 * Schema records per produce request: one partition's records of a request form one record batch, which the
 * broker refuses past message.max.bytes (1 MiB by default); a table's value schema is a few kB at most.
 */
const SCHEMAS_PER_REQUEST = 100;

interface SchemaRecord {
  fingerprint: string;
  subject: string;
  version: number;
  table: string | null;
  schema: string;
  registeredAtMicros: bigint;
}

/**
 * The compacted topic `<topicPrefix>._schemas`: every schema logtap writes with, keyed by its
 * fingerprint, published (and acknowledged by all in-sync replicas) before the first record using it.
 */
export class SchemaTopic {
  readonly topic: string;
  private readonly recordSchema = fixedSchema('schema-record');
  private readonly recordFingerprint: Buffer;

  constructor(private readonly kafka: Kafka, topicPrefix: string) {
    this.topic = schemaTopic(topicPrefix);
    this.recordFingerprint = fingerprint64Bytes(this.recordSchema.schema as object);
  }

  publish(producer: Producer, entry: SchemaEntry): Promise<void> {
    return this.publishAll(producer, [entry]);
  }

  /** Publishes `entries` in order, SCHEMAS_PER_REQUEST to a request (a snapshot of thousands of tables has thousands). */
  async publishAll(producer: Producer, entries: readonly SchemaEntry[]): Promise<void> {
    for (let from = 0; from < entries.length; from += SCHEMAS_PER_REQUEST) {
      const batch = entries.slice(from, from + SCHEMAS_PER_REQUEST);
      const messages = batch.map((entry) => {
        const record: SchemaRecord = {
          fingerprint: entry.fingerprintHex,
          subject: entry.subject,
          version: entry.version,
          table: entry.table,
          schema: JSON.stringify(entry.schema),
          registeredAtMicros: BigInt(Date.now()) * 1000n,
        };
        return { key: entry.fingerprintHex, value: frameSingleObject(this.recordFingerprint, this.recordSchema.type.toBuffer(record)) };
      });
      try {
        await producer.send({ topic: this.topic, acks: -1, messages });
      } catch (err) {
        const what = batch.length === 1 ? `schema ${batch[0]!.subject} v${batch[0]!.version}` : `${batch.length} schemas (${batch[0]!.subject} v${batch[0]!.version}, …)`;
        throw new SinkError(`cannot publish ${what} to ${this.topic}: ${(err as Error).message}`, { cause: err });
      }
    }
  }

  /** Every schema in the topic, oldest first (the latest record of a fingerprint wins); null when there is no topic. */
  async readAll(signal?: AbortSignal): Promise<SchemaEntry[] | null> {
    const byKey = new Map<string, SchemaEntry>();
    // Each try reads from the start into the same map (keyed): a second try is harmless.
    const exists = await readWhileLeadershipMoves(() => readTopicToEnd(this.kafka, this.topic, ({ message }) => {
      if (!message.key || !message.value) return;
      const record = this.recordSchema.type.fromBuffer(readSingleObjectHeader(message.value).body) as SchemaRecord;
      const schema = JSON.parse(record.schema) as AvroSchema;
      const fingerprint = fingerprint64Bytes(schema as object);
      byKey.set(`${record.subject}/${record.fingerprint}`, {
        subject: record.subject, version: record.version, fingerprint, fingerprintHex: fingerprintHex(fingerprint), schema, table: record.table,
      });
    }, { ...(signal ? { signal } : {}), groupPrefix: 'logtap-schemas' }), { signal }).catch((err: unknown) => {
      throw kafkaReadError(err, `reading the schemas from ${this.topic}`);
    });
    return exists ? [...byKey.values()] : null;
  }
}
