// bench/pg-stream: PostgreSQL → Kafka, on the test bed (npm run services:up).
//  1. Throughput: N small transactions (one ~200-byte row each, pgbench) are written while logtap is
//     stopped; then logtap catches up into Kafka (exactly-once). Same-run limit: pg_recvlogical decoding
//     the same WAL through pgoutput to /dev/null.
//  2. Latency: logtap streams live while pgbench writes at a fixed 5,000 transactions/s; p50/p99 of
//     source commit → Kafka commit, measured by the pipeline per source transaction.
//  Peak RSS of the process (logtap runs in it; the load comes from pgbench and pg_recvlogical processes).
//  The catch-up runs once per `--workers` setting (config `workers`: encoding worker threads, 0 = none), each through
//  its own slot filled by the same workload, with its own peak RSS; the live phase uses the last setting.
// Usage: npm run bench:pg-stream [-- --transactions 100000 --rate 5000 --seconds 15 --delivery exactly-once|at-least-once --max-delay-ms 10 --workers 0,1]
import { execFileSync, spawnSync } from 'node:child_process';
import { PerformanceObserver } from 'node:perf_hooks';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { configSchema } from '../src/config/config-schema.js';
import { createKafka } from '../src/kafka/kafka-client.js';
import { brokerCpuSeconds, catchUpBudget, choiceArg, mainThreadCpuSeconds, numberArg, numberListArg, reapedCpuSecondsOf, rssPeak, runLogtapUntil, runProcess, testBedUp } from './lib/bench-common.js';
import { defaultWorkers } from '../src/encoding/encode-pool.js';
import type { PipelineMetrics } from '../src/pipeline/pipeline-metrics.js';
import { createPostgresConnector } from '../connectors/postgres/postgres-connector.js';
import { applyDaemonHeapPolicy } from '../src/ops/node-options.js';

// logtap runs in this process: with the daemon's V8 heap policy, as `logtap run` does.
applyDaemonHeapPolicy();

const TRANSACTIONS = numberArg('transactions', 100_000);
const RATE = numberArg('rate', 5000);
const SECONDS = numberArg('seconds', 15);
const MAX_DELAY_MS = numberArg('max-delay-ms', 10);
const DELIVERY = choiceArg('delivery', ['exactly-once', 'at-least-once'] as const, 'exactly-once');
const WORKERS = numberListArg('workers', [0, Math.max(1, defaultWorkers())]);

const env = await testBedUp();
const pgUrl = env.LOGTAP_TEST_PG_URL;
const bin = execFileSync('sh', ['-c', 'ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1']).toString().trim();
const sql = new pg.Client({ connectionString: pgUrl });
await sql.connect();
const suffix = Date.now().toString(36);
const table = `bench_pg_${suffix}`;
const name = `bench-pg-${suffix}`;
await sql.query(`CREATE TABLE ${table} (id bigserial PRIMARY KEY, payload text NOT NULL, amount numeric(12,2) NOT NULL, created_at timestamptz NOT NULL DEFAULT now())`);
const script = join(mkdtempSync(join(tmpdir(), 'logtap-bench-')), 'insert.sql');
// One row of about 200 bytes per transaction.
writeFileSync(script, `INSERT INTO ${table} (payload, amount) VALUES (repeat('x', 160), (random() * 100000)::numeric(12,2));\n`);

let peakRss = 0;
const peak = { heapTotal: 0, external: 0, arrayBuffers: 0 };
const rssTimer = setInterval(() => {
  const m = process.memoryUsage();
  peakRss = Math.max(peakRss, m.rss);
  peak.heapTotal = Math.max(peak.heapTotal, m.heapTotal);
  peak.external = Math.max(peak.external, m.external);
  peak.arrayBuffers = Math.max(peak.arrayBuffers, m.arrayBuffers);
}, 50);
const latencies: number[] = [];
/** Latencies of the live phase from its second second on: pgbench's start (4 new backends) is past. */
const settledLatencies: number[] = [];
/** The worst latency of each second of the live phase: a stall and a steady backlog look different. */
const worstBySecond: number[] = [];
let liveStartedAt = 0;
/** CPU of this process and of the broker over the live phase: what a lower latency costs. */
let liveCpu: NodeJS.CpuUsage = { user: 0, system: 0 };
let liveBroker = 0;
/** CPU per event (µs) of the last catch-up: the live phase runs with its configuration. */
let catchUpCpuPerEvent = NaN;
let flushedRecords = 0;
let batches = 0;
let commitMillis = 0;
/** Kafka commit durations and GC pauses of the live phase: where a latency spike comes from. */
const liveCommits: number[] = [];
const livePauses: number[] = [];
new PerformanceObserver((list) => { if (liveStartedAt) for (const e of list.getEntries()) livePauses.push(e.duration); }).observe({ entryTypes: ['gc'] });
const metrics: PipelineMetrics = {
  transaction() {},
  flushed(b) {
    flushedRecords += b.records; batches++; commitMillis += b.millis;
    if (liveStartedAt) liveCommits.push(b.millis);
  },
  commitToAck(ms) {
    latencies.push(ms);
    if (liveStartedAt) {
      const second = Math.floor((Date.now() - liveStartedAt) / 1000);
      worstBySecond[second] = Math.max(worstBySecond[second] ?? 0, ms);
      if (second >= 1) settledLatencies.push(ms);
    }
  },
};
const configOf = (workers: number) => configSchema.parse({
  name: `${name}-w${workers}`, workers, source: { url: pgUrl, tables: [`public.${table}`] }, kafka: { brokers: env.LOGTAP_TEST_KAFKA_BROKERS.split(',') }, topicPrefix: name,
  // Streaming only: the table fills while logtap is stopped, and an initial snapshot would publish it twice.
  snapshot: { mode: 'never' },
  delivery: DELIVERY,
  batch: { maxRecords: 5000, maxBytes: 8 << 20, maxDelayMs: MAX_DELAY_MS }, heartbeatIntervalMs: 1000,
});
const configs = WORKERS.map(configOf);
const kafka = createKafka(configs[0]!.kafka, name);

/** Runs logtap in this process until `until` resolves. */
const runLogtap = (config: ReturnType<typeof configOf>, until: (state: { streaming: Promise<void> }) => Promise<void>) => runLogtapUntil(config, kafka, createPostgresConnector, (streaming) => until({ streaming }), metrics);

const slotOf = async (config: ReturnType<typeof configOf>) => (await sql.query<{ slot_name: string }>(`SELECT slot_name FROM pg_replication_slots WHERE slot_name LIKE $1 AND active`, [`%${config.name.replace(/[^a-z0-9]/g, '_')}%`])).rows[0]?.slot_name;
const currentLsn = async () => (await sql.query<{ lsn: string }>('SELECT pg_current_wal_insert_lsn()::text AS lsn')).rows[0]!.lsn;
const walsenderPast = async (slot: string, lsn: string) => (await sql.query<{ ok: boolean }>(
  'SELECT r.sent_lsn >= $2::pg_lsn AS ok FROM pg_replication_slots s JOIN pg_stat_replication r ON r.pid = s.active_pid WHERE s.slot_name = $1', [slot, lsn])).rows[0]?.ok === true;
const caughtUp = async (slot: string, lsn: string) => (await sql.query<{ ok: boolean }>('SELECT confirmed_flush_lsn >= $2::pg_lsn AS ok FROM pg_replication_slots WHERE slot_name = $1', [slot, lsn])).rows[0]!.ok;

// Create logtap's slots and publications (one per workers setting), and pg_recvlogical's slot, before the workload.
const slots: string[] = [];
for (const config of configs) {
  await runLogtap(config, async ({ streaming }) => {
    await streaming;
    let found = '';
    while (!(found = (await slotOf(config)) ?? '')) await sleep(20);
    slots.push(found);
  });
}
const slot = slots.at(-1)!;
const publication = (await sql.query<{ pubname: string }>(`SELECT pubname FROM pg_publication_tables WHERE tablename = $1`, [table])).rows[0]!.pubname;
const rawSlot = `bench_raw_${suffix}`;
await sql.query(`SELECT pg_create_logical_replication_slot($1, 'pgoutput')`, [rawSlot]);

console.log(`bench/pg-stream — ${TRANSACTIONS.toLocaleString('en-US')} one-row transactions, PostgreSQL ${(await sql.query('SHOW server_version')).rows[0].server_version}, node ${process.version}`);
const t0 = Date.now();
execFileSync(join(bin, 'pgbench'), ['-n', '-c', '4', '-j', '2', '-t', String(Math.ceil(TRANSACTIONS / 4)), '-f', script, pgUrl], { stdio: 'ignore' });
console.log(`workload written by pgbench in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
const endLsn = await currentLsn();
const events = Number((await sql.query(`SELECT count(*) AS n FROM ${table}`)).rows[0].n);

// The CPU of each side of a catch-up: the server's walsender is counted once it exited (its postmaster reaps it).
const dataDirectory = (await sql.query<{ data_directory: string }>('SHOW data_directory')).rows[0]!.data_directory;
const postmasterPid = Number(readFileSync(join(dataDirectory, 'postmaster.pid'), 'utf8').split('\n')[0]);
/** Waits until no session holds `slotName` any more and its walsender has been reaped. */
const sessionEnded = async (slotName: string) => {
  while ((await sql.query<{ active: boolean }>('SELECT active FROM pg_replication_slots WHERE slot_name = $1', [slotName])).rows[0]?.active) await sleep(20);
  await sleep(200);
};

// The raw limit: pg_recvlogical decoding the same WAL (pgoutput) to /dev/null.
const rawReader0 = reapedCpuSecondsOf(process.pid);
const rawServer0 = reapedCpuSecondsOf(postmasterPid);
const r0 = Date.now();
const raw = spawnSync(join(bin, 'pg_recvlogical'), ['-d', pgUrl, '-S', rawSlot, '--start', '-o', 'proto_version=1', '-o', `publication_names=${publication}`, '-E', endLsn, '-f', '/dev/null', '--no-loop'], { stdio: 'ignore' });
const rawSeconds = (Date.now() - r0) / 1000;
if (raw.status !== 0) throw new Error(`pg_recvlogical failed with ${raw.status}`);
const rawReaderCpu = reapedCpuSecondsOf(process.pid) - rawReader0;
await sessionEnded(rawSlot);
const rawServerCpu = reapedCpuSecondsOf(postmasterPid) - rawServer0;
await sql.query('SELECT pg_drop_replication_slot($1)', [rawSlot]);
const fmt = (n: number) => Math.round(n).toLocaleString('en-US');

// logtap catching up the same WAL into Kafka, once per workers setting.
const rawRate = events / rawSeconds;
const perEvent = (seconds: number) => (seconds * 1e6 / events).toFixed(1);
const catchUps: string[] = [];
for (const [i, config] of configs.entries()) {
  const l0 = Date.now();
  const cpu0 = process.cpuUsage();
  const rss = rssPeak();
  flushedRecords = 0;
  batches = 0;
  commitMillis = 0;
  const server0 = reapedCpuSecondsOf(postmasterPid);
  const broker0 = brokerCpuSeconds();
  const main0 = mainThreadCpuSeconds();
  await runLogtap(config, async ({ streaming }) => {
    await streaming;
    while (!(await caughtUp(slots[i]!, endLsn))) await sleep(20);
  });
  const logtapSeconds = (Date.now() - l0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  const mainCpu = mainThreadCpuSeconds() - main0;
  const brokerCpu = brokerCpuSeconds() - broker0;
  await sessionEnded(slots[i]!);
  const serverCpu = reapedCpuSecondsOf(postmasterPid) - server0;
  const logtapRate = events / logtapSeconds;
  catchUpCpuPerEvent = (cpu.user + cpu.system) / events;
  // CPU per event is steadier than events/s on a shared machine: it does not count time spent waiting for a core.
  catchUps.push(`logtap catch-up into Kafka (${DELIVERY}), workers ${config.workers}: ${fmt(logtapRate)} events/s (${logtapSeconds.toFixed(2)} s, incl. start; ${(logtapRate / rawRate).toFixed(2)}× pg_recvlogical, target ≥ 0.9)`,
    `  ${((cpu.user + cpu.system) / events).toFixed(1)} µs of logtap CPU per event, worker threads included (${((cpu.user + cpu.system) / 1e6).toFixed(2)} s; main thread ${perEvent(mainCpu)} µs, busy ${(100 * mainCpu / logtapSeconds).toFixed(0)}% of the time); peak RSS ${(rss.stop() / 2 ** 20).toFixed(0)} MB`,
    `  ${batches} Kafka transactions of ${Math.round(flushedRecords / Math.max(1, batches))} records on average, ${(commitMillis / Math.max(1, batches)).toFixed(0)} ms per commit`,
    `  CPU per event: PostgreSQL's side ${perEvent(serverCpu)} µs, the broker ${perEvent(brokerCpu)} µs (pg_recvlogical's path: walsender ${perEvent(rawServerCpu)} µs, pg_recvlogical ${perEvent(rawReaderCpu)} µs)`,
    `  ${catchUpBudget(rawRate, 0.9, (serverCpu + brokerCpu) * 1e6 / events)}`);
  if (i < configs.length - 1) await sql.query('SELECT pg_drop_replication_slot($1)', [slots[i]!]);
}

// Latency at a fixed rate, streaming live (with the last configuration above, whose catch-up CPU per event is kept).
latencies.length = 0;
await runLogtap(configs.at(-1)!, async ({ streaming }) => {
  await streaming;
  // A new walsender first decodes again from the slot's restart_lsn (which trails the catch-up just done) up to
  // its confirmed position: not what this phase measures. Start the load once the walsender has read past the WAL's
  // end (its sent_lsn: the slot's confirmed position is already there, from the catch-up's session).
  const now = await currentLsn();
  while (!(await caughtUp(slot, now)) || !(await walsenderPast(slot, now))) await sleep(20);
  liveStartedAt = Date.now();
  liveCpu = process.cpuUsage();
  liveBroker = brokerCpuSeconds();
  // synchronous_commit=on for pgbench's sessions: with the test bed's `off`, a commit reaches the walsender only at
  // the WAL writer's next flush (up to 200 ms later), a latency floor of the bed, not of logtap.
  await runProcess(join(bin, 'pgbench'), ['-n', '-c', '4', '-j', '2', '-R', String(RATE), '-T', String(SECONDS), '-f', script, pgUrl], { PGOPTIONS: '-c synchronous_commit=on' });
  const last = await currentLsn();
  while (!(await caughtUp(slot, last))) await sleep(20);
  liveCpu = process.cpuUsage(liveCpu);
  liveBroker = brokerCpuSeconds() - liveBroker;
});
clearInterval(rssTimer);
latencies.sort((a, b) => a - b);
const pct = (p: number, of = latencies) => of[Math.min(of.length - 1, Math.floor((p / 100) * of.length))] ?? NaN;
settledLatencies.sort((a, b) => a - b);

console.log(`pg_recvlogical (raw pgoutput decode, same WAL)       ${fmt(rawRate).padStart(10)} events/s  (${rawSeconds.toFixed(2)} s)`);
for (const line of catchUps) console.log(line);
console.log(`live phase with workers ${configs.at(-1)!.workers}:`);
console.log(`commit → Kafka ack at ${fmt(RATE)} tx/s for ${SECONDS} s: p50 ${pct(50).toFixed(1)} ms, p99 ${pct(99).toFixed(1)} ms, max ${pct(100).toFixed(1)} ms over ${fmt(latencies.length)} transactions (target p99 ≤ 50 ms)`);
const summary = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const at = (p: number) => (sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] ?? NaN).toFixed(1);
  return `${sorted.length} × p50 ${at(0.5)} / p99 ${at(0.99)} / max ${at(1)} ms`;
};
console.log(`  without the first second (pgbench starting its 4 backends): p50 ${pct(50, settledLatencies).toFixed(1)} ms, p99 ${pct(99, settledLatencies).toFixed(1)} ms over ${fmt(settledLatencies.length)} transactions`);
console.log(`  live phase CPU per transaction: logtap ${((liveCpu.user + liveCpu.system) / latencies.length).toFixed(1)} µs (user ${(liveCpu.user / latencies.length).toFixed(1)}, system ${(liveCpu.system / latencies.length).toFixed(1)}), broker ${(liveBroker * 1e6 / latencies.length).toFixed(1)} µs`);
console.log(`  live CPU per one-row transaction / catch-up CPU per event: ${((liveCpu.user + liveCpu.system) / latencies.length / catchUpCpuPerEvent).toFixed(1)}× (target ≤ 2×)`);
console.log(`  live phase: Kafka commits ${summary(liveCommits)}; GC pauses ${summary(livePauses)}`);
console.log(`  worst latency per second of the live phase (ms): ${Array.from(worstBySecond, (ms) => Math.round(ms ?? 0)).join(' ')}`);
console.log(`peak RSS of the logtap process: ${(peakRss / 2 ** 20).toFixed(0)} MB (target ≤ 150 MB; peaks: V8 heap ${(peak.heapTotal / 2 ** 20).toFixed(0)} MB, external ${(peak.external / 2 ** 20).toFixed(0)} MB)`);

await sql.query(`SELECT pg_drop_replication_slot($1)`, [slot]).catch(() => {});
await sql.query(`DROP TABLE ${table}`);
await sql.end();
