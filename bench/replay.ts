// bench/replay: events/s rebuilding a table from its topic into PostgreSQL and into MariaDB (`logtap replay`'s
// engine in-process), beside a same-run baseline: reading and decoding the same topic with no target (the
// ceiling replay can reach). The topic is produced directly with logtap's encoder (no source database), one
// upsert per row. Usage: npm run bench:replay [-- --rows 1000000 --batch 5000]
import { performance } from 'node:perf_hooks';
import mysql from 'mysql2/promise';
import pg from 'pg';
import { numberArg, testBedUp } from './lib/bench-common.js';
import type { TableSchema } from '../src/model/table-schema.js';
import { createKafka } from '../src/kafka/kafka-client.js';
import { SchemaTopic } from '../src/kafka/schema-topic.js';
import { readTopicToEnd } from '../src/kafka/read-to-end.js';
import { EventEncoder } from '../src/events/event-encoder.js';
import { EntityEventDecoder, schemaTopicResolver } from '../src/events/event-decoder.js';
import { tableTopic } from '../src/events/topic-names.js';
import { SchemaCatalog } from '../src/schema/schema-catalog.js';
import { singleObjectWire } from '../src/schema/wire-format.js';
import { silentLogger } from '../src/logger.js';
import { planTopic } from '../src/replay/replay-plan.js';
import { replayTopics } from '../src/replay/replay-engine.js';
import { silentProgress } from '../src/replay/replay-progress.js';
import { openPgReplayTarget } from '../connectors/postgres/replay-target.js';
import { pgPositionOrder } from '../connectors/postgres/position-order.js';
import { openMysqlReplayTarget } from '../connectors/mysql/replay-target.js';
import { applyDaemonHeapPolicy } from '../src/ops/node-options.js';

// logtap runs in this process: with the daemon's V8 heap policy, as `logtap run` does.
applyDaemonHeapPolicy();

const ROWS = numberArg('rows', 1_000_000);
const BATCH = numberArg('batch', 5000);

const env = await testBedUp();
const kafka = createKafka({ brokers: env.LOGTAP_TEST_KAFKA_BROKERS.split(',') }, 'bench-replay');
const suffix = Date.now().toString(36);
const prefix = `bench_replay_${suffix}`;
const table: TableSchema = {
  id: { namespace: 'public', name: `orders_${suffix}` },
  columns: [
    { name: 'id', type: { kind: 'long' }, nullable: false, sourceType: 'bigint' },
    { name: 'customer_id', type: { kind: 'int', bits: 32 }, nullable: false, sourceType: 'integer' },
    { name: 'total', type: { kind: 'decimal', precision: 12, scale: 2, specials: true }, nullable: false, sourceType: 'numeric(12,2)' },
    { name: 'note', type: { kind: 'string' }, nullable: true, sourceType: 'text' },
    { name: 'placed_at', type: { kind: 'timestamp-micros', zoned: true }, nullable: false, sourceType: 'timestamp with time zone' },
    { name: 'paid', type: { kind: 'boolean' }, nullable: false, sourceType: 'boolean' },
  ],
  key: ['id'],
};

// ----- the topic: ROWS upserts, one per row -----
const catalog = new SchemaCatalog('allow');
const encoder = new EventEncoder({ topicPrefix: prefix, envelope: 'entity', source: { connector: 'postgresql', database: 'bench', version: 'bench' }, catalog, wire: singleObjectWire });
const schemaTopic = new SchemaTopic(kafka, prefix);
const producer = kafka.producer();
await producer.connect();
await encoder.prepare(table, (entry) => schemaTopic.publish(producer, entry));
const topic = tableTopic(prefix, table.id);
const t0 = performance.now();
for (let start = 0; start < ROWS; start += 2000) {
  const messages = [];
  for (let i = start; i < Math.min(ROWS, start + 2000); i++) {
    const [record] = encoder.encode({
      table, op: 'c', snapshot: false, position: { token: `pg1:0/${(i + 1).toString(16).toUpperCase()}#1`, display: '' }, commitTimeMicros: 1_700_000_000_000_000n + BigInt(i),
      after: { id: BigInt(i + 1), customer_id: i % 9973, total: `${i % 100000}.${String(i % 100).padStart(2, '0')}`, note: i % 3 === 0 ? null : `gift wrap please, order ${i}`, placed_at: 1_700_000_000_000_000n + BigInt(i) * 1_234_567n, paid: i % 2 === 0 },
    });
    messages.push({ key: record!.key, value: record!.value, headers: record!.headers });
  }
  await producer.send({ topic, messages, acks: -1 });
}
await producer.disconnect();
console.log(`produced ${ROWS.toLocaleString('en-US')} events in ${((performance.now() - t0) / 1000).toFixed(1)} s (topic ${topic})`);

const entries = (await schemaTopic.readAll()) ?? [];
const plan = planTopic(topic, entries);

function report(name: string, events: number, ms: number): void {
  console.log(`${name.padEnd(52)} ${Math.round(events / (ms / 1000)).toLocaleString('en-US').padStart(10)} events/s  (${(ms / 1000).toFixed(1)} s)`);
}

// ----- baseline: read + decode, no target -----
{
  const decoder = new EntityEventDecoder(schemaTopicResolver(entries));
  let n = 0;
  const start = performance.now();
  await readTopicToEnd(kafka, topic, async ({ message }) => {
    await decoder.decode({ key: message.key, value: message.value, headers: message.headers as Record<string, Buffer> });
    n++;
  });
  report('baseline: read + decode (no target)', n, performance.now() - start);
}

async function into(name: string, target: Awaited<ReturnType<typeof openPgReplayTarget>>): Promise<void> {
  try {
    await target.check(plan.versions, 'postgres');
    let applyMs = 0;
    const apply = target.apply.bind(target);
    target.apply = async (t, steps) => {
      const a = performance.now();
      await apply(t, steps);
      applyMs += performance.now() - a;
    };
    const start = performance.now();
    const [result] = await replayTopics({ kafka, plans: [plan], target, source: 'postgres', order: pgPositionOrder, schemas: schemaTopicResolver(entries), batchSize: BATCH, progress: silentProgress, log: silentLogger });
    report(name, result!.events, performance.now() - start);
    // Wall time of the target calls; they overlap with reading the next batch, so this is not the write cost alone.
    console.log(`${''.padEnd(52)} ${(applyMs / 1000).toFixed(1)} s inside target calls (overlapping the reads)`);
  } finally {
    await target.close();
  }
}

// ----- PostgreSQL -----
const pgDb = `bench_replay_${suffix}`;
const admin = new pg.Client({ connectionString: env.LOGTAP_TEST_PG_URL });
await admin.connect();
await admin.query(`CREATE DATABASE ${pgDb}`);
const pgUrl = new URL(env.LOGTAP_TEST_PG_URL);
pgUrl.pathname = `/${pgDb}`;
try {
  await into(`replay into PostgreSQL (batch ${BATCH})`, await openPgReplayTarget(pgUrl.toString(), silentLogger));
} finally {
  await admin.query(`DROP DATABASE ${pgDb} WITH (FORCE)`);
  await admin.end();
}

// ----- MariaDB -----
const myUrl = new URL(env.LOGTAP_TEST_MYSQL_URL);
const my = await mysql.createConnection({ host: myUrl.hostname, port: Number(myUrl.port), user: decodeURIComponent(myUrl.username), password: decodeURIComponent(myUrl.password) });
await my.query(`CREATE DATABASE ${pgDb}`);
myUrl.pathname = `/${pgDb}`;
try {
  await into(`replay into MariaDB (batch ${BATCH})`, await openMysqlReplayTarget(myUrl.toString(), silentLogger));
} finally {
  await my.query(`DROP DATABASE ${pgDb}`);
  await my.end();
}
const cleanup = kafka.admin();
await cleanup.connect();
await cleanup.deleteTopics({ topics: [topic, `${prefix}._schemas`] }).catch(() => {});
await cleanup.disconnect();
