// Watches a topic as a read_committed consumer in its own process (its work is counted as neither tool's) and
// tells when the workload's last event is readable — measured the same way for both tools:
//   `node topic-watch.js <brokers> <topic> find <text>`: a record whose value holds <text> (the workload's
//     closing row: its payload is a unique string, written verbatim in Avro as in JSON);
//   `node topic-watch.js <brokers> <topic> count <n>`: <n> records (a snapshot topic holds only the table's rows).
// Prints "ready" once it joined, then `done <epoch ms>`.
import { createKafka } from '../../src/kafka/kafka-client.js';

const [brokers, topic, mode, arg] = process.argv.slice(2);
const kafka = createKafka({ brokers: brokers!.split(',') }, 'bench-vs-debezium-watch');
const consumer = kafka.consumer({ groupId: `bench-vs-debezium-watch-${Date.now()}`, readUncommitted: false, maxWaitTimeInMs: 20, allowAutoTopicCreation: false });
const needle = Buffer.from(arg ?? '');
let count = 0;
const finish = () => {
  process.stdout.write(`done ${Date.now()}\n`);
  process.exit(0);
};
// A topic is created by the tool with its first event: wait for it rather than let the subscription create it.
const admin = kafka.admin();
await admin.connect();
while (!(await admin.listTopics()).includes(topic!)) await new Promise((r) => setTimeout(r, 100));
await admin.disconnect();
await consumer.connect();
await consumer.subscribe({ topic: topic!, fromBeginning: true });
consumer.on(consumer.events.GROUP_JOIN, () => process.stdout.write('ready\n'));
await consumer.run({
  eachBatch: async ({ batch }) => {
    // Control records (transaction markers) are not delivered: every message is a row event.
    if (mode === 'count') {
      count += batch.messages.length;
      if (count >= Number(arg)) finish();
    } else if (batch.messages.some((m) => m.value?.includes(needle))) {
      finish();
    }
  },
});
