import { randomBytes } from 'node:crypto';
import type { Admin, AdminConfig, Kafka, KafkaMessage } from 'kafkajs';

/** kafkajs' ISOLATION_LEVEL.READ_UNCOMMITTED. */
const READ_UNCOMMITTED = 0;

/**
 * An admin client whose offset listing gives the high watermark (kafkajs' admin lists read_committed, the last
 * stable offset, unless told otherwise: patches/). See readTopicToEnd for why an end must be the high watermark.
 */
export function highWatermarkAdmin(kafka: Kafka): Admin {
  return kafka.admin({ isolationLevel: READ_UNCOMMITTED } as AdminConfig);
}

export interface TopicMessage {
  partition: number;
  offset: string;
  message: KafkaMessage;
}

/**
 * Reads every committed message of a topic, from the beginning up to the end offsets it had when the
 * read started, then returns. Used for the compacted topics logtap keeps (schemas, checkpoints) and by
 * replay. Transaction markers count as read, so the end is reached even when the last record is one.
 * Returns false, having read nothing, when the topic does not exist.
 *
 * The end is the high watermark, not the last stable offset: a transaction whose commit has returned to
 * its producer may still wait for its markers, and the last stable offset stays before it until they are
 * written — a read ending there would miss what was just committed. A transaction open at the start is
 * therefore waited for (until it commits or aborts).
 */
export async function readTopicToEnd(
  kafka: Kafka,
  topic: string,
  onMessage: (m: TopicMessage) => void | Promise<void>,
  options: { signal?: AbortSignal; groupPrefix?: string } = {},
): Promise<boolean> {
  const admin = highWatermarkAdmin(kafka);
  await admin.connect();
  let ends: Map<number, bigint>;
  try {
    if (!(await admin.listTopics()).includes(topic)) return false;
    const offsets = await admin.fetchTopicOffsets(topic);
    ends = new Map(offsets.filter((p) => BigInt(p.high) > BigInt(p.low)).map((p) => [p.partition, BigInt(p.high)]));
  } finally {
    await admin.disconnect();
  }
  if (ends.size === 0) return true;

  // A throwaway group: kafkajs has no manual assignment, and nothing is committed.
  const consumer = kafka.consumer({ groupId: `${options.groupPrefix ?? 'logtap-read'}-${randomBytes(6).toString('hex')}`, readUncommitted: false });
  const remaining = new Set(ends.keys());
  let finish!: () => void;
  let fail!: (err: unknown) => void;
  const done = new Promise<void>((resolve, reject) => { finish = resolve; fail = reject; });
  const onAbort = () => fail(options.signal?.reason ?? new Error('aborted'));
  options.signal?.addEventListener('abort', onAbort, { once: true });
  consumer.on(consumer.events.END_BATCH_PROCESS, ({ payload }) => {
    // kafkajs reports a re-fetched batch whose records all lie before the fetch offset with no first
    // offset and `lastOffset = highWatermark - 1`: that says nothing about progress. Batches of transaction
    // markers alone do carry their offsets.
    if (payload.firstOffset === null || payload.firstOffset === undefined) return;
    const end = ends.get(payload.partition);
    if (payload.topic === topic && end !== undefined && BigInt(payload.lastOffset) + 1n >= end) {
      remaining.delete(payload.partition);
      if (remaining.size === 0) finish();
    }
  });
  consumer.on(consumer.events.CRASH, ({ payload }) => fail(payload.error));
  try {
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    // Each offset once, in order, and nothing once the end is reached (a batch may still be in flight
    // while the consumer disconnects, and a rebalance may deliver a batch again).
    const next = new Map<number, bigint>();
    let finished = false;
    void done.then(() => { finished = true; }, () => { finished = true; });
    await consumer.run({
      autoCommit: false,
      eachMessage: async ({ partition, message }) => {
        const end = ends.get(partition);
        const offset = BigInt(message.offset);
        if (finished || end === undefined || offset >= end || offset < (next.get(partition) ?? 0n)) return;
        next.set(partition, offset + 1n);
        await onMessage({ partition, offset: message.offset, message });
      },
    });
    await done;
    return true;
  } finally {
    options.signal?.removeEventListener('abort', onAbort);
    await consumer.disconnect();
  }
}
