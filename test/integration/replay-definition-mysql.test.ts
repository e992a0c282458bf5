import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import mysql from 'mysql2/promise';
import pg from 'pg';
import { createKafka } from '../../src/kafka/kafka-client.js';
import { CheckpointStore } from '../../src/kafka/checkpoint-store.js';
import { topicSize } from '../../src/replay/replay-engine.js';
import { testBed } from '../helpers/test-bed.js';
import { mysqlConnectionOptions, mysqlUrlFor } from '../helpers/test-bed-databases.js';
import { type CliResult, runLogtap } from '../helpers/logtap-cli.js';
import { uniqueName } from '../helpers/names.js';
import { waitMariadbCheckpointed } from '../helpers/mariadb-checkpoint.js';
import { waitFor } from '../helpers/wait.js';
import { whileStreaming, writeConfig } from '../helpers/daemon.js';

/*
 * MariaDB → Kafka (a real `logtap run`) → `logtap replay` into a database that does not exist yet: a table with
 * a case-insensitive table default collation (not the server's default) and a column of another character set, ON UPDATE CURRENT_TIMESTAMP,
 * AUTO_INCREMENT, ENUM/SET, a STORED generated column, and a column added with `AFTER` while streaming. The
 * replica has the same columns in the same order with the same collations and attributes
 * (INFORMATION_SCHEMA on both sides), its AUTO_INCREMENT continues after the rows, and --verify reports equal rows.
 */

const bed = testBed();
const kafka = createKafka({ brokers: bed.kafkaBrokers }, 'test');
const connection = mysqlConnectionOptions({ dateStrings: true, supportBigNumbers: true, bigNumberStrings: true });
const name = uniqueName('rdefmy');
const prefix = uniqueName('rdefmy');
const db = uniqueName('src');
const targets: string[] = [];
const pgDatabases: string[] = [];
let sql: mysql.Connection;
let configFile = '';

const replay = (args: string[]): Promise<CliResult> => runLogtap(['replay', '--config', configFile, ...args]);

/** The table's definition as INFORMATION_SCHEMA shows it (defaults aside): column order, types, collations, attributes. */
async function definition(database: string): Promise<{ columns: unknown[]; table: unknown[]; keys: unknown[] }> {
  const [columns] = await sql.query(`SELECT ORDINAL_POSITION AS pos, COLUMN_NAME AS name, COLUMN_TYPE AS type, IS_NULLABLE AS nullable,
      CHARACTER_SET_NAME AS charset, COLLATION_NAME AS collation, EXTRA AS extra, GENERATION_EXPRESSION AS expression
    FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = ? AND TABLE_NAME = 'items' ORDER BY ORDINAL_POSITION`, [database]);
  const [table] = await sql.query(`SELECT TABLE_COLLATION AS collation FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? AND TABLE_NAME = 'items'`, [database]);
  const [keys] = await sql.query(`SELECT INDEX_NAME AS name, COLUMN_NAME AS col, SEQ_IN_INDEX AS seq FROM information_schema.STATISTICS
    WHERE TABLE_SCHEMA = ? AND TABLE_NAME = 'items' ORDER BY INDEX_NAME, SEQ_IN_INDEX`, [database]);
  return { columns: columns as unknown[], table: table as unknown[], keys: keys as unknown[] };
}

const rowsOf = async (database: string): Promise<unknown[]> =>
  (await sql.query(`SELECT id, name, code, note, kind, tags, price, qty, total, CAST(changed AS CHAR) AS changed FROM \`${database}\`.items ORDER BY id`))[0] as unknown[];

beforeAll(async () => {
  sql = await mysql.createConnection(connection);
  await sql.query(`CREATE DATABASE ${db} DEFAULT CHARACTER SET utf8mb4 COLLATE utf8mb4_general_ci`);
  await sql.query(`CREATE TABLE ${db}.items (
    id INT NOT NULL AUTO_INCREMENT PRIMARY KEY,
    name VARCHAR(40) NOT NULL,
    code VARCHAR(10) CHARACTER SET latin1 COLLATE latin1_bin,
    kind ENUM('small','large') NOT NULL,
    tags SET('a','b','c'),
    price DECIMAL(10,2),
    qty INT,
    total DECIMAL(20,2) AS (price * qty) STORED,
    changed TIMESTAMP(6) NULL ON UPDATE CURRENT_TIMESTAMP(6)
  ) DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci`);
  configFile = writeConfig({ name, source: { url: mysqlUrlFor(db), tables: [`${db}.items`] }, kafka: { brokers: bed.kafkaBrokers }, topicPrefix: prefix, heartbeatIntervalMs: 500, snapshot: { mode: 'never' } });
  await whileStreaming(configFile, async () => {
    // "streaming" is logged before the binlog position is read: a write is certain to be captured once one was.
    await waitFor('the binlog stream to capture a write', async () => {
      await sql.query(`INSERT INTO ${db}.items (name, kind) VALUES ('warm-up', 'small')`);
      return ((await topicSize(kafka, `${prefix}.${db}.items`).catch(() => null))?.records ?? 0) > 0 ? true : undefined;
    }, 60_000, 1000);
    await sql.query(`DELETE FROM ${db}.items WHERE name = 'warm-up'`);
    await sql.query(`INSERT INTO ${db}.items (name, code, kind, tags, price, qty) VALUES
      ('Apple', 'A1', 'small', 'a,b', 1.50, 2), ('banana', NULL, 'large', '', 2.25, 4), ('Cherry', 'c', 'small', 'c', NULL, 1), ('gone', 'g', 'large', NULL, 1, 1)`);
    await sql.query(`UPDATE ${db}.items SET price = 3.00 WHERE name = 'banana'`);
    await sql.query(`DELETE FROM ${db}.items WHERE name = 'gone'`);
    await sql.query(`ALTER TABLE ${db}.items ADD COLUMN note VARCHAR(20) CHARACTER SET utf8mb4 COLLATE utf8mb4_general_ci NULL AFTER code`);
    await sql.query(`INSERT INTO ${db}.items (name, code, note, kind, price, qty) VALUES ('date', 'd', 'after ADD COLUMN', 'large', 0.5, 10)`);
    await sql.query(`UPDATE ${db}.items SET note = 'set later' WHERE name = 'Apple'`);
    await waitMariadbCheckpointed(sql, new CheckpointStore(kafka, prefix, name), 60_000);
  });
}, 180_000);

afterAll(async () => {
  for (const database of [db, ...targets]) await sql.query(`DROP DATABASE IF EXISTS \`${database}\``).catch(() => {});
  await sql.end();
  if (pgDatabases.length > 0) {
    const client = new pg.Client({ connectionString: bed.pgUrl });
    await client.connect();
    for (const database of pgDatabases) await client.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`).catch(() => {});
    await client.end();
  }
});

describe('logtap replay rebuilds the table definition in MariaDB', () => {
  it('creates the database and the table with the source\'s column order, collations, ON UPDATE, AUTO_INCREMENT, ENUM/SET and generated column; rows equal (--verify)', async () => {
    const target = uniqueName('replay_def');
    targets.push(target);
    const result = await replay(['--target', mysqlUrlFor(target), '--verify']);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(new RegExp(`^equal ${db}\\.items: source 4 rows `, 'm'));

    const source = await definition(db);
    expect(source.columns.map((c) => (c as { name: string }).name)).toEqual(['id', 'name', 'code', 'note', 'kind', 'tags', 'price', 'qty', 'total', 'changed']);
    expect(await definition(target)).toEqual(source);
    expect(await rowsOf(target)).toEqual(await rowsOf(db));

    // The collation decides lookups: case-insensitive in the source, so in the replica.
    const [[{ n }]] = await sql.query(`SELECT COUNT(*) AS n FROM \`${target}\`.items WHERE name = 'APPLE'`) as unknown as [[{ n: number }]];
    expect(Number(n)).toBe(1);
  }, 240_000);

  it('leaves AUTO_INCREMENT after the rows and keeps ON UPDATE working in the replica', async () => {
    const target = uniqueName('replay_def');
    targets.push(target);
    const result = await replay(['--target', mysqlUrlFor(target)]);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);

    const [[{ max }]] = await sql.query(`SELECT MAX(id) AS max FROM ${db}.items`) as unknown as [[{ max: number }]];
    const [inserted] = await sql.query(`INSERT INTO \`${target}\`.items (name, kind) VALUES ('next', 'small')`) as unknown as [{ insertId: number }];
    expect(inserted.insertId).toBe(max + 1);
    await sql.query(`UPDATE \`${target}\`.items SET qty = 99 WHERE name = 'Cherry'`);
    const [[row]] = await sql.query(`SELECT CAST(changed AS CHAR) AS changed, total FROM \`${target}\`.items WHERE name = 'Cherry'`) as unknown as [[{ changed: string | null; total: string | null }]];
    expect(row.changed).not.toBeNull();
    expect(row.total).toBeNull();
  }, 240_000);

  it('replays the same table into PostgreSQL: the generated column becomes a plain one holding the topic\'s values (--verify reports equal)', async () => {
    const database = uniqueName('replay_def');
    const client = new pg.Client({ connectionString: bed.pgUrl });
    await client.connect();
    try {
      await client.query(`CREATE DATABASE ${database}`);
      pgDatabases.push(database);
    } finally {
      await client.end();
    }
    const url = new URL(bed.pgUrl);
    url.pathname = `/${database}`;
    const result = await replay(['--target', url.toString(), '--verify']);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(new RegExp(`^equal ${db}\\.items: source 4 rows `, 'm'));
    const target = new pg.Client({ connectionString: url.toString() });
    await target.connect();
    try {
      const { rows } = await target.query(`SELECT attname, attgenerated FROM pg_catalog.pg_attribute WHERE attrelid = $1::regclass AND attnum > 0 AND NOT attisdropped ORDER BY attnum`, [`"${db}".items`]);
      expect(rows.map((r) => r.attname)).toEqual(['id', 'name', 'code', 'kind', 'tags', 'price', 'qty', 'total', 'changed', 'note']);
      expect(rows.every((r) => r.attgenerated === '')).toBe(true);
    } finally {
      await target.end();
    }
  }, 240_000);
});
