import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import mysql from 'mysql2/promise';
import { createKafka } from '../../src/kafka/kafka-client.js';
import { CheckpointStore } from '../../src/kafka/checkpoint-store.js';
import { testBed } from '../helpers/test-bed.js';
import { uniqueName } from '../helpers/names.js';
import { waitFor } from '../helpers/wait.js';
import { type Daemon, startDaemon, waitStreaming, writeConfig } from '../helpers/daemon.js';
import { latestSchemaTable } from '../helpers/latest-schema-table.js';
import { readTopicAsTable } from '../helpers/topic-table.js';
import { checkpointCovers } from '../helpers/mariadb-checkpoint.js';
import { runLogtap } from '../helpers/logtap-cli.js';

/*
 * An application-style MariaDB schema — AUTO_INCREMENT keys, utf8mb4_general_ci text, ENUM and SET, JSON, a spatial
 * column, virtual and stored generated columns, ON UPDATE CURRENT_TIMESTAMP, foreign keys that cascade updates and
 * deletes (two levels) and set null, a trigger, a keyless log table, a partitioned table — captured by `logtap run`
 * with the DEFAULT config (no table list), migrated while it streams (a NOT NULL column with a default placed with
 * AFTER, a nullable column with a default, a column whose default is the DDL's time, a MODIFY that rounds values),
 * with parent key changes and deletes that InnoDB cascades without binlog events; then `logtap replay --verify` into
 * an EMPTY database: equal, and the daemon never stopped.
 */

const bed = testBed();
const kafka = createKafka({ brokers: bed.kafkaBrokers }, 'test');
const base = new URL(bed.mysqlUrl);
const connection = { host: base.hostname, port: Number(base.port), user: decodeURIComponent(base.username), password: decodeURIComponent(base.password), multipleStatements: true, dateStrings: true, supportBigNumbers: true, bigNumberStrings: true };
const urlFor = (database: string) => `${bed.mysqlUrl.replace(/\/[^/]*$/, '')}/${database}`;
const name = uniqueName('mapp');
const prefix = uniqueName('mapp');
const sourceDb = uniqueName('mapp_src');
const targetDb = uniqueName('mapp_dst');
let sql: mysql.Connection;
let configFile = '';
let daemon: Daemon | undefined;

const TABLES = ['category', 'customer', 'address', 'orders', 'order_line', 'audit_log', 'metric'];

const SCHEMA = `
CREATE TABLE category (id int AUTO_INCREMENT PRIMARY KEY, name varchar(50) NOT NULL UNIQUE) ENGINE=InnoDB;
CREATE TABLE customer (
  id int AUTO_INCREMENT PRIMARY KEY,
  email varchar(100) NOT NULL,
  name varchar(100) NOT NULL,
  kind ENUM('person', 'company') NOT NULL DEFAULT 'person',
  flags SET('vip', 'newsletter') NOT NULL DEFAULT '',
  profile JSON,
  location POINT,
  updated_at timestamp(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6) ON UPDATE CURRENT_TIMESTAMP(6),
  name_upper varchar(100) AS (upper(name)) VIRTUAL,
  name_len int AS (char_length(name)) STORED
) ENGINE=InnoDB;
CREATE TABLE address (
  id int AUTO_INCREMENT PRIMARY KEY,
  customer_id int,
  city varchar(50) NOT NULL,
  FOREIGN KEY (customer_id) REFERENCES customer (id) ON DELETE SET NULL ON UPDATE CASCADE
) ENGINE=InnoDB;
CREATE TABLE orders (
  id int AUTO_INCREMENT PRIMARY KEY,
  customer_id int NOT NULL,
  category_id int,
  total decimal(12,2) NOT NULL,
  placed datetime(6) NOT NULL,
  FOREIGN KEY (customer_id) REFERENCES customer (id) ON DELETE CASCADE ON UPDATE CASCADE,
  FOREIGN KEY (category_id) REFERENCES category (id) ON DELETE SET NULL
) ENGINE=InnoDB;
CREATE TABLE order_line (
  order_id int NOT NULL,
  line int NOT NULL,
  qty int NOT NULL,
  PRIMARY KEY (order_id, line),
  FOREIGN KEY (order_id) REFERENCES orders (id) ON DELETE CASCADE ON UPDATE CASCADE
) ENGINE=InnoDB;
CREATE TABLE audit_log (at datetime(6) NOT NULL, what varchar(20) NOT NULL, ref int) ENGINE=InnoDB;
CREATE TRIGGER orders_audit AFTER INSERT ON orders FOR EACH ROW INSERT INTO audit_log VALUES (NOW(6), 'order', NEW.id);
CREATE TABLE metric (id int NOT NULL, day date NOT NULL, value double NOT NULL, PRIMARY KEY (id, day))
  PARTITION BY RANGE (year(day)) (PARTITION p2025 VALUES LESS THAN (2026), PARTITION p2026 VALUES LESS THAN (2027));
`;

const SEED = `
INSERT INTO category (name) VALUES ('books'), ('Games'), ('tools');
INSERT INTO customer (email, name, kind, flags, profile, location)
  SELECT concat('c', seq, '@example.org'), concat('Customer ', seq), IF(seq % 5 = 0, 'company', 'person'), IF(seq % 3 = 0, 'vip,newsletter', ''),
         JSON_OBJECT('n', seq), IF(seq % 2 = 0, POINT(seq, -seq), NULL)
  FROM seq_1_to_30;
INSERT INTO address (customer_id, city) SELECT seq, concat('City ', seq) FROM seq_1_to_30;
INSERT INTO orders (customer_id, category_id, total, placed) SELECT 1 + (seq % 30), 1 + (seq % 3), seq * 12.25, '2026-01-01 10:00:00.123456' + INTERVAL seq HOUR FROM seq_1_to_60;
INSERT INTO order_line SELECT o.id, l.seq, l.seq * 2 FROM orders o, seq_1_to_2 l;
INSERT INTO metric SELECT seq, '2025-12-01' + INTERVAL seq DAY, seq / 3 FROM seq_1_to_60;
`;

const replay = (args: string[]) => runLogtap(['replay', '--config', configFile, ...args], { timeoutMs: 300_000 });

/** A table's rows as JSON text in a fixed order (by their text): the same multiset gives the same text. */
async function rowsOf(database: string, table: string): Promise<string> {
  const [rows] = await sql.query(`SELECT * FROM ${database}.${table}`);
  return JSON.stringify((rows as Record<string, unknown>[]).map((r) => JSON.stringify(r)).sort());
}

async function waitCheckpointed(): Promise<void> {
  const [[status]] = await sql.query('SELECT @@gtid_binlog_pos AS gtid') as unknown as [{ gtid: string }[]];
  const checkpoints = new CheckpointStore(kafka, prefix, name);
  await waitFor('the changes to be checkpointed', async () => {
    if (daemon?.child.exitCode !== null) throw new Error(`the daemon stopped: ${daemon?.log().slice(-3000)}`);
    return checkpointCovers((await checkpoints.load())?.position.token ?? '', status!.gtid) ? true : undefined;
  }, 120_000, 300);
}

beforeAll(async () => {
  sql = await mysql.createConnection(connection);
  await sql.query(`CREATE DATABASE ${sourceDb} CHARACTER SET utf8mb4 COLLATE utf8mb4_general_ci`);
  await sql.query(`CREATE DATABASE ${targetDb}`);
  await sql.query(`USE ${sourceDb}`);
  await sql.query(SCHEMA);
  await sql.query(SEED);
  // The default config: no table list, no signal table, nothing optional.
  configFile = writeConfig({ name, source: { url: urlFor(sourceDb) }, kafka: { brokers: bed.kafkaBrokers }, topicPrefix: prefix });
}, 120_000);

afterAll(async () => {
  daemon?.child.kill('SIGKILL');
  for (const database of [sourceDb, targetDb]) await sql.query(`DROP DATABASE IF EXISTS ${database}`).catch(() => {});
  await sql.end();
});

describe('an application schema on MariaDB, captured with the default config and migrated while streaming', () => {
  it('streams through the migrations and cascades without stopping; replay --verify into an empty database rebuilds every table equal', async () => {
    daemon = startDaemon(configFile);
    await waitStreaming(daemon, 120_000);

    await sql.query(`UPDATE customer SET name = concat(name, ' jr') WHERE id % 4 = 0`);
    await sql.query(`UPDATE customer SET id = 1000 WHERE id = 3`); // cascades to orders and address (no binlog events)
    await sql.query(`DELETE FROM customer WHERE id = 4`); // deletes its orders and their lines, sets its address to NULL
    await sql.query(`DELETE FROM category WHERE id = 2`); // sets orders.category_id to NULL
    await sql.query(`UPDATE orders SET id = 5000 WHERE id = 10`); // cascades to its lines

    await sql.query(`ALTER TABLE customer ADD COLUMN channel varchar(16) NOT NULL DEFAULT 'web' AFTER email`);
    await sql.query(`INSERT INTO customer (email, channel, name) VALUES ('new@example.org', 'app', 'New One')`);
    await sql.query(`ALTER TABLE orders ADD COLUMN points int DEFAULT 10`);
    await sql.query(`UPDATE orders SET points = 20 WHERE id = 7`);
    await sql.query(`ALTER TABLE orders ADD COLUMN created timestamp(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6)`); // old rows get the DDL's time
    await sql.query(`ALTER TABLE orders MODIFY total decimal(12,1) NOT NULL`); // rounds every value, no row events
    await sql.query(`INSERT INTO orders (customer_id, total, placed) VALUES (1, 99.9, '2026-05-05 05:05:05')`);
    await sql.query(`TRUNCATE audit_log`);
    await sql.query(`INSERT INTO orders (customer_id, total, placed) VALUES (2, 1.5, '2026-05-06 05:05:05')`);
    await sql.query(`UPDATE metric SET value = value * 2 WHERE id < 10`);

    await waitCheckpointed();
    // Re-published rows (after the rewriting DDL) arrive through backfill windows: wait until the topic is the table
    // (each record read with its own writer schema, as logtap's tools read them).
    await waitFor('the orders topic to equal its table', async () => {
      if (daemon?.child.exitCode !== null) throw new Error(`the daemon stopped: ${daemon?.log().slice(-3000)}`);
      const { table: topic } = await readTopicAsTable(kafka, prefix, `${prefix}.${sourceDb}.orders`, (k) => String(k.id));
      const [rows] = await sql.query('SELECT id, total, created FROM orders') as unknown as [{ id: number; total: string; created: string }[]];
      return topic.size === rows.length && rows.every((r) => topic.get(String(r.id))?.total === r.total) ? true : undefined;
    }, 120_000, 1000);
    expect(daemon.child.exitCode).toBeNull();
    daemon.child.kill('SIGTERM');
    expect((await daemon.exited).code).toBe(0);

    const result = await replay(['--target', urlFor(targetDb), '--verify']);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    for (const table of TABLES) expect(result.stdout).toMatch(new RegExp(`^equal ${sourceDb}\\.${table}:`, 'm'));
    for (const table of TABLES) expect(await rowsOf(targetDb, table), table).toBe(await rowsOf(sourceDb, table));
    // The definitions too: column order (AFTER), types (the MODIFY included), collations, ON UPDATE, AUTO_INCREMENT.
    const columns = async (database: string) => (await sql.query(
      `SELECT TABLE_NAME, COLUMN_NAME, ORDINAL_POSITION, COLUMN_TYPE, IS_NULLABLE, COLLATION_NAME, EXTRA FROM information_schema.COLUMNS
       WHERE TABLE_SCHEMA = ? AND TABLE_NAME IN (?) ORDER BY TABLE_NAME, ORDINAL_POSITION`, [database, TABLES]))[0];
    expect(await columns(targetDb)).toEqual(await columns(sourceDb));
  }, 600_000);

  it('a consumer that knows only the latest schema reads the customers with the added column\'s value on old rows', async () => {
    const topic = await latestSchemaTable(kafka, prefix, `${prefix}.${sourceDb}.customer`);
    const [rows] = await sql.query('SELECT id, channel, name FROM customer') as unknown as [{ id: number; channel: string; name: string }[]];
    expect(topic.size).toBe(rows.length);
    for (const row of rows) expect(topic.get(String(row.id)), `customer ${row.id}`).toMatchObject({ channel: row.channel, name: row.name });
  }, 120_000);
});
