import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Kafka } from 'kafkajs';
import { ConnectionError } from '../../src/errors.js';
import { createKafka } from '../../src/kafka/kafka-client.js';
import { openTransactionalSink } from '../../src/kafka/change-sink.js';
import { CheckpointStore } from '../../src/kafka/checkpoint-store.js';
import { SchemaTopic } from '../../src/kafka/schema-topic.js';
import { TopicManager } from '../../src/kafka/topic-manager.js';
import { uniqueName } from '../helpers/names.js';
import { type TempKafka, startTemporaryKafka } from '../helpers/temp-kafka.js';

// A restart attempt of the daemon reads its checkpoint and the schemas before it streams. When the broker
// is down at that moment the read must fail as a retriable connection error (the daemon backs off and
// tries again), not as a raw kafkajs error that ends the daemon.
describe('checkpoint and schema reads while the broker is down', () => {
  let broker: TempKafka;
  let kafka: Kafka;
  const prefix = uniqueName('rk');
  const name = uniqueName('rk');

  beforeAll(async () => {
    broker = await startTemporaryKafka();
    kafka = createKafka({ brokers: [broker.brokers] }, 'test', { retries: 2 });
  }, 180_000);

  afterAll(() => broker?.close(), 120_000);

  it('fail as retriable connection errors, then read the same checkpoint once the broker is back', async () => {
    const checkpoints = new CheckpointStore(kafka, prefix, name);
    const schemas = new SchemaTopic(kafka, prefix);
    await new TopicManager(kafka, name).ensure(checkpoints.topic, { partitions: 1, compacted: true });
    const sink = await openTransactionalSink(kafka, name);
    await sink.commit([], checkpoints.record({ connector: name, source: 'postgres', position: { token: 't1', display: 'lsn t1' }, snapshot: null, committedAtMicros: 1n, logtapVersion: 'test' }));
    await sink.close();

    await broker.stop();
    for (const read of [() => checkpoints.load(), () => schemas.readAll()]) {
      const err = await read().then(() => undefined, (e: unknown) => e);
      expect(err).toBeInstanceOf(ConnectionError);
      expect((err as ConnectionError).retriable).toBe(true);
      expect((err as Error).message).toMatch(new RegExp(`^Kafka unreachable while reading the (checkpoint|schemas) from ${prefix}\\._(offsets|schemas): .*ECONNREFUSED`));
      expect((err as Error).message).not.toContain('\n');
    }

    await broker.start();
    expect((await checkpoints.load())?.position.token).toBe('t1');
  }, 180_000);
});
