// bench/mysql-stream: MariaDB → Kafka, on the test bed (npm run services:up).
//  1. Throughput: N one-row transactions (~200 bytes) are written while logtap is stopped; then logtap
//     catches up into Kafka (exactly-once). Same-run limit: `mariadb-binlog --read-from-remote-server`
//     reading the same binlog range to /dev/null.
//  2. Latency: logtap streams live while a writer process commits 5,000 transactions/s; p50/p99 from each
//     row's insert (created_at = NOW(6)) to the record being readable by a read_committed consumer (another
//     process). The binlog's own commit times have one-second resolution, too coarse for this.
//  Peak RSS of the process (logtap runs in it; the writer is a separate process).
// Usage: npm run bench:mysql-stream [-- --transactions 100000 --rate 5000 --seconds 15 --max-delay-ms 10]
import { spawn, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import mysql from 'mysql2/promise';
import { packageRoot } from '../src/package-root.js';
import { configSchema } from '../src/config/config-schema.js';
import { createKafka } from '../src/kafka/kafka-client.js';
import { brokerCpuSeconds, catchUpBudget, cpuSecondsOf, mainThreadCpuSeconds, numberArg, reapedCpuSecondsOf, runLogtapUntil, runProcess, testBedUp } from './lib/bench-common.js';
import type { PipelineMetrics } from '../src/pipeline/pipeline-metrics.js';
import { createMysqlConnector } from '../connectors/mysql/mysql-connector.js';
import { applyDaemonHeapPolicy } from '../src/ops/node-options.js';

// logtap runs in this process: with the daemon's V8 heap policy, as `logtap run` does.
applyDaemonHeapPolicy();

const TRANSACTIONS = numberArg('transactions', 100_000);
const RATE = numberArg('rate', 5000);
const SECONDS = numberArg('seconds', 15);
const MAX_DELAY_MS = numberArg('max-delay-ms', 10);

const env = await testBedUp();
const base = new URL(env.LOGTAP_TEST_MYSQL_URL);
const suffix = Date.now().toString(36);
const database = `bench_my_${suffix}`;
const url = `${base.protocol}//${base.username}:${base.password}@${base.host}/${database}`;
const sql = await mysql.createConnection({ host: base.hostname, port: Number(base.port), user: decodeURIComponent(base.username), password: decodeURIComponent(base.password) });
await sql.query(`CREATE DATABASE ${database}`);
await sql.query(`CREATE TABLE ${database}.items (id BIGINT AUTO_INCREMENT PRIMARY KEY, payload VARCHAR(200) NOT NULL, amount DECIMAL(12,2) NOT NULL, created_at DATETIME(6) NOT NULL DEFAULT NOW(6))`);
const name = `bench-my-${suffix}`;

let peakRss = 0;
const rssTimer = setInterval(() => { peakRss = Math.max(peakRss, process.memoryUsage().rss); }, 50);
const config = configSchema.parse({
  name, source: { url, tables: [`${database}.items`] }, kafka: { brokers: env.LOGTAP_TEST_KAFKA_BROKERS.split(',') }, topicPrefix: name,
  // Streaming only: the table fills while logtap is stopped, and an initial snapshot would publish it twice.
  snapshot: { mode: 'never' },
  batch: { maxRecords: 5000, maxBytes: 8 << 20, maxDelayMs: MAX_DELAY_MS }, heartbeatIntervalMs: 500,
});
const kafka = createKafka(config.kafka, name);
// Changes committed to Kafka, counted by the pipeline itself (polling the checkpoint topic would load this process).
let committedChanges = 0;
const metrics: PipelineMetrics = { transaction() {}, flushed(b) { committedChanges += b.changes; }, commitToAck() {} };

const runLogtap = (until: (streaming: Promise<void>) => Promise<void>) => runLogtapUntil(config, kafka, createMysqlConnector, until, metrics);
const masterStatus = async () => ((await sql.query('SHOW MASTER STATUS')) as unknown as [[{ File: string; Position: number }]])[0][0];
const writer = (args: string[]) => runProcess(process.execPath, [join(packageRoot(), 'dist-bench', 'bench', 'lib', 'mysql-rate-writer.js'), url, 'items', ...args]);

// A first run records a checkpoint at the binlog's current end.
await runLogtap(async (streaming) => {
  await streaming;
  // 'streaming' is reported before the binlog connection is up: write until a row made it through.
  while (committedChanges < 1) {
    await sql.query(`INSERT INTO ${database}.items (payload, amount) VALUES ('warm-up', 1)`);
    await sleep(200);
  }
});

console.log(`bench/mysql-stream — ${TRANSACTIONS.toLocaleString('en-US')} one-row transactions, MariaDB ${((await sql.query('SELECT VERSION() AS v')) as unknown as [[{ v: string }]])[0][0].v}, node ${process.version}`);
const from = await masterStatus();
const t0 = Date.now();
await writer([String(TRANSACTIONS), '0', '0']);
console.log(`workload written in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
const to = await masterStatus();
const events = TRANSACTIONS;

// The CPU of each side of a catch-up: the server's (all its threads; nothing else writes meanwhile), the reader's.
const serverPidFile = ((await sql.query('SELECT @@pid_file AS f')) as unknown as [[{ f: string }]])[0][0].f;
const serverPid = Number(readFileSync(serverPidFile, 'utf8').trim());

// The raw limit: the server's own binlog reader, remotely, over the same range.
const rawReader0 = reapedCpuSecondsOf(process.pid);
const rawServer0 = cpuSecondsOf(serverPid);
const r0 = Date.now();
const files = ((await sql.query('SHOW BINARY LOGS')) as unknown as [Array<{ Log_name: string }>])[0].map((f) => f.Log_name).filter((f) => f >= from.File && f <= to.File);
const raw = spawnSync('mariadb-binlog', ['--read-from-remote-server', `--host=${base.hostname}`, `--port=${base.port}`, `--user=${decodeURIComponent(base.username)}`, `--password=${decodeURIComponent(base.password)}`,
  `--start-position=${from.Position}`, `--stop-position=${to.Position}`, ...files], { stdio: ['ignore', 'ignore', 'pipe'], maxBuffer: 1 << 26 });
const rawSeconds = (Date.now() - r0) / 1000;
if (raw.status !== 0) throw new Error(`mariadb-binlog failed: ${raw.stderr}`);
const rawReaderCpu = reapedCpuSecondsOf(process.pid) - rawReader0;
const rawServerCpu = cpuSecondsOf(serverPid) - rawServer0;

const l0 = Date.now();
const cpu0 = process.cpuUsage();
const server0 = cpuSecondsOf(serverPid);
const broker0 = brokerCpuSeconds();
const main0 = mainThreadCpuSeconds();
committedChanges = 0;
await runLogtap(async (streaming) => {
  await streaming;
  while (committedChanges < events) await sleep(5);
});
const logtapSeconds = (Date.now() - l0) / 1000;
const cpu = process.cpuUsage(cpu0);
const mainCpu = mainThreadCpuSeconds() - main0;
const perEvent = (seconds: number) => (seconds * 1e6 / events).toFixed(1);
const serverCpu = cpuSecondsOf(serverPid) - server0;
const brokerCpu = brokerCpuSeconds() - broker0;
// CPU per event is steadier than events/s on a shared machine: it does not count time spent waiting for a core.
const cpuPerEvent = `${((cpu.user + cpu.system) / events).toFixed(1)} µs of logtap CPU per event (${((cpu.user + cpu.system) / 1e6).toFixed(2)} s; main thread ${perEvent(mainCpu)} µs, busy ${(100 * mainCpu / logtapSeconds).toFixed(0)}% of the time)`;

let latency = { p50: NaN, p99: NaN, max: NaN, n: 0 };
/** CPU of this process from the writer's start until the consumer read the last row: live streaming's cost. */
let liveCpu: NodeJS.CpuUsage = { user: 0, system: 0 };
await runLogtap(async (streaming) => {
  await streaming;
  const consumer = spawn(process.execPath, [join(packageRoot(), 'dist-bench', 'bench', 'lib', 'latency-consumer.js'), config.kafka.brokers.join(','), name, `${name}.${database}.items`, String(RATE * SECONDS)], { stdio: ['pipe', 'pipe', 'inherit'] });
  let out = '';
  consumer.stdout.on('data', (d) => { out += d; });
  while (!out.includes('ready')) await sleep(20);
  await sleep(3000); // the consumer's group join
  const countRows = async () => ((await sql.query(`SELECT COUNT(*) AS n FROM ${database}.items`)) as unknown as [[{ n: number }]])[0][0].n;
  const rowsBefore = await countRows();
  const cpu0 = process.cpuUsage();
  await writer(['0', String(RATE), String(SECONDS)]);
  // What the writer managed (it can fall short of rate × seconds): the consumer waits for exactly that many.
  consumer.stdin.end(`count ${(await countRows()) - rowsBefore}\n`);
  await new Promise((r) => consumer.once('exit', r));
  liveCpu = process.cpuUsage(cpu0);
  latency = JSON.parse(out.trim().split('\n').pop()!);
});
clearInterval(rssTimer);
const fmt = (n: number) => Math.round(n).toLocaleString('en-US');
console.log(`mariadb-binlog --read-from-remote-server (same range)  ${fmt(events / rawSeconds).padStart(10)} events/s  (${rawSeconds.toFixed(2)} s)`);
console.log(`logtap catch-up into Kafka (exactly-once)             ${fmt(events / logtapSeconds).padStart(10)} events/s  (${logtapSeconds.toFixed(2)} s, incl. start)`);
console.log(`  ${cpuPerEvent}`);
console.log(`ratio logtap / raw read: ${(rawSeconds / logtapSeconds).toFixed(2)} (target ≥ 0.9)`);
console.log(`  CPU per event: MariaDB's side ${perEvent(serverCpu)} µs, the broker ${perEvent(brokerCpu)} µs (mariadb-binlog's path: server ${perEvent(rawServerCpu)} µs, mariadb-binlog ${perEvent(rawReaderCpu)} µs)`);
console.log(`  ${catchUpBudget(events / rawSeconds, 0.9, (serverCpu + brokerCpu) * 1e6 / events)}`);
console.log(`insert → readable in Kafka at ${fmt(RATE)} tx/s for ${SECONDS} s: p50 ${latency.p50.toFixed(1)} ms, p99 ${latency.p99.toFixed(1)} ms, max ${latency.max.toFixed(1)} ms over ${fmt(latency.n)} rows (target p99 ≤ 50 ms)`);
const perTx = (micros: number) => (micros / Math.max(1, latency.n)).toFixed(1);
console.log(`  live phase CPU per transaction: logtap ${perTx(liveCpu.user + liveCpu.system)} µs (user ${perTx(liveCpu.user)}, system ${perTx(liveCpu.system)}; one row each)`);
console.log(`  live CPU per one-row transaction / catch-up CPU per event: ${((liveCpu.user + liveCpu.system) / Math.max(1, latency.n) / ((cpu.user + cpu.system) / events)).toFixed(1)}× (target ≤ 2×)`);
console.log(`peak RSS of the logtap process: ${(peakRss / 2 ** 20).toFixed(0)} MB (target ≤ 150 MB)`);
await sql.query(`DROP DATABASE ${database}`);
await sql.end();
