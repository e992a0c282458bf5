import type { Kafka } from 'kafkajs';
import { type Checkpoint, decodeCheckpoint, encodeCheckpoint } from '../pipeline/checkpoint.js';
import { offsetsTopic } from '../events/topic-names.js';
import type { KafkaRecord } from '../events/kafka-record.js';
import { readTopicToEnd } from './read-to-end.js';
import { kafkaReadError } from './kafka-errors.js';

/**
 * Checkpoints live in the compacted topic `<topicPrefix>._offsets`, keyed by connector name, written in
 * the same Kafka transaction as the changes they cover: a committed transaction is a durable checkpoint.
 */
export class CheckpointStore {
  readonly topic: string;

  constructor(private readonly kafka: Kafka, topicPrefix: string, private readonly connector: string) {
    this.topic = offsetsTopic(topicPrefix);
  }

  /** The last committed checkpoint of this connector (read_committed), or null on a first start. */
  async load(signal?: AbortSignal): Promise<Checkpoint | null> {
    let latest: Checkpoint | null = null;
    await readTopicToEnd(this.kafka, this.topic, ({ message }) => {
      if (message.key?.toString() !== this.connector) return;
      latest = message.value ? decodeCheckpoint(message.value) : null;
    }, { ...(signal ? { signal } : {}), groupPrefix: 'logtap-offsets' }).catch((err: unknown) => {
      throw kafkaReadError(err, `reading the checkpoint from ${this.topic}`);
    });
    return latest;
  }

  record(checkpoint: Checkpoint): KafkaRecord {
    return { topic: this.topic, key: Buffer.from(this.connector), value: encodeCheckpoint(checkpoint), headers: {} };
  }
}
