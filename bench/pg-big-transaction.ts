// bench/pg-big-transaction: one PostgreSQL transaction of 2M rows (INSERT … SELECT generate_series, ~60 bytes a
// row), on the test bed (npm run services:up). For each way of reading it, in a process of its own:
//  - logtap, streaming on (pgoutput streaming, spooled to disk: the server's logical_decoding_work_mem as it is)
//    and streaming off (the server decodes the transaction whole before sending it), live into Kafka
//    (exactly-once): the time from the source commit until a read_committed consumer (its own process) has read
//    the transaction's last record; peak RSS of the process logtap runs in;
//  - pg_recvlogical (pgoutput, protocol 1, to a file), live on its own slot: the time from the commit until the
//    transaction's last message (its Commit) is written — the floor for a reader of whole transactions.
// Usage: npm run bench:pg-big-transaction [-- --rows 2000000]
import { execFileSync, spawn } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { configSchema } from '../src/config/config-schema.js';
import { createKafka } from '../src/kafka/kafka-client.js';
import { TopicManager } from '../src/kafka/topic-manager.js';
import { packageRoot } from '../src/package-root.js';
import { createPostgresConnector } from '../connectors/postgres/postgres-connector.js';
import { applyDaemonHeapPolicy } from '../src/ops/node-options.js';
import { choiceArg, numberArg, runLogtapUntil, testBedUp } from './lib/bench-common.js';

const ROWS = numberArg('rows', 2_000_000);
const MODE = choiceArg('mode', ['all', 'streaming-on', 'streaming-off', 'pg_recvlogical'] as const, 'all');

interface Result { mode: string; commitToLastSeconds: number; transactionSeconds: number; peakRssMb?: number; spilledMb?: number }

const env = await testBedUp();
const pgUrl = env.LOGTAP_TEST_PG_URL;

if (MODE === 'all') {
  const sql = new pg.Client({ connectionString: pgUrl });
  await sql.connect();
  const { rows: [settings] } = await sql.query<{ version: string; work_mem: string }>(`SELECT current_setting('server_version') AS version, current_setting('logical_decoding_work_mem') AS work_mem`);
  await sql.end();
  console.log(`bench/pg-big-transaction — one transaction of ${ROWS.toLocaleString('en-US')} rows, PostgreSQL ${settings!.version} (logical_decoding_work_mem ${settings!.work_mem}), node ${process.version}`);
  const results: Result[] = [];
  for (const mode of ['pg_recvlogical', 'streaming-off', 'streaming-on'] as const) {
    let out = '';
    let code: number | null = null;
    // The shared test bed's broker may refuse to create a topic for a moment: a run that fails is tried again.
    for (let attempt = 1; attempt <= 3 && code !== 0; attempt++) {
      const child = spawn(process.execPath, ['--max-semi-space-size=4', process.argv[1]!, '--mode', mode, '--rows', String(ROWS)], { stdio: ['ignore', 'pipe', 'inherit'] });
      out = '';
      child.stdout.on('data', (d) => { out += d; });
      code = await new Promise<number | null>((r) => child.once('exit', r));
    }
    // A failed run (the shared test bed's broker refusing for a moment) is reported; the others still count.
    if (code !== 0) console.log(`${mode}: failed (exit ${code}), see above`);
    else results.push(JSON.parse(out.trim().split('\n').pop()!) as Result);
  }
  const floor = results.find((r) => r.mode === 'pg_recvlogical')?.commitToLastSeconds ?? NaN;
  for (const r of results) {
    const rss = r.peakRssMb === undefined ? '' : `, peak RSS ${r.peakRssMb} MB`;
    const spill = r.spilledMb ? `, ${r.spilledMb} MB spooled` : '';
    console.log(`${r.mode.padEnd(15)} commit → last ${r.mode === 'pg_recvlogical' ? 'message written ' : 'record readable'}: ${r.commitToLastSeconds.toFixed(2).padStart(7)} s (${(r.commitToLastSeconds / floor).toFixed(2)}× pg_recvlogical)${rss}${spill}; the transaction took ${r.transactionSeconds.toFixed(1)} s`);
  }
}

// One way of reading the transaction (this process was started with --mode by the one above).
if (MODE !== 'all') await measureOne();

async function measureOne(): Promise<void> {
const sql = new pg.Client({ connectionString: pgUrl });
await sql.connect();
const suffix = `${Date.now().toString(36)}_${MODE.replace(/[^a-z]/g, '')}`;
const table = `bench_big_${suffix}`;
await sql.query(`CREATE TABLE ${table} (id int PRIMARY KEY, payload text NOT NULL, amount numeric(12,2) NOT NULL)`);
const insert = `INSERT INTO ${table} SELECT g, repeat('x', 32) || g, g % 100000 / 100.0 FROM generate_series(1, ${ROWS}) g`;
let result: Result;

if (MODE === 'pg_recvlogical') {
  const bin = execFileSync('sh', ['-c', 'ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1']).toString().trim();
  const publication = `bench_big_pub_${suffix}`;
  const slot = `bench_big_raw_${suffix}`;
  await sql.query(`CREATE PUBLICATION ${publication} FOR TABLE ${table}`);
  await sql.query(`SELECT pg_create_logical_replication_slot($1, 'pgoutput')`, [slot]);
  const file = join(mkdtempSync(join(tmpdir(), 'logtap-bench-')), 'out.bin');
  const recv = spawn(join(bin, 'pg_recvlogical'), ['-d', pgUrl, '-S', slot, '--start', '-o', 'proto_version=1', '-o', `publication_names=${publication}`, '-f', file, '-F', '0', '--no-loop'], { stdio: 'ignore' });
  await sleep(1000);
  const t0 = Date.now();
  await sql.query(insert);
  const committedAt = Date.now();
  // Done when the file ends with the transaction's Commit message ('C', flags, three int64) and a newline.
  let lastAt = 0;
  for (;;) {
    const { size, mtimeMs } = statSync(file, { throwIfNoEntry: false }) ?? { size: 0, mtimeMs: 0 };
    if (size >= 27) {
      const tail = Buffer.alloc(27);
      const fd = openSync(file, 'r');
      readSync(fd, tail, 0, 27, size - 27);
      closeSync(fd);
      if (tail[0] === 0x43 && tail[26] === 0x0a) {
        lastAt = mtimeMs;
        break;
      }
    }
    await sleep(20);
  }
  recv.kill('SIGTERM');
  await new Promise((r) => recv.once('exit', r));
  // The walsender may outlive pg_recvlogical for a moment.
  while (!(await sql.query('SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE slot_name = $1 AND NOT active', [slot])).rowCount) await sleep(100);
  await sql.query(`DROP PUBLICATION ${publication}`);
  result = { mode: MODE, commitToLastSeconds: (lastAt - committedAt) / 1000, transactionSeconds: (committedAt - t0) / 1000 };
} else {
  // logtap runs in this process: with the daemon's V8 heap policy, as `logtap run` does.
  applyDaemonHeapPolicy();
  const name = `bench-big-${suffix.replace(/_/g, '-')}`;
  const spillDir = mkdtempSync(join(tmpdir(), 'logtap-bench-spill-'));
  const config = configSchema.parse({
    name, source: { url: pgUrl, tables: [`public.${table}`] }, kafka: { brokers: env.LOGTAP_TEST_KAFKA_BROKERS.split(',') }, topicPrefix: name,
    snapshot: { mode: 'never' }, heartbeatIntervalMs: 1000,
    streaming: { mode: MODE === 'streaming-on' ? 'auto' : 'off', spillDir },
  });
  const kafka = createKafka(config.kafka, name);
  const topic = `${name}.public.${table}`;
  // The consumer subscribes before logtap publishes (a busy broker may need a retry to create it).
  for (let attempt = 1; ; attempt++) {
    try {
      await new TopicManager(kafka, 'bench').ensure(topic, { partitions: 1, compacted: true });
      break;
    } catch (err) {
      if (attempt === 5) throw err;
      await sleep(1000);
    }
  }
  let peakRss = 0;
  let spilled = 0;
  const spillBytes = () => {
    try {
      return execFileSync('du', ['-sb', spillDir]).toString().split('\t').map(Number)[0]!;
    } catch {
      return 0;
    }
  };
  const sampler = setInterval(() => { peakRss = Math.max(peakRss, process.memoryUsage().rss); }, 50);
  const spillSampler = setInterval(() => { spilled = Math.max(spilled, spillBytes()); }, 1000);
  let times = { t0: 0, committedAt: 0, lastAt: 0 };
  await runLogtapUntil(config, kafka, createPostgresConnector, async (streaming) => {
    await streaming;
    while (!(await sql.query(`SELECT 1 FROM pg_replication_slots WHERE slot_name LIKE $1 AND active`, [`%${name.replace(/[^a-z0-9]/g, '_')}%`])).rowCount) await sleep(20);
    const counter = spawn(process.execPath, [join(packageRoot(), 'dist-bench', 'bench', 'lib', 'count-consumer.js'), config.kafka.brokers.join(','), topic, String(ROWS)], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    counter.stdout.on('data', (d) => { out += d; });
    while (!out.includes('ready')) await sleep(20);
    peakRss = 0;
    const t0 = Date.now();
    await sql.query(insert);
    const committedAt = Date.now();
    await new Promise((r) => counter.once('exit', r));
    const counted = JSON.parse(out.trim().split('\n').pop()!) as { lastAt: number; n: number };
    if (counted.n < ROWS) throw new Error(`the consumer read ${counted.n} of ${ROWS} records`);
    times = { t0, committedAt, lastAt: counted.lastAt };
  });
  clearInterval(sampler);
  clearInterval(spillSampler);
  await sql.query(`SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE slot_name LIKE $1 AND NOT active`, [`%${name.replace(/[^a-z0-9]/g, '_')}%`]);
  await sql.query(`DROP PUBLICATION IF EXISTS ${(await sql.query<{ pubname: string }>(`SELECT pubname FROM pg_publication WHERE pubname LIKE $1`, [`%${name.replace(/[^a-z0-9]/g, '_')}%`])).rows[0]?.pubname ?? 'none_here'}`);
  result = {
    mode: MODE, commitToLastSeconds: (times.lastAt - times.committedAt) / 1000, transactionSeconds: (times.committedAt - times.t0) / 1000,
    peakRssMb: Math.round(peakRss / 2 ** 20), spilledMb: Math.round(spilled / 1e6),
  };
}
await sql.query(`DROP TABLE ${table}`);
await sql.end();
console.log(JSON.stringify(result));
}
