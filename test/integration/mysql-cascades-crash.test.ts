import { afterAll, describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { setTimeout as sleep } from 'node:timers/promises';
import mysql from 'mysql2/promise';
import { createKafka } from '../../src/kafka/kafka-client.js';
import { CheckpointStore } from '../../src/kafka/checkpoint-store.js';
import { testBed } from '../helpers/test-bed.js';
import { uniqueName } from '../helpers/names.js';
import { waitFor } from '../helpers/wait.js';
import { type Daemon, startDaemon, waitStreaming, writeConfig } from '../helpers/daemon.js';
import { readTopicAsTable } from '../helpers/topic-table.js';
import { checkpointCovers } from '../helpers/mariadb-checkpoint.js';

// kill -9 of the real daemon while a workload changes parent keys and deletes parents whose ON UPDATE/DELETE
// CASCADE and SET NULL children (two levels) InnoDB changes outside the binlog. Batches are smaller than one
// cascade (15 changes), so only the rule that no checkpoint cuts a parent row's cascade keeps the restarts exact. Afterwards
// `logtap replay --verify` into an empty database gives the source tables.
const KILLS = 6;

describe('MariaDB foreign-key cascades survive kill -9', () => {
  const bed = testBed();
  const url = new URL(bed.mysqlUrl);
  const connection = { host: url.hostname, port: Number(url.port), user: decodeURIComponent(url.username), password: decodeURIComponent(url.password), multipleStatements: true };
  const urlFor = (database: string) => `${bed.mysqlUrl.replace(/\/[^/]*$/, '')}/${database}`;
  const name = uniqueName('ccrash');
  const database = uniqueName('ccrash');
  const target = uniqueName('ccrash_dst');
  const prefix = uniqueName('ccrash');
  const kafka = createKafka({ brokers: bed.kafkaBrokers }, 'test');
  let sql: mysql.Connection;
  let daemon: Daemon | undefined;

  afterAll(async () => {
    daemon?.child.kill('SIGKILL');
    for (const d of [database, target]) await sql?.query(`DROP DATABASE IF EXISTS ${d}`).catch(() => {});
    await sql?.end();
  });

  it(`keeps the child topics equal to the tables across ${KILLS} crashes`, async () => {
    sql = await mysql.createConnection(connection);
    const d = database;
    await sql.query(`CREATE DATABASE ${d}; CREATE DATABASE ${target};
      CREATE TABLE ${d}.customer (id INT PRIMARY KEY, name VARCHAR(40) NOT NULL);
      CREATE TABLE ${d}.orders (id INT PRIMARY KEY, customer_id INT NOT NULL, UNIQUE KEY order_customer (id, customer_id),
        FOREIGN KEY (customer_id) REFERENCES ${d}.customer (id) ON UPDATE CASCADE ON DELETE CASCADE);
      CREATE TABLE ${d}.order_line (id INT PRIMARY KEY, order_id INT NOT NULL, order_customer INT NOT NULL, qty INT NOT NULL,
        FOREIGN KEY (order_id, order_customer) REFERENCES ${d}.orders (id, customer_id) ON UPDATE CASCADE ON DELETE CASCADE);
      CREATE TABLE ${d}.note (id INT PRIMARY KEY, customer_id INT NULL, FOREIGN KEY (customer_id) REFERENCES ${d}.customer (id) ON UPDATE CASCADE ON DELETE SET NULL)`);
    const config = writeConfig({
      name, source: { url: urlFor(d) }, kafka: { brokers: bed.kafkaBrokers }, topicPrefix: prefix,
      batch: { maxRecords: 8, maxBytes: 4 << 20, maxDelayMs: 20 }, heartbeatIntervalMs: 500, restart: { initialBackoffMs: 100, maxBackoffMs: 1000 },
    });
    daemon = startDaemon(config);
    await waitStreaming(daemon);
    const checkpoints = new CheckpointStore(kafka, prefix, name);
    await waitFor('the first stream checkpoint', async () => ((await checkpoints.load())?.position.token.startsWith('my1:') ? true : undefined), 30_000, 200);

    let done = false;
    let nextId = 1;
    const live: number[] = [];
    let transactions = 0;
    const workload = (async () => {
      const writer = await mysql.createConnection(connection);
      while (!done) {
        const c = nextId++;
        const statements = [
          `INSERT INTO ${d}.customer VALUES (${c}, 'c${c}')`,
          `INSERT INTO ${d}.orders VALUES (${c * 10}, ${c}), (${c * 10 + 1}, ${c}), (${c * 10 + 2}, ${c})`,
          `INSERT INTO ${d}.order_line VALUES ${[0, 1, 2].flatMap((o) => [0, 1, 2].map((l) => `(${(c * 10 + o) * 10 + l}, ${c * 10 + o}, ${c}, ${l})`)).join(', ')}`,
          `INSERT INTO ${d}.note VALUES (${c * 2}, ${c}), (${c * 2 + 1}, ${c})`,
        ];
        if (live.length > 3) {
          // A key change: the customer takes a fresh id (nextId is never reused), its orders, lines and notes follow.
          const at = Math.floor(Math.random() * live.length);
          const moved = nextId++;
          statements.push(`UPDATE ${d}.customer SET id = ${moved} WHERE id = ${live[at]}`);
          live[at] = moved;
        }
        if (live.length > 6) {
          const gone = live.splice(Math.floor(Math.random() * live.length), 1)[0]!;
          statements.push(`DELETE FROM ${d}.customer WHERE id = ${gone}`);
        }
        if (live.length > 2 && Math.random() < 0.3) statements.push(`UPDATE ${d}.order_line SET qty = qty + 1 WHERE order_customer = ${live[0]}`);
        await writer.query(['START TRANSACTION', ...statements, 'COMMIT'].join(';'));
        live.push(c);
        transactions++;
        await sleep(30);
      }
      await writer.end();
    })();

    for (let k = 0; k < KILLS; k++) {
      await sleep(700 + Math.random() * 2000);
      daemon.child.kill('SIGKILL');
      await daemon.exited;
      daemon = startDaemon(config);
      await waitStreaming(daemon, 90_000);
    }
    await sleep(500);
    done = true;
    await workload;
    expect(transactions).toBeGreaterThan(20);

    const [[{ pos }]] = await sql.query('SELECT @@gtid_binlog_pos AS pos') as unknown as [[{ pos: string }]];
    await waitFor('the daemon to catch up', async () => {
      const checkpoint = await checkpoints.load();
      if (daemon!.child.exitCode !== null) throw new Error(`the daemon exited: ${daemon!.log().slice(-3000)}`);
      return checkpoint && checkpointCovers(checkpoint.position.token, pos) ? true : undefined;
    }, 300_000, 500).catch((err: unknown) => {
      const lines = daemon!.log().split('\n').filter((l) => /"level":"(error|warn)"|logtap:/.test(l));
      throw new Error(`${(err as Error).message} (source at ${pos}); the daemon logged: ${lines.join(' | ').slice(-3000)} … ${daemon!.log().slice(-1500)}`);
    });
    daemon.child.kill('SIGTERM');
    expect((await daemon.exited).code).toBe(0);

    const replay = await promisify(execFile)(process.execPath, ['bin/logtap.js', 'replay', '--config', config, '--target', urlFor(target), '--verify'], {
      timeout: 180_000, env: { ...process.env, LOGTAP_LOG_LEVEL: 'warn' },
    });
    for (const table of ['customer', 'orders', 'order_line', 'note']) {
      expect(replay.stdout).toMatch(new RegExp(`^equal ${d}\\.${table}: `, 'm'));
      const [source] = await sql.query(`SELECT * FROM ${d}.${table} ORDER BY id`);
      const [rebuilt] = await sql.query(`SELECT * FROM ${target}.${table} ORDER BY id`);
      expect(rebuilt, table).toEqual(source);
      // The topic holds exactly the table's keys: no row a cascade deleted is left behind.
      const read = await readTopicAsTable(kafka, prefix, `${prefix}.${d}.${table}`, (key) => String(key.id));
      expect([...read.table.keys()].map(Number).sort((a, b) => a - b), table).toEqual((source as Array<{ id: number }>).map((r) => r.id));
    }
  }, 600_000);
});
