import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import mysql from 'mysql2/promise';
import { createKafka } from '../../src/kafka/kafka-client.js';
import { CheckpointStore } from '../../src/kafka/checkpoint-store.js';
import { testBed } from '../helpers/test-bed.js';
import { mysqlConnectionOptions, mysqlUrlFor } from '../helpers/test-bed-databases.js';
import { runLogtap } from '../helpers/logtap-cli.js';
import { uniqueName } from '../helpers/names.js';
import { waitFor } from '../helpers/wait.js';
import { type Daemon, startDaemon, waitStreaming, writeConfig } from '../helpers/daemon.js';
import { readTopicAsTable } from '../helpers/topic-table.js';
import { waitMariadbCheckpointed } from '../helpers/mariadb-checkpoint.js';

/*
 * InnoDB writes no row of a foreign-key cascade to the binlog. A real `logtap run` with the default config (no
 * table list, initial snapshot) over a schema with ON UPDATE CASCADE, ON DELETE CASCADE, ON DELETE SET NULL and
 * ON UPDATE SET NULL foreign keys, one of them two levels deep: parent key changes and parent deletes while
 * streaming, before and after a restart (the cascade index read back from the topics). Then `logtap replay
 * --verify` into an empty database gives the source tables, the child topics hold no deleted row, and
 * `logtap check` lists every cascade.
 */

const bed = testBed();
const kafka = createKafka({ brokers: bed.kafkaBrokers }, 'test');
const connection = mysqlConnectionOptions({ multipleStatements: true });
const name = uniqueName('cascade');
const prefix = uniqueName('casc');
const db = uniqueName('casc_src');
const target = uniqueName('casc_dst');
const keyless = uniqueName('casc_nopk');
let sql: mysql.Connection;
let configFile = '';

/**
 * The schema: customer ← orders ← order_line (two levels, on (order id, customer id)), customer ← note,
 * customer ← tag, customer ← membership (the foreign key is part of the child's primary key, as in sakila's film_actor).
 */
const SCHEMA = (d: string) => `
  CREATE TABLE ${d}.customer (id INT PRIMARY KEY, name VARCHAR(40) NOT NULL);
  CREATE TABLE ${d}.orders (id INT PRIMARY KEY, customer_id INT NOT NULL, total DECIMAL(10,2) NOT NULL, UNIQUE KEY order_customer (id, customer_id),
    CONSTRAINT fk_orders_customer FOREIGN KEY (customer_id) REFERENCES ${d}.customer (id) ON UPDATE CASCADE ON DELETE CASCADE);
  CREATE TABLE ${d}.order_line (id INT PRIMARY KEY, order_id INT NOT NULL, order_customer INT NOT NULL, item VARCHAR(40) NOT NULL,
    CONSTRAINT fk_line_order FOREIGN KEY (order_id, order_customer) REFERENCES ${d}.orders (id, customer_id) ON UPDATE CASCADE ON DELETE CASCADE);
  CREATE TABLE ${d}.note (id INT PRIMARY KEY, customer_id INT NULL, body VARCHAR(40) NOT NULL,
    CONSTRAINT fk_note_customer FOREIGN KEY (customer_id) REFERENCES ${d}.customer (id) ON UPDATE CASCADE ON DELETE SET NULL);
  CREATE TABLE ${d}.tag (id INT PRIMARY KEY, customer_id INT NULL, label VARCHAR(40) NOT NULL,
    CONSTRAINT fk_tag_customer FOREIGN KEY (customer_id) REFERENCES ${d}.customer (id) ON UPDATE SET NULL ON DELETE CASCADE);
  CREATE TABLE ${d}.membership (customer_id INT NOT NULL, grp INT NOT NULL, PRIMARY KEY (customer_id, grp),
    CONSTRAINT fk_membership_customer FOREIGN KEY (customer_id) REFERENCES ${d}.customer (id) ON UPDATE CASCADE ON DELETE CASCADE)`;

const TABLES = ['customer', 'orders', 'order_line', 'note', 'tag', 'extra', 'membership'];
/** Primary key columns of each table (membership's holds its foreign key). */
const keyColumns = (table: string): string[] => (table === 'membership' ? ['customer_id', 'grp'] : ['id']);

/** Customers `from`..`to`, each with two orders of two lines, a note and a tag. */
const populate = (d: string, from: number, to: number): string => {
  const ids = Array.from({ length: to - from + 1 }, (_, i) => from + i);
  return [
    `INSERT INTO ${d}.customer VALUES ${ids.map((c) => `(${c}, 'c${c}')`).join(', ')}`,
    `INSERT INTO ${d}.orders VALUES ${ids.flatMap((c) => [`(${c * 10}, ${c}, ${c}.50)`, `(${c * 10 + 1}, ${c}, ${c}.75)`]).join(', ')}`,
    `INSERT INTO ${d}.order_line VALUES ${ids.flatMap((c) => [c * 10, c * 10 + 1].flatMap((o) => [`(${o * 10}, ${o}, ${c}, 'a')`, `(${o * 10 + 1}, ${o}, ${c}, 'b')`])).join(', ')}`,
    `INSERT INTO ${d}.note VALUES ${ids.map((c) => `(${c}, ${c}, 'note ${c}')`).join(', ')}`,
    `INSERT INTO ${d}.tag VALUES ${ids.map((c) => `(${c}, ${c}, 'tag ${c}')`).join(', ')}`,
    `INSERT INTO ${d}.membership VALUES ${ids.flatMap((c) => [`(${c}, 1)`, `(${c}, 2)`]).join(', ')}`,
  ].join(';');
};

/** Every row of a table as text, in key order. */
async function rows(database: string, table: string): Promise<Array<Record<string, string | null>>> {
  const [columns] = await sql.query('SELECT COLUMN_NAME AS c FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ? ORDER BY ORDINAL_POSITION', [database, table]) as unknown as [Array<{ c: string }>];
  const [result] = await sql.query(`SELECT ${columns.map(({ c }) => `CAST(${c} AS CHAR) AS ${c}`).join(', ')} FROM ${database}.${table} ORDER BY ${keyColumns(table).join(', ')}`);
  return result as Array<Record<string, string | null>>;
}

/** Waits until the checkpoint covers everything the source has written by now. */
async function caughtUp(): Promise<void> {
  await waitMariadbCheckpointed(sql, new CheckpointStore(kafka, prefix, name), 90_000);
}

async function stop(daemon: Daemon): Promise<void> {
  daemon.child.kill('SIGTERM');
  expect((await daemon.exited).code).toBe(0);
}

beforeAll(async () => {
  sql = await mysql.createConnection(connection);
  await sql.query(`CREATE DATABASE ${db}; CREATE DATABASE ${target}; ${SCHEMA(db)}; ${populate(db, 1, 4)}`);
  // The default config: no table list, the initial snapshot (it reads customers 1-4 and their children).
  configFile = writeConfig({ name, source: { url: mysqlUrlFor(db) }, kafka: { brokers: bed.kafkaBrokers }, topicPrefix: prefix, heartbeatIntervalMs: 500 });
  let daemon = startDaemon(configFile);
  const logs: string[] = [];
  try {
    await waitStreaming(daemon);
    await sql.query(populate(db, 5, 8));
    // ON UPDATE CASCADE two levels deep (orders, then order_line), ON UPDATE CASCADE (note), ON UPDATE SET NULL (tag).
    await sql.query(`UPDATE ${db}.customer SET id = 101 WHERE id = 1`);
    // ON DELETE CASCADE two levels deep, ON DELETE SET NULL (note), ON DELETE CASCADE (tag).
    await sql.query(`DELETE FROM ${db}.customer WHERE id = 2`);
    // Several parents in one transaction, with explicit child changes around the cascades.
    await sql.query(`START TRANSACTION; UPDATE ${db}.order_line SET item = 'moved' WHERE id = 300; UPDATE ${db}.customer SET id = id + 200 WHERE id IN (3, 5);
      DELETE FROM ${db}.order_line WHERE id = 601; DELETE FROM ${db}.customer WHERE id = 6; INSERT INTO ${db}.note VALUES (50, 203, 'new'); COMMIT`);
    // A change of an order's key alone cascades to its lines only.
    await sql.query(`UPDATE ${db}.orders SET id = 999 WHERE id = 40`);
    await caughtUp();
    logs.push(daemon.log());
    await stop(daemon);

    // After a restart the cascade index is read back from the child topics.
    daemon = startDaemon(configFile);
    await waitStreaming(daemon);
    // The index is read once the stream has started: the foreign key below must come after, to be a new one.
    const restarted = daemon;
    await waitFor('the cascade index', () => (/"msg":"foreign-key cascade index ready"/.test(restarted.log()) ? true : undefined), 60_000, 100);
    await sql.query(`UPDATE ${db}.customer SET id = 107 WHERE id = 7; DELETE FROM ${db}.customer WHERE id = 8; DELETE FROM ${db}.customer WHERE id = 101`);
    // A cascading foreign key created while streaming: the stream restarts to read its child rows back, then follows it.
    await sql.query(`CREATE TABLE ${db}.extra (id INT PRIMARY KEY, customer_id INT NOT NULL,
      CONSTRAINT fk_extra_customer FOREIGN KEY (customer_id) REFERENCES ${db}.customer (id) ON UPDATE CASCADE ON DELETE CASCADE)`);
    await sql.query(`INSERT INTO ${db}.extra VALUES (1, 4), (2, 4), (3, 203), (4, 107)`);
    await sql.query(`UPDATE ${db}.customer SET id = 304 WHERE id = 4; DELETE FROM ${db}.customer WHERE id = 203`);
    // A column added to a child after its rows were published: the cascade's after-images read it back.
    await sql.query(`ALTER TABLE ${db}.extra ADD COLUMN flag INT NULL DEFAULT 7`);
    await sql.query(`UPDATE ${db}.customer SET id = 404 WHERE id = 304; UPDATE ${db}.customer SET id = 207 WHERE id = 107`);
    // With FOREIGN_KEY_CHECKS=0 InnoDB cascades nothing (the children stay, orphaned), and nothing is derived.
    await sql.query(`SET SESSION FOREIGN_KEY_CHECKS = 0; DELETE FROM ${db}.customer WHERE id = 205; SET SESSION FOREIGN_KEY_CHECKS = 1`);
    await caughtUp();
    expect(daemon.log()).toMatch(/"code":"MYSQL_CASCADES_CHANGED"/);
    logs.push(daemon.log());
    await stop(daemon);
    const all = logs.join('\n');
    expect(all).toMatch(/"msg":"foreign-key cascades followed: child rows read back from their topics"/);
    expect(all).not.toMatch(/"level":"error"|"level":50/);
  } catch (err) {
    daemon.child.kill('SIGKILL');
    throw new Error(`${(err as Error).message}; the daemon logged: ${[...logs, daemon.log()].join('\n').split('\n').filter((l) => /"level":"(error|warn)"|logtap:/.test(l)).join(' | ').slice(-3000)}`);
  }
}, 300_000);

afterAll(async () => {
  for (const database of [db, target, keyless]) await sql.query(`DROP DATABASE IF EXISTS ${database}`).catch(() => {});
  await sql.end();
});

describe('foreign-key cascades on MariaDB', () => {
  it('replay --verify into an empty database gives every table as the source has it', async () => {
    // The workload did reach every rule: the source lost and moved child rows.
    expect(await rows(db, 'orders')).toContainEqual({ id: '41', customer_id: '404', total: '4.75' });
    expect(await rows(db, 'note')).toContainEqual({ id: '2', customer_id: null, body: 'note 2' });
    expect(await rows(db, 'tag')).toContainEqual({ id: '7', customer_id: null, label: 'tag 7' });
    expect((await rows(db, 'order_line')).some((r) => r.order_customer === '2' || r.order_customer === '101')).toBe(false);
    expect((await rows(db, 'membership')).filter((r) => r.grp === '1').map((r) => r.customer_id)).toEqual(['205', '207', '404']);
    expect((await rows(db, 'customer')).map((r) => r.id)).not.toContain('205');
    expect(await rows(db, 'extra')).toEqual([{ id: '1', customer_id: '404', flag: '7' }, { id: '2', customer_id: '404', flag: '7' }, { id: '4', customer_id: '207', flag: '7' }]);

    const result = await runLogtap(['replay', '--config', configFile, '--target', mysqlUrlFor(target), '--verify']);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    for (const table of TABLES) {
      expect(result.stdout).toMatch(new RegExp(`^equal ${db}\\.${table}: `, 'm'));
      expect(await rows(target, table), table).toEqual(await rows(db, table));
    }
  }, 240_000);

  it('the child topics hold no deleted row and no old value', async () => {
    for (const table of TABLES) {
      const keyText = (row: Record<string, unknown>) => keyColumns(table).map((c) => String(row[c])).join('/');
      const read = await readTopicAsTable(kafka, prefix, `${prefix}.${db}.${table}`, keyText);
      const source = await rows(db, table);
      expect([...read.table.keys()].sort(), table).toEqual(source.map(keyText).sort());
      for (const row of source) {
        const published = read.table.get(keyText(row))!;
        expect(Object.fromEntries(Object.entries(published).map(([k, v]) => [k, v === null ? null : String(v)])), `${table} ${keyText(row)}`).toEqual(row);
      }
    }
  }, 120_000);

  it('logtap check lists each cascade as a warning, and as an error with the Debezium envelope or where the child has no primary key', async () => {
    const result = await runLogtap(['check', '--config', configFile]);
    for (const [table, fk] of [['orders', 'fk_orders_customer'], ['order_line', 'fk_line_order'], ['note', 'fk_note_customer'], ['tag', 'fk_tag_customer']]) {
      expect(result.stdout).toMatch(new RegExp(`^warning cascade:${db}\\.${table}:${fk}: foreign key ${db}\\.${table}\\(`, 'm'));
    }
    expect(result.stdout).toContain(`${db}.order_line(order_id, order_customer) → ${db}.orders(id, customer_id) ON UPDATE CASCADE ON DELETE CASCADE`);
    expect(result.stdout).toContain(`${db}.tag(customer_id) → ${db}.customer(id) ON UPDATE SET NULL ON DELETE CASCADE`);

    // The Debezium envelope carries no rows to read the children back from: every cascade is said to diverge there.
    const debezium = await runLogtap(['check', '--config', writeConfig({ name, source: { url: mysqlUrlFor(db) }, kafka: { brokers: bed.kafkaBrokers }, topicPrefix: prefix, envelope: 'debezium' })]);
    expect(debezium.stdout).toMatch(new RegExp(`^warning cascade_not_followed:${db}\\.orders:fk_orders_customer: .*envelope.*WILL keep deleted rows`, 'm'));

    await sql.query(`CREATE DATABASE ${keyless}; CREATE TABLE ${keyless}.p (id INT PRIMARY KEY);
      CREATE TABLE ${keyless}.c (p_id INT, CONSTRAINT fk_c_p FOREIGN KEY (p_id) REFERENCES ${keyless}.p (id) ON DELETE CASCADE)`);
    const keylessConfig = writeConfig({ name: uniqueName('casc_nopk'), source: { url: mysqlUrlFor(keyless) }, kafka: { brokers: bed.kafkaBrokers }, topicPrefix: uniqueName('casc_nopk') });
    const refused = await runLogtap(['check', '--config', keylessConfig]);
    expect(refused.stdout).toMatch(new RegExp(`^warning cascade_not_followed:${keyless}\\.c:fk_c_p: .*has no primary key`, 'm'));
  }, 120_000);
});
