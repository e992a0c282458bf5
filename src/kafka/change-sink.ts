import type { Kafka, Producer, TopicMessages } from 'kafkajs';
import type { KafkaRecord } from '../events/kafka-record.js';
import { kafkaError } from './kafka-errors.js';
import { JavaCompatiblePartitioner } from './java-partitioner.js';

/**
 * Where the pipeline makes changes durable. `commit` returns only when the records and the checkpoint
 * are durable: in one Kafka transaction (exactly-once), or the records and then the checkpoint
 * (at-least-once, for clusters without transactions: a crash between the two repeats changes).
 */
export interface ChangeSink {
  readonly mode: 'exactly-once' | 'at-least-once';
  commit(records: KafkaRecord[], checkpoint: KafkaRecord): Promise<void>;
  close(): Promise<void>;
}

/**
 * Kafka refuses a record batch larger than `message.max.bytes` (1 MiB by default), and kafkajs sends each
 * partition's messages of a request as one batch: a transaction's records go out in requests of at most
 * this many bytes (all inside the same transaction).
 */
export const MAX_REQUEST_BYTES = 512 * 1024;

/** An upper bound of a record's size in a record batch: key, value, headers and per-record framing. */
export function recordBytes(r: KafkaRecord): number {
  let bytes = (r.key?.length ?? 0) + (r.value?.length ?? 0) + 32;
  for (const name in r.headers) bytes += name.length * 3 + r.headers[name]!.length * 3 + 10;
  return bytes;
}

/** Consecutive slices of `records` holding at most MAX_REQUEST_BYTES each (a larger record alone). */
export function requestChunks(records: KafkaRecord[]): KafkaRecord[][] {
  const chunks: KafkaRecord[][] = [];
  let chunk: KafkaRecord[] = [];
  let bytes = 0;
  for (const r of records) {
    const size = recordBytes(r);
    if (chunk.length > 0 && bytes + size > MAX_REQUEST_BYTES) {
      chunks.push(chunk);
      chunk = [];
      bytes = 0;
    }
    chunk.push(r);
    bytes += size;
  }
  if (chunk.length > 0) chunks.push(chunk);
  return chunks;
}

function topicMessages(records: KafkaRecord[]): TopicMessages[] {
  const byTopic = new Map<string, TopicMessages>();
  for (const r of records) {
    let t = byTopic.get(r.topic);
    if (!t) byTopic.set(r.topic, (t = { topic: r.topic, messages: [] }));
    t.messages.push({ key: r.key, value: r.value, headers: r.headers });
  }
  return [...byTopic.values()];
}

/**
 * A transaction that starts right after the previous commit finds the coordinator still writing that
 * commit's markers and is told CONCURRENT_TRANSACTIONS: retried after kafkajs' usual 200 ms, every such
 * collision stalled the stream (p99 latency ~200 ms at 2k tx/s). Java's producer retries this case after
 * 20 ms; so do we, with as many doublings as keep the whole retry near the client's ~6 s for real outages.
 */
const TRANSACTION_RETRY = { initialRetryTime: 20, retries: 8 };

/**
 * Exactly-once: the transactional id is derived from the connector name, so a second instance with
 * the same name fences this one (its next commit fails, non-retriably).
 */
export async function openTransactionalSink(kafka: Kafka, connector: string): Promise<ChangeSink> {
  const producer: Producer = kafka.producer({ transactionalId: `logtap-${connector}`, idempotent: true, maxInFlightRequests: 1, createPartitioner: JavaCompatiblePartitioner, retry: TRANSACTION_RETRY });
  try {
    await producer.connect();
    // kafkajs registers the transactional id (bumping its epoch, which fences older instances and aborts
    // their open transaction) only on the first transaction(): do it now, before anything is read.
    const fence = await producer.transaction();
    await fence.abort();
  } catch (err) {
    throw kafkaError(err, 'connecting the transactional producer', connector);
  }
  return {
    mode: 'exactly-once',
    async commit(records, checkpoint) {
      let tx;
      try {
        tx = await producer.transaction();
        for (const chunk of requestChunks([...records, checkpoint])) await tx.sendBatch({ topicMessages: topicMessages(chunk), acks: -1 });
        await tx.commit();
      } catch (err) {
        await tx?.abort().catch(() => {});
        throw kafkaError(err, `committing ${records.length} change record(s)`, connector);
      }
    },
    close: () => producer.disconnect(),
  };
}

/** At-least-once: an idempotent producer; the checkpoint is written only after the records are acknowledged. */
export async function openIdempotentSink(kafka: Kafka, connector: string): Promise<ChangeSink> {
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1, createPartitioner: JavaCompatiblePartitioner });
  try {
    await producer.connect();
  } catch (err) {
    throw kafkaError(err, 'connecting the producer', connector);
  }
  return {
    mode: 'at-least-once',
    async commit(records, checkpoint) {
      try {
        for (const chunk of requestChunks(records)) await producer.sendBatch({ topicMessages: topicMessages(chunk), acks: -1 });
        await producer.sendBatch({ topicMessages: topicMessages([checkpoint]), acks: -1 });
      } catch (err) {
        throw kafkaError(err, `writing ${records.length} change record(s)`, connector);
      }
    },
    close: () => producer.disconnect(),
  };
}
