// bench/snapshot: the initial snapshot of one PostgreSQL table into Kafka, on the test bed (npm run services:up).
//  A table of N rows × 10 columns (bigint key, integers, numeric, text, timestamptz, boolean, double, date, uuid)
//  is snapshotted by logtap (exactly-once, in this process) with 1 and with M parallel readers, each run into fresh
//  topics, timed from the start of `logtap run` until every row is committed in Kafka. Same-run limit:
//  `COPY table TO STDOUT` of the same table by psql into /dev/null. Prints rows/s and the ratio to COPY, and
//  the source side alone (snapshot read + decode + chunk driver into a handler that drops the rows) to show
//  where the time goes.
//  Each snapshot run is repeated per `--workers` setting (config `workers`: encoding worker threads, 0 = none), each
//  with its own peak RSS (the process's, worker threads included).
// Usage: npm run bench:snapshot [-- --rows 1000000 --readers 4 --chunk-rows 10000 --workers 0,1]
import pg from 'pg';
import { configSchema } from '../src/config/config-schema.js';
import { createKafka } from '../src/kafka/kafka-client.js';
import type { PipelineMetrics } from '../src/pipeline/pipeline-metrics.js';
import { createPostgresConnector, postgresObjectNames } from '../connectors/postgres/postgres-connector.js';
import { createWideTable, copyRate } from './lib/pg-wide-table.js';
import { numberArg, numberListArg, rssPeak, runLogtapUntil, testBedUp } from './lib/bench-common.js';
import { defaultWorkers } from '../src/encoding/encode-pool.js';
import { silentLogger } from '../src/logger.js';
import { publishSnapshot } from '../src/snapshot/snapshot-driver.js';
import { applyDaemonHeapPolicy } from '../src/ops/node-options.js';

// logtap runs in this process: with the daemon's V8 heap policy, as `logtap run` does.
applyDaemonHeapPolicy();

const ROWS = numberArg('rows', 1_000_000);
const READERS = numberArg('readers', 4);
const CHUNK_ROWS = numberArg('chunk-rows', 10_000);
const WORKERS = numberListArg('workers', [0, Math.max(1, defaultWorkers())]);

const env = await testBedUp();
const pgUrl = env.LOGTAP_TEST_PG_URL;
const sql = new pg.Client({ connectionString: pgUrl });
await sql.connect();
const suffix = Date.now().toString(36);
const table = `bench_snap_${suffix}`;
const sizeBytes = await createWideTable(sql, table, ROWS);
console.log(`bench/snapshot — ${ROWS.toLocaleString('en-US')} rows × 10 columns (${(sizeBytes / 2 ** 20).toFixed(0)} MiB), chunks of ${CHUNK_ROWS.toLocaleString('en-US')} rows, PostgreSQL ${(await sql.query('SHOW server_version')).rows[0].server_version}, node ${process.version}`);

const copyLimit = await copyRate(pgUrl, table, ROWS);

async function snapshotRun(readers: number, workers: number): Promise<{ rate: number; rss: number }> {
  const name = `bench-snap-${suffix}-${readers}-w${workers}`;
  const config = configSchema.parse({
    name, source: { url: pgUrl, tables: [`public.${table}`] }, kafka: { brokers: env.LOGTAP_TEST_KAFKA_BROKERS.split(',') }, topicPrefix: name,
    workers, batch: { maxRecords: 5000, maxBytes: 8 << 20, maxDelayMs: 10 }, snapshot: { mode: 'initial', parallelism: readers, chunkRows: CHUNK_ROWS },
  });
  let published = 0;
  let done!: () => void;
  const allPublished = new Promise<void>((resolve) => { done = resolve; });
  const metrics: PipelineMetrics = {
    transaction() {},
    flushed(b) { published += b.records; if (published >= ROWS) done(); },
    commitToAck() {},
  };
  const started = Date.now();
  const rss = rssPeak();
  await runLogtapUntil(config, createKafka(config.kafka, name), createPostgresConnector, async () => { await allPublished; }, metrics);
  const seconds = (Date.now() - started) / 1000;
  const objects = postgresObjectNames(name);
  await sql.query('SELECT pg_drop_replication_slot($1)', [objects.slot]);
  await sql.query(`DROP PUBLICATION IF EXISTS "${objects.publication}"`);
  return { rate: ROWS / seconds, rss: rss.stop() };
}

/** The source side only: the connector's snapshot through the chunk driver into a handler that drops every row. */
async function readOnlyRun(readers: number): Promise<number> {
  const name = `bench-snapread-${suffix}-${readers}`;
  const connector = createPostgresConnector({ name, url: pgUrl, tables: [`public.${table}`], log: silentLogger });
  const started = Date.now();
  const snapshot = await connector.snapshots!.open({ from: null, parallelism: readers, chunkRows: CHUNK_ROWS, signal: new AbortController().signal });
  let rows = 0;
  try {
    await publishSnapshot(snapshot, { onChange() { rows++; }, onCommit() {}, onHeartbeat() {} }, { log: silentLogger }, new AbortController().signal);
  } finally {
    await snapshot.close();
    await connector.close();
  }
  const seconds = (Date.now() - started) / 1000;
  if (rows !== ROWS) throw new Error(`read ${rows} rows, expected ${ROWS}`);
  const objects = postgresObjectNames(name);
  await sql.query('SELECT pg_drop_replication_slot($1)', [objects.slot]);
  await sql.query(`DROP PUBLICATION IF EXISTS "${objects.publication}"`);
  return ROWS / seconds;
}

const readerCounts = [...new Set([1, READERS])];
for (const readers of readerCounts) {
  const read = await readOnlyRun(readers);
  console.log(`  source side only (read + decode + driver, no Kafka), ${readers} reader${readers === 1 ? '' : 's'}: ${Math.round(read).toLocaleString('en-US')} rows/s (${(read / copyLimit).toFixed(2)}× COPY)`);
}
for (const readers of readerCounts) {
  for (const workers of WORKERS) {
    const { rate, rss } = await snapshotRun(readers, workers);
    console.log(`  logtap snapshot → Kafka, ${readers} reader${readers === 1 ? '' : 's'}, workers ${workers}: ${Math.round(rate).toLocaleString('en-US')} rows/s (${(rate / copyLimit).toFixed(2)}× COPY; target ≥ 0.30×), peak RSS ${(rss / 2 ** 20).toFixed(0)} MiB`);
  }
}
console.log(`  peak RSS ${(process.memoryUsage().rss / 2 ** 20).toFixed(0)} MiB (at the end)`);
await sql.query(`DROP TABLE ${table}`);
await sql.end();
