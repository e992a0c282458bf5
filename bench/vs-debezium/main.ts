// bench/vs-debezium: logtap and Debezium side by side on the test bed, same machine, same data, one run.
// Workloads: (1) PostgreSQL and (2) MariaDB streaming of many one-statement transactions (50% insert, 30% update,
// 20% delete, ~200-byte rows); (3) initial snapshot (when logtap has `snapshot.mode: initial`). Each round runs
// both tools one after the other, the first tool alternating between rounds; the figures are medians over rounds.
// Debezium 3.2 runs in Kafka Connect 3.9 standalone, assembled from Maven Central (bench/vs-debezium/debezium-assembly.ts).
// Usage: npm run bench:vs-debezium [-- --scale small|full --rounds N --events N --rate N --seconds N --snapshot-rows N --cpu-prof DIR
//        --workloads streaming,snapshot --delivery exactly-once|at-least-once --from-log FILE]
//   --delivery: logtap's (default exactly-once, its default); at-least-once is Debezium's own guarantee here
//   --from-log FILE: no run; the report is written from what an earlier run printed (pass that run's other options too)
//   full (default): 200,000 events, 3 rounds, latency at 2,000 inserts/s for 20 s, 1M-row snapshot
//   small: 20,000 events, 1 round, latency at 1,000 inserts/s for 10 s, 100k-row snapshot
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { configSchema } from '../../src/config/config-schema.js';
import { createKafka } from '../../src/kafka/kafka-client.js';
import { packageRoot } from '../../src/package-root.js';
import { choiceArg, numberArg, testBedUp } from '../lib/bench-common.js';
import { killChildren } from './cdc-process.js';
import { assembleDebezium, CONNECT_VERSION, DEBEZIUM_VERSION } from './debezium-assembly.js';
import { openMariadbBed } from './mariadb-bed.js';
import type { Measurement } from './measurement.js';
import type { SourceBed } from './source-bed.js';
import { openPgBed } from './pg-bed.js';
import { markdownTable, medians, writeChart } from './report.js';
import { measurementsFromLog } from './log-results.js';
import { streamingRound } from './streaming-round.js';
import { snapshotRound } from './snapshot-round.js';
import { connectJvmOptions, connectWorkerSettings, debeziumConnectorSettings, LOGTAP_DELIVERIES, logtapSettings } from './tool-configs.js';

const scaleAt = process.argv.indexOf('--scale');
const scale = scaleAt === -1 ? 'full' : process.argv[scaleAt + 1];
if (scale !== 'small' && scale !== 'full') {
  console.error(`bench:vs-debezium: --scale must be small or full, not ${scale}`);
  process.exit(2);
}
const small = scale === 'small';
const ROUNDS = numberArg('rounds', small ? 1 : 3);
const EVENTS = numberArg('events', small ? 20_000 : 200_000);
const RATE = numberArg('rate', small ? 1000 : 2000);
const SECONDS = numberArg('seconds', small ? 10 : 20);
const SNAPSHOT_ROWS = numberArg('snapshot-rows', small ? 100_000 : 1_000_000);
const DELIVERY = choiceArg('delivery', LOGTAP_DELIVERIES, 'exactly-once');
// --cpu-prof DIR: logtap runs under `node --cpu-prof` (profiles in DIR); its figures are then not representative,
// so no results file is written.
const cpuProfAt = process.argv.indexOf('--cpu-prof');
const CPU_PROFILE_DIR = cpuProfAt === -1 ? undefined : process.argv[cpuProfAt + 1];
if (cpuProfAt !== -1 && (!CPU_PROFILE_DIR || CPU_PROFILE_DIR.startsWith('--'))) {
  console.error('bench:vs-debezium: --cpu-prof takes the folder for the profiles, e.g. --cpu-prof /tmp/logtap-profiles');
  process.exit(2);
}
const workloadsAt = process.argv.indexOf('--workloads');
const WORKLOADS = new Set(workloadsAt === -1 ? ['streaming', 'snapshot'] : (process.argv[workloadsAt + 1] ?? '').split(','));
if (![...WORKLOADS].every((w) => w === 'streaming' || w === 'snapshot')) {
  console.error('bench:vs-debezium: --workloads takes streaming, snapshot or streaming,snapshot');
  process.exit(2);
}
if (![ROUNDS, EVENTS, RATE, SECONDS, SNAPSHOT_ROWS].every((x) => Number.isInteger(x) && x > 0) || EVENTS % 4 !== 0) {
  console.error('bench:vs-debezium: --rounds, --events, --rate, --seconds and --snapshot-rows take positive integers (--events a multiple of 4)');
  process.exit(2);
}

const results: Measurement[] = [];
// No CDC process or consumer outlives the harness, and a Ctrl-C mid-round still drops the round's slots,
// publications and tables (a forgotten slot would hold WAL on the server).
const openBeds = new Set<SourceBed>();
process.on('exit', killChildren);
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    killChildren();
    void Promise.allSettled([...openBeds].map((b) => b.cleanup())).then(() => process.exit(130));
  });
}
/** Runs one round on a fresh bed and drops what it created, also on a failure. */
async function onBed(bed: SourceBed, round: (bed: SourceBed) => Promise<Measurement[]>): Promise<void> {
  openBeds.add(bed);
  try {
    results.push(...await round(bed));
  } finally {
    openBeds.delete(bed);
    await bed.cleanup();
  }
}

const fromLogAt = process.argv.indexOf('--from-log');
const FROM_LOG = fromLogAt === -1 ? undefined : process.argv[fromLogAt + 1];
if (fromLogAt !== -1 && (!FROM_LOG || FROM_LOG.startsWith('--'))) {
  console.error('bench:vs-debezium: --from-log takes the file holding an earlier run\'s output');
  process.exit(2);
}
// Workload 3 needs logtap's initial snapshot (`snapshot.mode: initial`); without it the workload is reported as not available.
const snapshotAvailable = configSchema.safeParse({ name: 'x', source: { url: 'postgres://h/d' }, kafka: { brokers: ['h:1'] }, topicPrefix: 'x', snapshot: { mode: 'initial' } }).success;
const unavailable = snapshotAvailable || !WORKLOADS.has('snapshot') ? [] : [`initial snapshot (${SNAPSHOT_ROWS.toLocaleString('en-US')} rows; logtap has no \`snapshot.mode: initial\` yet)`];
if (FROM_LOG) results.push(...measurementsFromLog(readFileSync(FROM_LOG, 'utf8')));
else await runRounds();

async function runRounds(): Promise<void> {
  const env = await testBedUp();
  const install = assembleDebezium();
  const brokers = env.LOGTAP_TEST_KAFKA_BROKERS;
  const kafka = createKafka({ brokers: brokers.split(',') }, 'bench-vs-debezium');
  const runId = `${Date.now().toString(36)}${randomBytes(2).toString('hex')}`;
  console.log(`bench/vs-debezium — ${scale} scale: ${EVENTS.toLocaleString('en-US')} events per streaming workload, ${ROUNDS} round(s); logtap ${DELIVERY} (node ${process.version}) vs Debezium ${DEBEZIUM_VERSION} in Kafka Connect ${CONNECT_VERSION} standalone`);

  for (let round = 1; WORKLOADS.has('streaming') && round <= ROUNDS; round++) {
    const settings = { events: EVENTS, rate: RATE, seconds: SECONDS, brokers, round, logtapFirst: round % 2 === 1, delivery: DELIVERY, ...(CPU_PROFILE_DIR ? { cpuProfileDir: CPU_PROFILE_DIR } : {}) };
    await onBed(await openPgBed(env.LOGTAP_TEST_PG_URL, `${runId}p${round}`), (bed) => streamingRound(bed, 'PostgreSQL streaming', { ...settings, suffix: `${runId}p${round}` }, kafka, install));
    await onBed(await openMariadbBed(env.LOGTAP_TEST_MYSQL_URL, `${runId}m${round}`), (bed) => streamingRound(bed, 'MariaDB streaming', { ...settings, suffix: `${runId}m${round}` }, kafka, install));
  }

  for (let round = 1; WORKLOADS.has('snapshot') && snapshotAvailable && round <= ROUNDS; round++) {
    const settings = { rows: SNAPSHOT_ROWS, brokers, round, logtapFirst: round % 2 === 1, delivery: DELIVERY };
    await onBed(await openPgBed(env.LOGTAP_TEST_PG_URL, `${runId}ps${round}`), (bed) => snapshotRound(bed, 'PostgreSQL snapshot', { ...settings, suffix: `${runId}ps${round}` }, kafka, install));
    await onBed(await openMariadbBed(env.LOGTAP_TEST_MYSQL_URL, `${runId}ms${round}`), (bed) => snapshotRound(bed, 'MariaDB snapshot', { ...settings, suffix: `${runId}ms${round}` }, kafka, install));
  }

  // The run's topics (both tools', Debezium's schema history) go too: every name holds the run id.
  const admin = kafka.admin();
  await admin.connect();
  await admin.deleteTopics({ topics: (await admin.listTopics()).filter((t) => t.includes(runId)) });
  await admin.disconnect();
}

const rows = medians(results);
const table = markdownTable(rows, unavailable);
if (CPU_PROFILE_DIR) {
  console.log(`\n${table}\n\nlogtap ran under --cpu-prof (profiles in ${CPU_PROFILE_DIR}): no results file written`);
  process.exit(0);
}
const date = new Date().toISOString().slice(0, 10);
const dir = join(packageRoot(), 'bench', 'results');
mkdirSync(dir, { recursive: true });
// An at-least-once run is a different comparison: its own file beside the default (exactly-once) one.
const variant = `${scale}${DELIVERY === 'exactly-once' ? '' : `-${DELIVERY}`}`;
// A second run of the day (or of other workloads) gets its own files: results already written are never replaced.
let base = join(dir, `${date}-vs-debezium-${variant}${WORKLOADS.size === 1 ? `-${[...WORKLOADS][0]}` : ''}`);
for (let n = 2; existsSync(`${base}.md`); n++) base = base.replace(/(-run\d+)?$/, `-run${n}`);
const machine = `${execFileSync('nproc').toString().trim()} cores, ${Math.round(Number(/MemTotal:\s+(\d+)/.exec(execFileSync('cat', ['/proc/meminfo']).toString())?.[1] ?? 0) / 2 ** 20)} GiB`;
const props = (o: Record<string, string>) => Object.entries(o).map(([k, v]) => `\`${k}=${v}\``).join(', ');
writeFileSync(`${base}.md`, `# logtap vs Debezium — ${date}, ${scale} scale, logtap ${DELIVERY}

\`npm run bench:vs-debezium -- ${process.argv.slice(2).filter((a, i, all) => a !== '--from-log' && all[i - 1] !== '--from-log').join(' ')}\`${FROM_LOG ? ' (this report written afterwards from the run\'s output with `--from-log`)' : ''}: ${ROUNDS} round(s), ${EVENTS.toLocaleString('en-US')} events per streaming workload
(one-statement transactions: 50% insert, 30% update, 20% delete; ~200-byte rows), latency at ${RATE.toLocaleString('en-US')} one-row inserts/s
for ${SECONDS} s. Machine: ${machine}, node ${process.version}, the test bed of scripts/services.mjs (PostgreSQL, MariaDB, Kafka 3.9.1 single node).
Medians over rounds; the first tool alternates between rounds.

${table}

![chart](${basename(base)}.png)

## How it is measured
- events/s: the streaming workload is written while both tools are stopped (each took its start position
  before, with a warm-up row), closed by one row with a unique payload; then the tool's process starts, and the
  clock runs until that closing row is readable by a read_committed consumer (a separate process, the same for
  both tools). "incl. start" counts from the process start (JVM or Node); "from streaming start" from the tool's
  own log line (logtap: \`streaming\`; Debezium: \`Starting streaming\`).
- snapshot: a fresh table of ${SNAPSHOT_ROWS.toLocaleString('en-US')} rows (same row shape); logtap with \`snapshot.mode: initial\` (its defaults:
  parallelism 2, 10,000-row chunks), Debezium with \`snapshot.mode=initial\`; done when a read_committed consumer
  has read every row of the topic; "from streaming start" is from the snapshot-start log line (logtap:
  \`snapshot started\`; Debezium: \`Snapshot step 1\`).
- p50/p99: each row's insert time (a \`created_us\` column, the database's clock) to the record being readable by a
  read_committed consumer in its own process, while the tool streams a fixed rate of one-row inserts.
- peak RSS: the CDC process's VmHWM (/proc/<pid>/status) at its end; CPU s: utime+stime (/proc/<pid>/stat)
  from its start to the end of the catch-up (or snapshot).
- limits: \`pg_recvlogical\` (pgoutput, own slot, same WAL range) and \`mariadb-binlog --read-from-remote-server\`
  (same binlog range) for streaming; \`COPY … TO STDOUT\` via psql and a \`mariadb --quick\` SELECT for snapshots;
  all to /dev/null.

## Configurations
- logtap: \`node dist-bench/src/cli/main.js run --config …\` (the compiled CLI), ${JSON.stringify({ ...logtapSettings, delivery: DELIVERY })}:
  Avro single-object encoding, ${DELIVERY === 'exactly-once' ? 'exactly-once (changes and checkpoint in one Kafka transaction)' : 'at-least-once (the changes, then the checkpoint: Debezium\'s guarantee here)'}, acks=all (kafkajs' idempotent producer).
- Debezium ${DEBEZIUM_VERSION} (PostgreSQL: \`plugin.name=pgoutput\`; MariaDB: \`io.debezium.connector.mariadb.MariaDbConnector\`), \`snapshot.mode=no_data\`,
  ${props(debeziumConnectorSettings)}. MariaDB also: \`schema.history.internal.store.only.captured.tables.ddl=true\`,
  \`schema.history.internal.skip.unparseable.ddl=true\` (on a shared server other databases' DDL stopped it once).
- Kafka Connect ${CONNECT_VERSION} standalone worker: ${props(connectWorkerSettings)}; JVM ${connectJvmOptions.join(' ')} (Kafka's connect-standalone.sh defaults), Java 17.
  Debezium writes JSON (schemas disabled), logtap Avro: Confluent's AvroConverter is not on Maven Central (Apicurio's 3.0.9 converter is, but
  its parent POM is not). Connect standalone
  has no exactly-once source support, so Debezium ran at-least-once.
- Both: one partition per topic, acks=all, one record per row change (Debezium's delete tombstones off).
`);
// The chart last: a missing renderer must not cost the figures.
writeChart(rows, `${base}.png`, `logtap vs Debezium ${DEBEZIUM_VERSION} — ${scale} scale, logtap ${DELIVERY}, medians of ${ROUNDS} round(s), ${date}`);
console.log(`\n${table}\n\nwritten: ${base}.md, ${base}.png`);
