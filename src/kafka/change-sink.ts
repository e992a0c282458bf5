import type { Kafka, Producer, TopicMessages } from 'kafkajs';
import type { KafkaRecord } from '../events/kafka-record.js';
import { type RefusedTopic, kafkaError } from './kafka-errors.js';
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

/** A record's framing in a batch at its widest: length, attributes, timestamp and offset deltas, key and value lengths, header count. */
const RECORD_FRAMING_BYTES = 5 + 1 + 10 + 5 + 5 + 5 + 5;
/** A header's framing at its widest: the varint lengths of its name and value. */
const HEADER_FRAMING_BYTES = 5 + 5;

/**
 * An upper bound of a record's size in a record batch: key, value, headers and per-record framing. Headers are
 * counted in their UTF-8 bytes: on a one-row change they weigh about as much as the row, and the 3 × length bound
 * of before cut each transaction into almost twice the requests (one round trip each) that it needs.
 */
export function recordBytes(r: KafkaRecord): number {
  let bytes = (r.key?.length ?? 0) + (r.value?.length ?? 0) + RECORD_FRAMING_BYTES;
  for (const name in r.headers) bytes += Buffer.byteLength(name) + Buffer.byteLength(r.headers[name]!) + HEADER_FRAMING_BYTES;
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
    t.messages.push({ key: r.key, value: r.value, headers: r.headers, ...(r.partition === undefined ? {} : { partition: r.partition }) });
  }
  return [...byTopic.values()];
}

/** Names the table of a topic (undefined: not a table's), for the message when the broker refuses records. */
export type TableOfTopic = (topic: string) => string | undefined;

/** The topics of a request, for naming them when the broker refused it. */
export function refusedTopics(records: readonly KafkaRecord[], tableOf: TableOfTopic): RefusedTopic[] {
  const byTopic = new Map<string, RefusedTopic>();
  for (const r of records) {
    let t = byTopic.get(r.topic);
    if (!t) byTopic.set(r.topic, (t = { topic: r.topic, table: tableOf(r.topic), keyless: false }));
    if (r.key === null) t.keyless = true;
  }
  return [...byTopic.values()];
}

/**
 * A transaction that starts right after the previous commit of the same transactional id finds the
 * coordinator still writing that commit's markers and is told CONCURRENT_TRANSACTIONS: kafkajs retries after
 * 200 ms, a stall every few transactions (p99 ~200 ms at 2k tx/s). Consecutive commits therefore alternate
 * between two transactional ids (below), and what still collides is retried after 5 ms, doubling, as many
 * times as keep the whole retry near the client's ~6 s for real outages.
 */
const TRANSACTION_RETRY = { initialRetryTime: 5, retries: 10 };

/** The transactional ids of a connector: derived from its name, so a second instance fences the first. */
export function transactionalIds(connector: string): string[] {
  return [`logtap-${connector}`, `logtap-${connector}#2`];
}

/**
 * Exactly-once. Commits alternate between two transactional producers: one commits while the other's last
 * commit is still being completed by the coordinator. Order holds because a commit starts only after the
 * previous one returned (its records are in the log first), and a read_committed reader sees neither
 * transaction before its own marker is written. Opening both ids fences (and aborts the open transaction of)
 * any older instance before anything is read; a fenced producer's next commit fails, non-retriably.
 */
export async function openTransactionalSink(kafka: Kafka, connector: string, tableOf: TableOfTopic = () => undefined): Promise<ChangeSink> {
  const producers: Producer[] = transactionalIds(connector).map((transactionalId) =>
    kafka.producer({ transactionalId, idempotent: true, maxInFlightRequests: 1, createPartitioner: JavaCompatiblePartitioner, retry: TRANSACTION_RETRY }));
  try {
    for (const producer of producers) {
      await producer.connect();
      // kafkajs registers the transactional id (bumping its epoch, which fences older instances and aborts
      // their open transaction) only on the first transaction(): do it now.
      const fence = await producer.transaction();
      await fence.abort();
    }
  } catch (err) {
    await Promise.all(producers.map((p) => p.disconnect().catch(() => {})));
    throw kafkaError(err, 'connecting the transactional producer', connector);
  }
  let next = 0;
  return {
    mode: 'exactly-once',
    async commit(records, checkpoint) {
      const producer = producers[next]!;
      next = (next + 1) % producers.length;
      let tx;
      let sending: KafkaRecord[] = [];
      try {
        tx = await producer.transaction();
        for (const chunk of requestChunks([...records, checkpoint])) {
          sending = chunk;
          await tx.sendBatch({ topicMessages: topicMessages(chunk), acks: -1 });
        }
        sending = [];
        await tx.commit();
      } catch (err) {
        await tx?.abort().catch(() => {});
        throw kafkaError(err, `committing ${records.length} change record(s)`, connector, refusedTopics(sending, tableOf));
      }
    },
    close: async () => { await Promise.all(producers.map((p) => p.disconnect())); },
  };
}

/** At-least-once: an idempotent producer; the checkpoint is written only after the records are acknowledged. */
export async function openIdempotentSink(kafka: Kafka, connector: string, tableOf: TableOfTopic = () => undefined): Promise<ChangeSink> {
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1, createPartitioner: JavaCompatiblePartitioner });
  try {
    await producer.connect();
  } catch (err) {
    throw kafkaError(err, 'connecting the producer', connector);
  }
  return {
    mode: 'at-least-once',
    async commit(records, checkpoint) {
      let sending: KafkaRecord[] = [];
      try {
        for (const chunk of requestChunks(records)) {
          sending = chunk;
          await producer.sendBatch({ topicMessages: topicMessages(chunk), acks: -1 });
        }
        sending = [checkpoint];
        await producer.sendBatch({ topicMessages: topicMessages([checkpoint]), acks: -1 });
      } catch (err) {
        throw kafkaError(err, `writing ${records.length} change record(s)`, connector, refusedTopics(sending, tableOf));
      }
    },
    close: () => producer.disconnect(),
  };
}
