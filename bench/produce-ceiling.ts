// bench/produce-ceiling: how many records/s the Kafka side alone takes on this machine, with no database in the
// way — the ceiling under every logtap throughput figure (snapshot, catch-up), on the test bed's broker.
//  1. logtap's transactional sink (src/kafka/change-sink.ts, kafkajs) committing pre-encoded records (10-byte key,
//     200-byte value) in transactions of 5,000 with a checkpoint record, one commit in flight while the next is
//     prepared (as the pipeline does): with logtap's three snapshot headers per record, and without headers.
//  2. The same sink written with @platformatic/kafka (bench/lib/platformatic-sink.ts, issue #19), same records.
//  3. Same-run baseline: Kafka's own Java producer (org.apache.kafka.tools.ProducerPerformance, from the broker's
//     jars), same record size, acks=all, idempotent, linger 5 ms, 512 KiB batches.
// For each: records/s and the broker's CPU per record (from /proc); for the sinks also their own CPU per record, and
// after the clock a read_committed count of what they wrote (each key once, one checkpoint per transaction).
// Usage: npm run bench:produce-ceiling [-- --records 300000]
import { execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { createKafka } from '../src/kafka/kafka-client.js';
import { type ChangeSink, openTransactionalSink } from '../src/kafka/change-sink.js';
import { readTopicToEnd } from '../src/kafka/read-to-end.js';
import type { KafkaRecord } from '../src/events/kafka-record.js';
import { benchTopics, brokerCpuSeconds, numberArg, testBedScripts, testBedUp } from './lib/bench-common.js';
import { openPlatformaticTransactionalSink } from './lib/platformatic-sink.js';

const RECORDS = numberArg('records', 300_000);
const PER_TRANSACTION = 5000;
const VALUE_BYTES = 200;

const env = await testBedUp();
const brokers = env.LOGTAP_TEST_KAFKA_BROKERS;
const kafka = createKafka({ brokers: brokers.split(',') }, 'bench-produce-ceiling');
const admin = kafka.admin();
await admin.connect();
const suffix = Date.now().toString(36);
const topics = benchTopics(admin, `bench-produce-${suffix}`);
console.log(`bench/produce-ceiling — ${RECORDS.toLocaleString('en-US')} records of ${10 + VALUE_BYTES} bytes (key + value), one partition, node ${process.version}`);
const load = () => `load average ${loadavg().map((l) => l.toFixed(2)).join(' ')}`;
console.log(`  before: ${load()}`);

const SINKS = {
  'logtap sink (kafkajs)': (connector: string) => openTransactionalSink(kafka, connector),
  '@platformatic/kafka sink': (connector: string) => openPlatformaticTransactionalSink(brokers.split(','), connector),
} satisfies Record<string, (connector: string) => Promise<ChangeSink>>;

/** A sink, the records built before the clock starts. */
async function sinkRun(client: keyof typeof SINKS, label: string, headers: Record<string, string>): Promise<void> {
  const slug = `${client.startsWith('@') ? 'platformatic' : 'kafkajs'}-${label.replaceAll(' ', '-')}`;
  const topic = await topics.fresh(slug);
  const checkpointTopic = await topics.fresh(`${slug}-offsets`);
  const value = Buffer.alloc(VALUE_BYTES, 7);
  const batches: KafkaRecord[][] = [];
  for (let b = 0; b * PER_TRANSACTION < RECORDS; b++) {
    const batch: KafkaRecord[] = [];
    for (let i = 0; i < PER_TRANSACTION; i++) {
      const key = Buffer.alloc(10);
      key.writeUInt32BE(b * PER_TRANSACTION + i, 6);
      batch.push({ topic, key, value, headers });
    }
    batches.push(batch);
  }
  const sink = await SINKS[client](topic);
  const checkpoint: KafkaRecord = { topic: checkpointTopic, key: Buffer.from('bench'), value: Buffer.from('position'), headers: {} };
  const broker0 = brokerCpuSeconds();
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  let inFlight: Promise<void> = Promise.resolve();
  for (const batch of batches) {
    await inFlight;
    inFlight = sink.commit(batch, checkpoint);
  }
  await inFlight;
  const seconds = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  const broker = brokerCpuSeconds() - broker0;
  await sink.close();
  const records = batches.length * PER_TRANSACTION;
  report(`${client}, exactly-once, ${label}`, records, seconds, (cpu.user + cpu.system) / 1e6, broker);
  await countCommitted(topic, records, checkpointTopic, batches.length);
}

/** What a read_committed reader finds: every key once, and one checkpoint record per transaction. */
async function countCommitted(topic: string, records: number, checkpointTopic: string, transactions: number): Promise<void> {
  const keys = new Set<string>();
  let read = 0;
  await readTopicToEnd(kafka, topic, ({ message }) => { read++; keys.add(message.key!.toString('hex')); });
  let checkpoints = 0;
  await readTopicToEnd(kafka, checkpointTopic, () => { checkpoints++; });
  const exact = read === records && keys.size === records && checkpoints === transactions;
  console.log(`    read_committed: ${read.toLocaleString('en-US')} records (${keys.size.toLocaleString('en-US')} keys), ${checkpoints} checkpoints — ${exact ? 'exact' : `NOT EXACT: expected ${records.toLocaleString('en-US')} and ${transactions}`}`);
  if (!exact) process.exitCode = 1;
}

/** Kafka's Java producer from the broker's own jars (the JVM's start is outside its own clock). */
async function javaRun(): Promise<void> {
  const { kafkaJavaArgs } = await testBedScripts();
  const topic = topics.name('java');
  const broker0 = brokerCpuSeconds();
  const out = execFileSync('java', kafkaJavaArgs('org.apache.kafka.tools.ProducerPerformance', ['--topic', topic,
    '--num-records', String(RECORDS), '--record-size', String(10 + VALUE_BYTES), '--throughput', '-1',
    '--producer-props', `bootstrap.servers=${brokers}`, 'acks=all', 'enable.idempotence=true', 'linger.ms=5', 'batch.size=524288'],
  { logsDir: mkdtempSync(join(tmpdir(), 'logtap-produce-ceiling-')) }), { stdio: ['ignore', 'pipe', 'ignore'] }).toString();
  const broker = brokerCpuSeconds() - broker0;
  const rate = Number(/([\d.]+) records\/sec \(/.exec(out.trim().split('\n').at(-1) ?? '')?.[1] ?? NaN);
  console.log(`  Kafka's Java producer (ProducerPerformance, same-run baseline): ${Math.round(rate).toLocaleString('en-US')} records/s; broker ${(broker * 1e6 / RECORDS).toFixed(1)} µs CPU per record`);
}

function report(label: string, records: number, seconds: number, producerCpu: number, brokerCpu: number): void {
  console.log(`  ${label}: ${Math.round(records / seconds).toLocaleString('en-US')} records/s; producer ${(producerCpu * 1e6 / records).toFixed(1)} µs CPU per record, broker ${(brokerCpu * 1e6 / records).toFixed(1)} µs`);
}

try {
  const snapshotHeaders = { 'logtap.op': 'r', 'logtap.position': 'pgsnap1:pg1:0/1CE9F298|["public","orders",["123456"]]', 'logtap.snapshot': 'true' };
  for (const client of Object.keys(SINKS) as (keyof typeof SINKS)[]) await sinkRun(client, 'with headers', snapshotHeaders);
  for (const client of Object.keys(SINKS) as (keyof typeof SINKS)[]) await sinkRun(client, 'no headers', {});
  await javaRun();
  console.log(`  after: ${load()}`);
} finally {
  await topics.dropAll();
  await admin.disconnect();
}
