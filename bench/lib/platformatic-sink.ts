// For bench/produce-ceiling (issue #19): logtap's exactly-once ChangeSink written with @platformatic/kafka instead
// of kafkajs, to measure the maintained client behind the same interface. Mirrors openTransactionalSink
// (src/kafka/change-sink.ts): idempotent transactional producers, one transaction per commit with the checkpoint
// record inside it, the same request chunks, commits alternating between two transactional ids, and the same
// short doubling retry of what the coordinator refuses while the previous commit's markers are written.
import { Producer, compatibilityPartitioner, stringSerializer, type MessageToProduce } from '@platformatic/kafka';
import type { ChangeSink } from '../../src/kafka/change-sink.js';
import { requestChunks, transactionalIds } from '../../src/kafka/change-sink.js';
import type { KafkaRecord } from '../../src/events/kafka-record.js';

type PlatformaticProducer = Producer<Buffer, Buffer, string, string>;

function messages(records: KafkaRecord[]): MessageToProduce<Buffer, Buffer, string, string>[] {
  return records.map((r) => ({
    topic: r.topic,
    ...(r.key === null ? {} : { key: r.key }),
    ...(r.value === null ? {} : { value: r.value }),
    headers: r.headers,
    ...(r.partition === undefined ? {} : { partition: r.partition }),
  }));
}

/** Exactly-once with @platformatic/kafka; `brokers` as `host:port`. */
export async function openPlatformaticTransactionalSink(brokers: string[], connector: string): Promise<ChangeSink> {
  const producers: PlatformaticProducer[] = transactionalIds(connector).map((transactionalId) => new Producer({
    clientId: `bench-${transactionalId}`,
    bootstrapBrokers: brokers,
    transactionalId,
    idempotent: true,
    // InitProducerId as a new producer (-1/-1, KIP-360): the client's default (0/0) claims to be producer 0 of
    // the id, and the coordinator answers PRODUCER_FENCED once the id was ever registered — every restart.
    producerId: -1n,
    producerEpoch: -1,
    acks: -1,
    // Kafka's Java partitioner (murmur2 masked positive); the client's default differs (`>>> 0`).
    partitioner: compatibilityPartitioner,
    serializers: { headerKey: stringSerializer, headerValue: stringSerializer },
    // As logtap's TRANSACTION_RETRY: 5 ms doubling, 10 times (the client's default is 3 times after 1 s).
    retries: 10,
    retryDelay: (_client, _operation, attempt) => 5 * 2 ** (attempt - 1),
  }));
  try {
    for (const producer of producers) {
      // InitProducerId with the transactional id (bumping its epoch: fences an older instance) happens in
      // beginTransaction; cancel only forgets the empty transaction locally (no EndTxn for an empty one).
      const fence = await producer.beginTransaction();
      await fence.cancel();
    }
  } catch (err) {
    await Promise.all(producers.map((p) => p.close().catch(() => {})));
    throw err;
  }
  let next = 0;
  return {
    mode: 'exactly-once',
    async commit(records, checkpoint) {
      const producer = producers[next]!;
      next = (next + 1) % producers.length;
      const tx = await producer.beginTransaction();
      try {
        for (const chunk of requestChunks([...records, checkpoint])) await tx.send({ messages: messages(chunk) });
        await tx.commit();
      } catch (err) {
        await tx.abort().catch(() => {});
        throw err;
      }
    },
    close: async () => { await Promise.all(producers.map((p) => p.close())); },
  };
}
