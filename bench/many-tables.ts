// bench/many-tables: a database of many small tables, on the test bed (npm run services:up).
//  A fresh database (PostgreSQL, or MariaDB with --source mysql) holds N tables of 5 rows each (int key, text,
//  numeric, timestamp). `logtap run` with the
//  default config and no table list (every table) runs as its own process, from the compiled bench build, as in
//  bench/vs-debezium; timed from its start until a row inserted once it streams is readable in Kafka
//  (read_committed, by a watcher in its own process). Peak RSS is the kernel's high-water mark (VmHWM) at that
//  moment. Same-run baseline: what the database itself takes to list the tables and read all their rows (psql: one
//  catalog query, then `SELECT * FROM` each table through \gexec; MariaDB: the mariadb client reading a generated
//  script of one SELECT per table after its information_schema listing; into /dev/null).
//  The database, the slot and every topic of the run are dropped at the end.
// Usage: npm run bench:many-tables [-- --tables 2000] [--source postgres|mysql] [--cpu-prof DIR]
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import mysql from 'mysql2/promise';
import pg from 'pg';
import { stringify } from 'yaml';
import { createKafka } from '../src/kafka/kafka-client.js';
import { packageRoot } from '../src/package-root.js';
import { DAEMON_NODE_OPTIONS } from '../src/ops/node-options.js';
import { postgresObjectNames } from '../connectors/postgres/postgres-connector.js';
import { choiceArg, numberArg, runProcess, testBedUp } from './lib/bench-common.js';
import { pgBinDir } from './lib/pg-wide-table.js';
import { CdcProcess, killChildren } from './vs-debezium/cdc-process.js';
import { ReadableWatch } from './vs-debezium/readable-watch.js';

const TABLES = numberArg('tables', 2000);
const SOURCE = choiceArg('source', ['postgres', 'mysql'] as const, 'postgres');
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
const tableName = (i: number) => `t_${String(i).padStart(5, '0')}`;

/** One database of the bench: the fresh database of N tables, its baseline read, logtap's URL, a row inserted once streaming. */
interface ManyTablesBed {
  /** Creates the tables and their rows; returns the server's name and version. */
  create(): Promise<string>;
  /** Seconds the database's own client takes to list the tables and read every row. */
  baseline(): Promise<number>;
  url: string;
  /** The namespace of the tables in topic names. */
  namespace: string;
  insert(id: number, text: string): Promise<void>;
  drop(): Promise<void>;
}

/** Batches of 250 tables, one transaction each (one transaction for all would need a lock per table at once). */
function createStatements(from: number, make: (t: string) => string[]): string[] {
  const statements: string[] = [];
  for (let i = from; i < Math.min(from + 250, TABLES + 1); i++) statements.push(...make(tableName(i)));
  return statements;
}

async function postgresBed(): Promise<ManyTablesBed> {
  const admin = new pg.Client({ connectionString: env.LOGTAP_TEST_PG_URL });
  await admin.connect();
  const url = new URL(env.LOGTAP_TEST_PG_URL);
  url.pathname = `/${database}`;
  const dbUrl = url.toString();
  await admin.query(`CREATE DATABASE ${database}`);
  const db = new pg.Client({ connectionString: dbUrl });
  await db.connect();
  return {
    url: dbUrl,
    namespace: 'public',
    async create() {
      for (let from = 1; from <= TABLES; from += 250) {
        await db.query(createStatements(from, (t) => [`CREATE TABLE ${t} (id integer PRIMARY KEY, name text NOT NULL, amount numeric(10,2), at timestamptz NOT NULL DEFAULT now());`,
          `INSERT INTO ${t} (id, name, amount) SELECT g, 'row ' || g, g * 1.5 FROM generate_series(1, ${ROWS_PER_TABLE}) g;`]).join('\n'));
      }
      await db.query('VACUUM ANALYZE');
      const { rows: [version] } = await db.query<{ server_version: string }>('SHOW server_version');
      return `PostgreSQL ${version!.server_version}`;
    },
    async baseline() {
      // psql's \gexec runs each row of the listing query as a statement.
      const script = join(mkdtempSync(join(tmpdir(), 'bench-many-')), 'read-all.sql');
      writeFileSync(script, "SELECT format('SELECT * FROM %I.%I;', schemaname, tablename) FROM pg_catalog.pg_tables WHERE schemaname = 'public' ORDER BY 1 \\gexec\n");
      const started = Date.now();
      await runProcess('sh', ['-c', `${pgBinDir()}/psql "${dbUrl}" -qAt -o /dev/null -f ${script} > /dev/null`]);
      return (Date.now() - started) / 1000;
    },
    async insert(id, text) {
      await db.query(`INSERT INTO ${tableName(1)} (id, name) VALUES (${id}, '${text}')`);
    },
    async drop() {
      await db.end().catch(() => {});
      const { slot } = postgresObjectNames(name);
      await admin.query('SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE slot_name = $1', [slot]).catch((err: Error) => console.error(`could not drop slot ${slot}: ${err.message}`));
      await admin.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`).catch((err: Error) => console.error(`could not drop database ${database}: ${err.message}`));
      await admin.end();
    },
  };
}

async function mysqlBed(): Promise<ManyTablesBed> {
  const base = new URL(env.LOGTAP_TEST_MYSQL_URL);
  const db = await mysql.createConnection({ host: base.hostname, port: Number(base.port), user: decodeURIComponent(base.username), password: decodeURIComponent(base.password), multipleStatements: true });
  await db.query(`CREATE DATABASE ${database}`);
  await db.query(`USE ${database}`);
  const url = new URL(env.LOGTAP_TEST_MYSQL_URL);
  url.pathname = `/${database}`;
  const client = (args: string[], input?: string) => execFileSync('mariadb', [`--host=${base.hostname}`, `--port=${base.port}`, `--user=${decodeURIComponent(base.username)}`, `--password=${decodeURIComponent(base.password)}`, ...args],
    { input, maxBuffer: 1 << 28 }).toString();
  return {
    url: url.toString(),
    namespace: database,
    async create() {
      for (let from = 1; from <= TABLES; from += 250) {
        await db.query(createStatements(from, (t) => [`CREATE TABLE ${t} (id integer PRIMARY KEY, name text NOT NULL, amount decimal(10,2), at timestamp(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6));`,
          `INSERT INTO ${t} (id, name, amount) SELECT seq, CONCAT('row ', seq), seq * 1.5 FROM seq_1_to_${ROWS_PER_TABLE};`]).join('\n'));
      }
      const [[version]] = await db.query('SELECT VERSION() AS v') as unknown as [[{ v: string }]];
      return `MariaDB ${version!.v}`;
    },
    async baseline() {
      const started = Date.now();
      const listing = client(['--batch', '--skip-column-names', '-e', `SELECT CONCAT('SELECT * FROM ${database}.', TABLE_NAME, ';') FROM information_schema.TABLES WHERE TABLE_SCHEMA = '${database}' ORDER BY 1`]);
      client(['--batch', '--quick'], listing);
      return (Date.now() - started) / 1000;
    },
    async insert(id, text) {
      await db.query(`INSERT INTO ${tableName(1)} (id, name) VALUES (${id}, '${text}')`);
    },
    async drop() {
      await db.query(`DROP DATABASE IF EXISTS ${database}`).catch((err: Error) => console.error(`could not drop database ${database}: ${err.message}`));
      await db.end().catch(() => {});
    },
  };
}

const bed = SOURCE === 'postgres' ? await postgresBed() : await mysqlBed();
let process_: CdcProcess | undefined;
try {
  const creating = Date.now();
  const server = await bed.create();
  console.log(`bench/many-tables — ${TABLES.toLocaleString('en-US')} tables × ${ROWS_PER_TABLE} rows in a fresh database (created in ${((Date.now() - creating) / 1000).toFixed(1)} s), ${server}, node ${process.version}`);

  // Baseline: list the tables and read every row, with the database's own client.
  const baseline = await bed.baseline();
  console.log(`  baseline: the database's client lists the ${TABLES} tables and reads all ${(TABLES * ROWS_PER_TABLE).toLocaleString('en-US')} rows: ${baseline.toFixed(1)} s`);

  // logtap with its default config and no table list.
  const workDir = mkdtempSync(join(tmpdir(), 'bench-many-logtap-'));
  const configFile = join(workDir, 'logtap.yaml');
  const logFile = join(workDir, 'logtap.log');
  writeFileSync(configFile, stringify({ name, source: { url: bed.url }, kafka: { brokers: brokers.split(',') }, topicPrefix }));
  const firstTopic = `${topicPrefix}.${bed.namespace}.${tableName(1)}`;
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
  await bed.insert(ROWS_PER_TABLE + 1, needle);
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
  await bed.drop();
  const kafkaAdmin = createKafka({ brokers: brokers.split(',') }, 'bench-many-tables').admin();
  await kafkaAdmin.connect();
  const ours = (await kafkaAdmin.listTopics()).filter((t) => t.startsWith(`${topicPrefix}.`) || t.startsWith(`${topicPrefix}_`));
  for (let i = 0; i < ours.length; i += 500) await kafkaAdmin.deleteTopics({ topics: ours.slice(i, i + 500), timeout: 120_000 });
  await kafkaAdmin.disconnect();
  console.log(`  cleaned up: database ${database}${SOURCE === 'postgres' ? ', slot' : ''}, ${ours.length} topics`);
}
process.exit(0);
