// bench/backfill: an online backfill (DBLog watermark windows) of one PostgreSQL table into Kafka while logtap
// streams, on the test bed (npm run services:up). A table of N rows × 10 columns is backfilled by logtap
// (exactly-once, in this process, `snapshot.mode: never`), first on an idle database, then while a psql loop
// updates random rows; each run into fresh topics, timed from the execute-snapshot signal until the Kafka
// commit after the backfill's last chunk. Same-run baselines: `COPY table TO STDOUT` into /dev/null (the
// server's limit) and the initial snapshot of the same table with one reader (the consistent-snapshot path).
// Usage: npm run bench:backfill [-- --rows 1000000 --chunk-rows 5000 --updates-per-second 1000]
import { type ChildProcess, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { configSchema } from '../src/config/config-schema.js';
import { createKafka } from '../src/kafka/kafka-client.js';
import type { Logger } from '../src/logger.js';
import type { PipelineMetrics } from '../src/pipeline/pipeline-metrics.js';
import { runConnector } from '../src/pipeline/runner.js';
import { SIGNAL, executeSnapshotData } from '../src/backfill/signal-types.js';
import { createPostgresConnector, postgresObjectNames } from '../connectors/postgres/postgres-connector.js';
import { createWideTable, copyRate, pgBinDir } from './lib/pg-wide-table.js';
import { numberArg, testBedUp } from './lib/bench-common.js';
import { applyDaemonHeapPolicy } from '../src/ops/node-options.js';

// logtap runs in this process: with the daemon's V8 heap policy, as `logtap run` does.
applyDaemonHeapPolicy();

const ROWS = numberArg('rows', 1_000_000);
const CHUNK_ROWS = numberArg('chunk-rows', 5_000);
/** The busy run's update rate, at most (an unpaced loop outruns the stream, and the backfill waits for the stream). */
const UPDATES_PER_SECOND = numberArg('updates-per-second', 1_000);

const env = await testBedUp();
const pgUrl = env.LOGTAP_TEST_PG_URL;
const bin = pgBinDir();
const sql = new pg.Client({ connectionString: pgUrl });
await sql.connect();
const suffix = Date.now().toString(36);
const table = `bench_backfill_${suffix}`;
const signalTable = `bench_signal_${suffix}`;
const sizeBytes = await createWideTable(sql, table, ROWS);
console.log(`bench/backfill — ${ROWS.toLocaleString('en-US')} rows × 10 columns (${(sizeBytes / 2 ** 20).toFixed(0)} MiB), chunks of ${CHUNK_ROWS.toLocaleString('en-US')} rows, PostgreSQL ${(await sql.query('SHOW server_version')).rows[0].server_version}, node ${process.version}`);

const copyLimit = await copyRate(pgUrl, table, ROWS);

/** A logger that only tells when a message went by. */
function watchingLogger(msg: string, seen: () => void): Logger {
  const trace = process.env.BENCH_TRACE === '1';
  const log: Logger = {
    debug() {}, info(o, m) { if (trace) console.error(m, JSON.stringify(o, (_, v: unknown) => (typeof v === 'bigint' ? String(v) : v))); if (m === msg) seen(); },
    warn(o, m) { console.error('warn:', m, JSON.stringify(o)); }, error(o, m) { console.error('error:', m, JSON.stringify(o)); }, child: () => log,
  };
  return log;
}

/** One logtap run until `done` (a log message) and the Kafka commit after it; returns the seconds from `start()` on. */
async function timedRun(name: string, overrides: Record<string, unknown>, doneMessage: string, start: (streaming: boolean) => Promise<void>): Promise<number> {
  const config = configSchema.parse({
    name, source: { url: pgUrl, tables: [`public.${table}`] }, kafka: { brokers: env.LOGTAP_TEST_KAFKA_BROKERS.split(',') }, topicPrefix: name,
    batch: { maxRecords: 5000, maxBytes: 8 << 20, maxDelayMs: 10 }, heartbeatIntervalMs: 200, ...overrides,
  });
  const stop = new AbortController();
  let startedAt = 0;
  let finished = false;
  let committed!: () => void;
  const allCommitted = new Promise<void>((resolve) => { committed = resolve; });
  let streaming!: () => void;
  const streamingNow = new Promise<void>((resolve) => { streaming = resolve; });
  // The first checkpoint is written once the stream has its start point (the slot exists): signals from then on are seen.
  let firstCheckpoint!: () => void;
  const checkpointed = new Promise<void>((resolve) => { firstCheckpoint = resolve; });
  const metrics: PipelineMetrics = { transaction() {}, flushed() { firstCheckpoint(); if (finished) committed(); }, commitToAck() {} };
  const run = runConnector(config, {
    kafka: createKafka(config.kafka, name), createConnector: createPostgresConnector, version: 'bench', metrics,
    log: watchingLogger(doneMessage, () => { finished = true; }), onState: (s) => { if (s === 'streaming') streaming(); },
  }, stop.signal);
  await streamingNow;
  if (overrides.snapshot && (overrides.snapshot as { mode: string }).mode === 'never') await checkpointed;
  startedAt = Date.now();
  await start(true);
  await allCommitted;
  const seconds = (Date.now() - startedAt) / 1000;
  stop.abort();
  await run;
  const objects = postgresObjectNames(name);
  await sql.query('SELECT pg_drop_replication_slot($1)', [objects.slot]).catch(() => {});
  await sql.query(`DROP PUBLICATION IF EXISTS "${objects.publication}"`);
  return seconds;
}

async function backfillRun(withUpdates: boolean): Promise<number> {
  const name = `bench-backfill-${suffix}-${withUpdates ? 'busy' : 'idle'}`;
  let updater: ChildProcess | undefined;
  const seconds = await timedRun(name, { snapshot: { mode: 'never' }, signal: { enabled: true, table: `public.${signalTable}`, chunkRows: CHUNK_ROWS } }, 'backfill finished', async () => {
    if (withUpdates) {
      // A psql loop of single-row updates (key lookups), committed one by one, paced, in its own process.
      updater = spawn(`${bin}/psql`, [pgUrl, '-q', '-c', `DO $$ DECLARE k bigint; BEGIN FOR i IN 1..100000000 LOOP k := 1 + (random() * ${ROWS - 1})::bigint; UPDATE ${table} SET qty = qty + 1 WHERE id = k; COMMIT; PERFORM pg_sleep(${1 / UPDATES_PER_SECOND}); END LOOP; END $$`], { stdio: 'ignore', env: { ...process.env, PGAPPNAME: `updater-${suffix}` } });
    }
    await sql.query(`INSERT INTO ${signalTable} (id, type, data) VALUES ($1, $2, $3)`, [randomUUID(), SIGNAL.executeSnapshot, executeSnapshotData([{ namespace: 'public', name: table }], name)]);
  });
  // The server runs the DO loop on after psql is gone: cancel it there.
  if (updater) await sql.query('SELECT pg_cancel_backend(pid) FROM pg_stat_activity WHERE application_name = $1', [`updater-${suffix}`]);
  updater?.kill('SIGTERM');
  return seconds;
}

const snapshotSeconds = await timedRun(`bench-backfill-${suffix}-snap`, { snapshot: { mode: 'initial', parallelism: 1, chunkRows: 10_000 } }, 'snapshot finished', async () => {});
// (The runner reports state "streaming" as the pipeline starts, whose first step is that snapshot.)
const idle = await backfillRun(false);
const busy = await backfillRun(true);
// Every update added 1 to a row's qty (initially id % 1000).
const { rows: [updates] } = await sql.query<{ n: string }>(`SELECT (sum(qty) - sum(id % 1000))::text AS n FROM ${table}`);
const rate = (s: number) => Math.round(ROWS / s);
console.log(`  initial snapshot → Kafka, 1 reader (baseline): ${rate(snapshotSeconds).toLocaleString('en-US')} rows/s`);
console.log(`  online backfill → Kafka, idle source: ${rate(idle).toLocaleString('en-US')} rows/s (${(rate(idle) / copyLimit).toFixed(2)}× COPY, ${(snapshotSeconds / idle).toFixed(2)}× the initial snapshot)`);
console.log(`  online backfill → Kafka, while psql updates rows (≤ ${UPDATES_PER_SECOND}/s): ${rate(busy).toLocaleString('en-US')} rows/s (${(rate(busy) / copyLimit).toFixed(2)}× COPY; ${updates!.n} updates in ${busy.toFixed(0)} s)`);
console.log(`  peak RSS ${(process.memoryUsage().rss / 2 ** 20).toFixed(0)} MiB (at the end)`);
await sql.query(`DROP TABLE ${table}`);
await sql.query(`DROP TABLE IF EXISTS ${signalTable}`);
await sql.end();
