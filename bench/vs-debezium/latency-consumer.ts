// A read_committed consumer in its own process (its work is not counted as either tool's) that measures,
// per inserted row, the time from the row's insert (its created_us column, the source's clock in µs) to
// the record being readable in Kafka. Both tools' records: logtap's Avro (single-object) and Debezium's JSON.
// `node latency-consumer.js <brokers> <topic> <logtap|debezium> <topicPrefix> <minCreatedUs> <timeoutMs>`
// prints "ready", reads the number of rows written from stdin, then prints {"p50":…,"p99":…,"max":…,"n":…}.
import { createKafka } from '../../src/kafka/kafka-client.js';
import { SchemaTopic } from '../../src/kafka/schema-topic.js';
import { EntityEventDecoder, schemaTopicResolver } from '../../src/events/event-decoder.js';

const [brokers, topic, format, prefix, minCreatedUs, timeoutMs] = process.argv.slice(2);
// How many rows the phase wrote arrives on stdin once the writer is done.
let expected = Infinity;
process.stdin.once('data', (d) => { expected = Number(d.toString().trim()); if (latencies.length >= expected) done(); });
const kafka = createKafka({ brokers: brokers!.split(',') }, 'bench-vs-debezium-latency');
const latencies: number[] = [];
// logtap's schemas are read now (the tool published them when it started): read at the first record, their read
// would delay every record behind it and count as latency.
const decoder = format === 'debezium' ? undefined : new EntityEventDecoder(schemaTopicResolver((await new SchemaTopic(kafka, prefix!).readAll()) ?? []));

async function createdUs(key: Buffer | null, value: Buffer | null, headers: Record<string, Buffer>): Promise<number | undefined> {
  if (!value) return undefined;
  if (format === 'debezium') {
    const after = (JSON.parse(value.toString()) as { after?: { created_us?: number } }).after;
    return after?.created_us;
  }
  const event = await decoder!.decode({ key, value, headers });
  const v = event.kind === 'row' ? event.row.created_us : undefined;
  return typeof v === 'bigint' || typeof v === 'number' ? Number(v) : undefined;
}

const consumer = kafka.consumer({ groupId: `bench-vs-debezium-latency-${Date.now()}`, readUncommitted: false, maxWaitTimeInMs: 10 });
// Start at the current end, found before joining: with fromBeginning false the end is resolved only at the
// first fetch after the join, which can come after the phase's first rows.
const admin = kafka.admin();
await admin.connect();
const ends = await admin.fetchTopicOffsets(topic!);
await admin.disconnect();
await consumer.connect();
await consumer.subscribe({ topic: topic!, fromBeginning: false });
let done!: () => void;
const finished = new Promise<void>((r) => { done = r; });
let joined!: () => void;
const groupJoined = new Promise<void>((r) => { joined = r; });
consumer.on(consumer.events.GROUP_JOIN, () => joined());
consumer.on(consumer.events.CRASH, (e) => process.stderr.write(`latency consumer: ${String(e.payload.error)} (restart: ${e.payload.restart})\n`));
await consumer.run({
  // A batch's records became readable together: one arrival time for all, so the consumer's own decoding
  // (Avro for logtap, JSON for Debezium) is not counted as either tool's latency.
  eachBatch: async ({ batch }) => {
    const now = Date.now() * 1000;
    for (const message of batch.messages) {
      const created = await createdUs(message.key, message.value, message.headers as Record<string, Buffer>);
      // Rows from before this phase (a tool catching up what it missed while stopped) are not latency samples.
      if (created === undefined || created < Number(minCreatedUs)) continue;
      latencies.push((now - created) / 1000);
    }
    if (latencies.length >= expected) done();
  },
});
for (const p of ends) consumer.seek({ topic: topic!, partition: p.partition, offset: p.high });
await groupJoined;
process.stdout.write('ready\n');
await Promise.race([finished, new Promise((r) => setTimeout(r, Number(timeoutMs)))]);
latencies.sort((a, b) => a - b);
const pct = (p: number) => latencies[Math.min(latencies.length - 1, Math.floor((p / 100) * latencies.length))] ?? NaN;
process.stdout.write(`${JSON.stringify({ p50: pct(50), p99: pct(99), max: pct(100), n: latencies.length })}\n`);
// The figures are out; a disconnect that hangs (kafkajs waits for its fetch loop) must not keep the process.
await Promise.race([consumer.disconnect(), new Promise((r) => setTimeout(r, 5000))]);
process.exit(0);
