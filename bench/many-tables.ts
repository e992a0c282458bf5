// bench/many-tables: a PostgreSQL database of many small tables, on the test bed (npm run services:up).
//  A fresh database holds N tables of 5 rows each (int key, text, numeric, timestamptz). `logtap run` with the
//  default config and no table list (every table) runs as its own process, from the compiled bench build, as in
//  bench/vs-debezium; timed from its start until a row inserted once it streams is readable in Kafka
//  (read_committed, by a watcher in its own process). Peak RSS is the kernel's high-water mark (VmHWM) at that
//  moment. Same-run baseline: what PostgreSQL itself takes to list the tables and read all their rows
//  (psql: one catalog query, then `SELECT * FROM` each table through \gexec, into /dev/null).
//  The database, the slot and every topic of the run are dropped at the end.
// Usage: npm run bench:many-tables [-- --tables 2000] [--cpu-prof DIR]
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { stringify } from 'yaml';
import { createKafka } from '../src/kafka/kafka-client.js';
import { packageRoot } from '../src/package-root.js';
import { DAEMON_NODE_OPTIONS } from '../src/ops/node-options.js';
import { postgresObjectNames } from '../connectors/postgres/postgres-connector.js';
import { numberArg, runProcess, testBedUp } from './lib/bench-common.js';
import { pgBinDir } from './lib/pg-wide-table.js';
import { CdcProcess, killChildren } from './vs-debezium/cdc-process.js';
import { ReadableWatch } from './vs-debezium/readable-watch.js';

const TABLES = numberArg('tables', 2000);
const ROWS_PER_TABLE = 5;
const profileAt = process.argv.indexOf('--cpu-prof');
const cpuProfileDir = profileAt === -1 ? undefined : process.argv[profileAt + 1];
process.on('exit', killChildren);

const env = await testBedUp();
const suffix = Date.now().toString(36);
const database = `bench_many_${suffix}`;
const name = `bench-many-${suffix}`;
const topicPrefix = `bench-many-${suffix}`;
const brokers = env.LOGTAP_TEST_KAFKA_BROKERS;
const admin = new pg.Client({ connectionString: env.LOGTAP_TEST_PG_URL });
await admin.connect();
const url = new URL(env.LOGTAP_TEST_PG_URL);
url.pathname = `/${database}`;
const dbUrl = url.toString();
const tableName = (i: number) => `t_${String(i).padStart(5, '0')}`;

await admin.query(`CREATE DATABASE ${database}`);
const db = new pg.Client({ connectionString: dbUrl });
let process_: CdcProcess | undefined;
try {
  await db.connect();
  const creating = Date.now();
  // Batches of 250 tables, one transaction each (one transaction for all would need a lock per table at once).
  for (let from = 1; from <= TABLES; from += 250) {
    const statements: string[] = [];
    for (let i = from; i < Math.min(from + 250, TABLES + 1); i++) {
      const t = tableName(i);
      statements.push(`CREATE TABLE ${t} (id integer PRIMARY KEY, name text NOT NULL, amount numeric(10,2), at timestamptz NOT NULL DEFAULT now());`,
        `INSERT INTO ${t} (id, name, amount) SELECT g, 'row ' || g, g * 1.5 FROM generate_series(1, ${ROWS_PER_TABLE}) g;`);
    }
    await db.query(statements.join('\n'));
  }
  await db.query('VACUUM ANALYZE');
  const { rows: [version] } = await db.query<{ server_version: string }>('SHOW server_version');
  console.log(`bench/many-tables — ${TABLES.toLocaleString('en-US')} tables × ${ROWS_PER_TABLE} rows in a fresh database (created in ${((Date.now() - creating) / 1000).toFixed(1)} s), PostgreSQL ${version!.server_version}, node ${process.version}`);

  // Baseline: list the tables and read every row, as one psql session.
  // psql's \gexec runs each row of the listing query as a statement.
  const script = join(mkdtempSync(join(tmpdir(), 'bench-many-')), 'read-all.sql');
  writeFileSync(script, "SELECT format('SELECT * FROM %I.%I;', schemaname, tablename) FROM pg_catalog.pg_tables WHERE schemaname = 'public' ORDER BY 1 \\gexec\n");
  const baselineStart = Date.now();
  await runProcess('sh', ['-c', `${pgBinDir()}/psql "${dbUrl}" -qAt -o /dev/null -f ${script} > /dev/null`]);
  const baseline = (Date.now() - baselineStart) / 1000;
  console.log(`  baseline: psql lists the ${TABLES} tables and reads all ${(TABLES * ROWS_PER_TABLE).toLocaleString('en-US')} rows: ${baseline.toFixed(1)} s`);

  // logtap with its default config and no table list.
  const workDir = mkdtempSync(join(tmpdir(), 'bench-many-logtap-'));
  const configFile = join(workDir, 'logtap.yaml');
  const logFile = join(workDir, 'logtap.log');
  writeFileSync(configFile, stringify({ name, source: { url: dbUrl }, kafka: { brokers: brokers.split(',') }, topicPrefix }));
  const firstTopic = `${topicPrefix}.public.${tableName(1)}`;
  const needle = `first-streamed-change-${suffix}`;
  const watch = new ReadableWatch(brokers, firstTopic, { find: needle });
  const main = join(packageRoot(), 'dist-bench', 'src', 'cli', 'main.js');
  const profile = cpuProfileDir ? ['--cpu-prof', `--cpu-prof-dir=${cpuProfileDir}`] : [];
  process_ = new CdcProcess('logtap', process.execPath, [...DAEMON_NODE_OPTIONS, ...profile, main, 'run', '--config', configFile], logFile);
  const started = process_.startedAt;
  const lineTime = (msg: string): number | undefined => {
    for (const line of readFileSync(logFile, 'utf8').split('\n')) {
      if (line.includes(`"msg":"${msg}"`)) return (JSON.parse(line) as { time: number }).time;
    }
    return undefined;
  };
  let streamingAt: number | undefined;
  while ((streamingAt = lineTime('streaming')) === undefined) {
    process_.assertAlive(logFile);
    await sleep(50);
  }
  await db.query(`INSERT INTO ${tableName(1)} (id, name) VALUES (${ROWS_PER_TABLE + 1}, '${needle}')`);
  while (watch.doneAt === 0) {
    process_.assertAlive(logFile);
    await sleep(20);
  }
  const { peakRssMb } = process_.usage();
  const seconds = (at: number | undefined) => (at === undefined ? '?' : ((at - started) / 1000).toFixed(1));
  console.log(`  logtap (default config, every table): snapshot started at ${seconds(lineTime('snapshot started'))} s, finished at ${seconds(lineTime('snapshot finished'))} s, streaming at ${seconds(streamingAt)} s`);
  const total = (watch.doneAt - started) / 1000;
  console.log(`  logtap start → first streamed change readable: ${total.toFixed(1)} s (${(total / baseline).toFixed(1)}× the baseline; target ≤ 30 s for 2,000 tables), peak RSS ${peakRssMb.toFixed(0)} MB (target ≤ 160 MB)`);
  await process_.stop();
  process_ = undefined;
} finally {
  await process_?.stop();
  await db.end().catch(() => {});
  const { slot } = postgresObjectNames(name);
  await admin.query('SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE slot_name = $1', [slot]).catch((err: Error) => console.error(`could not drop slot ${slot}: ${err.message}`));
  await admin.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`).catch((err: Error) => console.error(`could not drop database ${database}: ${err.message}`));
  await admin.end();
  const kafkaAdmin = createKafka({ brokers: brokers.split(',') }, 'bench-many-tables').admin();
  await kafkaAdmin.connect();
  const ours = (await kafkaAdmin.listTopics()).filter((t) => t.startsWith(`${topicPrefix}.`) || t.startsWith(`${topicPrefix}_`));
  for (let i = 0; i < ours.length; i += 500) await kafkaAdmin.deleteTopics({ topics: ours.slice(i, i + 500), timeout: 120_000 });
  await kafkaAdmin.disconnect();
  console.log(`  cleaned up: database ${database}, slot, ${ours.length} topics`);
}
process.exit(0);
