import type { Kafka } from 'kafkajs';
import { type Checkpoint, decodeCheckpoint, encodeCheckpoint } from '../pipeline/checkpoint.js';
import { offsetsTopic } from '../events/topic-names.js';
import type { KafkaRecord } from '../events/kafka-record.js';
import { readTopicToEnd } from './read-to-end.js';
import { type LastFailure, decodeLastFailure, encodeLastFailure, lastFailureKey } from '../pipeline/last-failure.js';
import { kafkaReadError } from './kafka-errors.js';
import { readWhileLeadershipMoves } from './leadership-retry.js';
import { type EventContractState, decodeEventContractState, encodeEventContractState, eventContractKey } from '../pipeline/event-contract.js';

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
    return (await this.loadState(signal)).checkpoint;
  }

  /** The last committed checkpoint and the failure that stopped the connector since (src/pipeline/last-failure.ts), if any. */
  async loadState(signal?: AbortSignal): Promise<{ checkpoint: Checkpoint | null; failure: LastFailure | null; contract: EventContractState | null }> {
    const failureKey = lastFailureKey(this.connector);
    const contractKey = eventContractKey(this.connector);
    let checkpoint: Checkpoint | null = null;
    let failure: LastFailure | null = null;
    let contract: EventContractState | null = null;
    // Each try reads from the start; a later record of a key overwrites an earlier one, so a second try is harmless.
    await readWhileLeadershipMoves(() => readTopicToEnd(this.kafka, this.topic, ({ message }) => {
      const key = message.key?.toString();
      if (key === this.connector) checkpoint = message.value ? decodeCheckpoint(message.value) : null;
      else if (key === failureKey) failure = message.value ? decodeLastFailure(message.value) : null;
      else if (key === contractKey) contract = message.value ? decodeEventContractState(message.value) : null;
    }, { ...(signal ? { signal } : {}), groupPrefix: 'logtap-offsets' }), { signal }).catch((err: unknown) => {
      throw kafkaReadError(err, `reading the checkpoint from ${this.topic}`);
    });
    return { checkpoint, failure, contract };
  }

  record(checkpoint: Checkpoint): KafkaRecord {
    return { topic: this.topic, key: Buffer.from(this.connector), value: encodeCheckpoint(checkpoint), headers: {} };
  }

  /** A tombstone of the checkpoint: the next start is a first start (logtap offsets reset). */
  forgetRecord(): KafkaRecord {
    return { topic: this.topic, key: Buffer.from(this.connector), value: null, headers: {} };
  }

  /** The event contract's state beside the checkpoint (src/pipeline/event-contract.ts). */
  eventContractRecord(state: EventContractState): KafkaRecord {
    return { topic: this.topic, key: Buffer.from(eventContractKey(this.connector)), value: encodeEventContractState(state), headers: {} };
  }

  /** Records why the connector stopped; null: a tombstone that clears it. */
  failureRecord(failure: LastFailure | null): KafkaRecord {
    return { topic: this.topic, key: Buffer.from(lastFailureKey(this.connector)), value: failure ? encodeLastFailure(failure) : null, headers: {} };
  }
}
