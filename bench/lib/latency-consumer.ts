// For bench/mysql-stream: a read_committed consumer in its own process that measures, per record, the time
// from the row's insert (its created_at, written with NOW(6)) to the record being readable in Kafka.
// `node latency-consumer.js <brokers> <topicPrefix> <topic> <count>` prints {"p50":…,"p99":…,"max":…,"n":…}.
// A line `count <n>` on stdin replaces the count (the writer's exact number once it is done: a rate writer can fall short).
import { createKafka } from '../../src/kafka/kafka-client.js';
import { SchemaTopic } from '../../src/kafka/schema-topic.js';
import { EntityEventDecoder, schemaTopicResolver } from '../../src/events/event-decoder.js';

const [brokers, prefix, topic, count] = process.argv.slice(2);
const kafka = createKafka({ brokers: brokers!.split(',') }, 'bench-latency');
// The schemas are read now (logtap published them during the catch-up): read at the first record, their
// read would delay every record behind it and count as latency.
const decoder = new EntityEventDecoder(schemaTopicResolver((await new SchemaTopic(kafka, prefix!).readAll()) ?? []));
const latencies: number[] = [];
const consumer = kafka.consumer({ groupId: `bench-latency-${Date.now()}`, readUncommitted: false, maxWaitTimeInMs: 20 });
await consumer.connect();
await consumer.subscribe({ topic: topic!, fromBeginning: false });
let done!: () => void;
const finished = new Promise<void>((r) => { done = r; });
let expected = Number(count);
process.stdin.setEncoding('utf8').on('data', (text: string) => {
  const match = /count (\d+)/.exec(text);
  if (!match) return;
  expected = Number(match[1]);
  if (latencies.length >= expected) done();
});
await consumer.run({
  // A batch's records became readable together: one arrival time for all, so this consumer's own decoding is
  // not counted as latency.
  eachBatch: async ({ batch }) => {
    const now = Date.now() * 1000;
    for (const message of batch.messages) {
      const event = await decoder.decode({ key: message.key, value: message.value, headers: message.headers as Record<string, Buffer> });
      if (event.kind === 'row' && typeof event.row.created_at === 'bigint') latencies.push((now - Number(event.row.created_at)) / 1000);
    }
    if (latencies.length >= expected) done();
  },
});
process.stdout.write('ready\n');
await Promise.race([finished, new Promise((r) => setTimeout(r, 120_000))]);
await consumer.disconnect();
latencies.sort((a, b) => a - b);
const pct = (p: number) => latencies[Math.min(latencies.length - 1, Math.floor((p / 100) * latencies.length))] ?? NaN;
process.stdout.write(`${JSON.stringify({ p50: pct(50), p99: pct(99), max: pct(100), n: latencies.length })}\n`);
