// For bench/pg-big-transaction: a read_committed consumer in its own process that counts a topic's records and
// prints when the `count`th became readable. `node count-consumer.js <brokers> <topic> <count>` prints `ready`
// once it consumes, then {"lastAt": <epoch ms>, "n": <records>}.
import { createKafka } from '../../src/kafka/kafka-client.js';

const [brokers, topic, count] = process.argv.slice(2);
const kafka = createKafka({ brokers: brokers!.split(',') }, 'bench-count');
const consumer = kafka.consumer({ groupId: `bench-count-${Date.now()}`, readUncommitted: false, maxWaitTimeInMs: 20, maxBytes: 64 << 20 });
let n = 0;
let lastAt = 0;
consumer.on(consumer.events.GROUP_JOIN, () => process.stdout.write('ready\n'));
await consumer.connect();
await consumer.subscribe({ topic: topic!, fromBeginning: true });
await consumer.run({
  eachBatch: async ({ batch }) => {
    n += batch.messages.length;
    if (n >= Number(count) && lastAt === 0) {
      lastAt = Date.now();
      // Printed at once: kafkajs's disconnect can hang for minutes after a long read_committed read.
      process.stdout.write(`${JSON.stringify({ lastAt, n })}\n`);
      process.exit(0);
    }
  },
});
// Not all read in 10 minutes: say how many were.
await new Promise((r) => setTimeout(r, 600_000));
await consumer.disconnect();
process.stdout.write(`${JSON.stringify({ lastAt, n })}\n`);
