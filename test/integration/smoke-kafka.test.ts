import { afterAll, describe, expect, it } from 'vitest';
import { Kafka, logLevel } from 'kafkajs';
import { testBed } from '../helpers/test-bed.js';
import { uniqueName } from '../helpers/names.js';
import { waitFor } from '../helpers/wait.js';

// Proves the test bed's Kafka supports transactions on one node: committed messages are read by a
// read_committed consumer and aborted ones never are.
describe('test bed: Kafka transactions', () => {
  const kafka = new Kafka({ clientId: 'logtap-smoke', brokers: testBed().kafkaBrokers, logLevel: logLevel.NOTHING });
  const topic = uniqueName('smoke');
  const admin = kafka.admin();
  const producer = kafka.producer({ transactionalId: uniqueName('tx'), idempotent: true, maxInFlightRequests: 1 });
  const consumer = kafka.consumer({ groupId: uniqueName('group'), readUncommitted: false });

  afterAll(async () => {
    await consumer.disconnect();
    await producer.disconnect();
    await admin.deleteTopics({ topics: [topic] }).catch(() => {});
    await admin.disconnect();
  });

  it('reads a committed transaction and never an aborted one', async () => {
    await admin.connect();
    await admin.createTopics({ topics: [{ topic, numPartitions: 1 }], waitForLeaders: true });
    await producer.connect();

    const aborted = await producer.transaction();
    await aborted.send({ topic, messages: [{ key: 'k', value: 'aborted' }] });
    await aborted.abort();

    const committed = await producer.transaction();
    await committed.send({ topic, messages: [{ key: 'k', value: 'committed' }] });
    await committed.commit();

    // A marker after both, so the consumer knows it has read past them.
    const marker = await producer.transaction();
    await marker.send({ topic, messages: [{ key: 'k', value: 'end' }] });
    await marker.commit();

    const values: string[] = [];
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    await consumer.run({ eachMessage: async ({ message }) => { values.push(message.value!.toString()); } });

    await waitFor('the end marker', () => (values.includes('end') ? true : undefined), 30_000);
    expect(values).toEqual(['committed', 'end']);
  });
});
