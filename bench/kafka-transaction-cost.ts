// bench/kafka-transaction-cost: what one Kafka commit costs logtap's process, apart from its records — the fixed
// part `b` of live streaming's CPU per source transaction (a + b / k, docs/benchmarks.md), on the test bed's broker.
//  1. logtap's transactional sink (src/kafka/change-sink.ts) commits N small batches (K pre-encoded records of
//     ~210 bytes with one header, plus the checkpoint record), one every --gap-ms as the live pipeline does at its
//     default 20 ms batch delay, then back to back.
//  2. Same-run baseline: the same batches through the at-least-once sink (an idempotent producer: the records, then
//     the checkpoint; no transaction), with the same gaps.
// Prints this process's CPU per commit (user/system; worker threads of V8 included) and the broker's.
// Usage: npm run bench:kafka-transaction-cost [-- --commits 600 --records 40 --gap-ms 20]
import { setTimeout as sleep } from 'node:timers/promises';
import { createKafka } from '../src/kafka/kafka-client.js';
import { type ChangeSink, openIdempotentSink, openTransactionalSink } from '../src/kafka/change-sink.js';
import type { KafkaRecord } from '../src/events/kafka-record.js';
import { benchTopics, brokerCpuSeconds, numberArg, testBedUp } from './lib/bench-common.js';

const COMMITS = numberArg('commits', 600);
const RECORDS = numberArg('records', 40);
const GAP_MS = numberArg('gap-ms', 20);

const env = await testBedUp();
const kafka = createKafka({ brokers: env.LOGTAP_TEST_KAFKA_BROKERS.split(',') }, 'bench-kafka-transaction-cost');
const admin = kafka.admin();
await admin.connect();
const suffix = Date.now().toString(36);
const topics = benchTopics(admin, `bench-txcost-${suffix}`);
console.log(`bench/kafka-transaction-cost — ${COMMITS} commits of ${RECORDS} records (+ checkpoint), node ${process.version}`);

async function run(label: string, open: (connector: string) => Promise<ChangeSink>, gapMs: number): Promise<void> {
  const slug = label.replace(/[^a-z0-9]+/gi, '-').toLowerCase();
  const topic = await topics.fresh(slug);
  const checkpointTopic = await topics.fresh(`${slug}-offsets`);
  const record = (i: number): KafkaRecord => ({ topic, key: Buffer.from(`key-${i}`), value: Buffer.alloc(200, 7), headers: { 'logtap.op': 'c' } });
  const batches = Array.from({ length: COMMITS }, (_, c) => Array.from({ length: RECORDS }, (_, i) => record(c * RECORDS + i)));
  const checkpoint = (c: number): KafkaRecord => ({ topic: checkpointTopic, key: Buffer.from(slug), value: Buffer.from(`position ${c}`), headers: {} });
  const sink = await open(`bench-txcost-${suffix}-${slug}`);
  // Warm-up: connections, coordinator lookup, the JIT.
  for (let c = 0; c < 50; c++) await sink.commit([record(-c)], checkpoint(-c));
  const cpu0 = process.cpuUsage();
  const broker0 = brokerCpuSeconds();
  const t0 = Date.now();
  for (let c = 0; c < COMMITS; c++) {
    await sink.commit(batches[c]!, checkpoint(c));
    if (gapMs > 0) await sleep(gapMs);
  }
  const wallMs = Date.now() - t0 - gapMs * COMMITS;
  const cpu = process.cpuUsage(cpu0);
  const broker = brokerCpuSeconds() - broker0;
  await sink.close();
  const per = (micros: number) => (micros / COMMITS).toFixed(0).padStart(5);
  console.log(`${label.padEnd(58)} ${per(cpu.user + cpu.system)} µs CPU per commit (user ${per(cpu.user)}, system ${per(cpu.system)}), broker ${per(broker * 1e6)} µs; ${(wallMs / COMMITS).toFixed(1)} ms per commit`);
}

await run(`transactional sink, one commit per ${GAP_MS} ms`, (c) => openTransactionalSink(kafka, c), GAP_MS);
await run(`baseline: at-least-once sink, one commit per ${GAP_MS} ms`, (c) => openIdempotentSink(kafka, c), GAP_MS);
await run('transactional sink, back to back', (c) => openTransactionalSink(kafka, c), 0);
await run('baseline: at-least-once sink, back to back', (c) => openIdempotentSink(kafka, c), 0);

await topics.dropAll();
await admin.disconnect();
