import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import mysql from 'mysql2/promise';
import kafkajs from 'kafkajs';
import { createKafka } from '../../src/kafka/kafka-client.js';
import { CheckpointStore } from '../../src/kafka/checkpoint-store.js';
import { testBed } from '../helpers/test-bed.js';
import { mysqlConnectionOptions, mysqlUrlFor } from '../helpers/test-bed-databases.js';
import { type CliResult, runLogtap } from '../helpers/logtap-cli.js';
import { uniqueName } from '../helpers/names.js';
import { waitMariadbCheckpointed } from '../helpers/mariadb-checkpoint.js';
import { whileStreaming, writeConfig } from '../helpers/daemon.js';

/*
 * A MariaDB table without a primary key (ROW binlog with full images: every update and delete carries the
 * whole old row) captured by a real `logtap run` with the default config (every table of a fresh database,
 * initial snapshot): duplicates, an update of one of two duplicates, deletes told apart by case and trailing
 * space, NULLs, a truncate; `logtap replay --verify` rebuilds it exactly (as a multiset) in an empty database.
 */

const bed = testBed();
const kafka = createKafka({ brokers: bed.kafkaBrokers }, 'test');
const connection = mysqlConnectionOptions({ multipleStatements: true, dateStrings: true, supportBigNumbers: true, bigNumberStrings: true });
const name = uniqueName('mkeyless');
const prefix = uniqueName('mkl');
const db = uniqueName('keyless_src');
const databases: string[] = [db];
let sql: mysql.Connection;
let configFile = '';

const replay = (args: string[]): Promise<CliResult> => runLogtap(['replay', '--config', configFile, ...args]);

/** The rows of the keyless table, text as hex (case and trailing spaces count), sorted: a multiset. */
async function ledgerRows(database: string): Promise<string[]> {
  const [rows] = await sql.query(`SELECT a, HEX(b) AS b, CAST(amount AS CHAR) AS amount, CAST(at AS CHAR) AS at, CAST(doc AS CHAR) AS doc, CAST(f AS DOUBLE) AS f FROM ${database}.ledger`);
  return (rows as unknown[]).map((r) => JSON.stringify(r)).sort();
}

async function topicConfig(topic: string): Promise<Record<string, string>> {
  const client = kafka.admin();
  await client.connect();
  try {
    const described = await client.describeConfigs({ includeSynonyms: false, resources: [{ type: kafkajs.ConfigResourceTypes.TOPIC, name: topic, configNames: ['cleanup.policy', 'retention.ms'] }] });
    return Object.fromEntries(described.resources[0]!.configEntries.map((e) => [e.configName, e.configValue]));
  } finally {
    await client.disconnect();
  }
}

beforeAll(async () => {
  sql = await mysql.createConnection(connection);
  await sql.query(`CREATE DATABASE ${db} DEFAULT CHARACTER SET utf8mb4 COLLATE utf8mb4_general_ci;
    CREATE TABLE ${db}.ledger (a INT, b VARCHAR(20), amount DECIMAL(10,2), at DATETIME(6), doc JSON, f FLOAT);
    CREATE TABLE ${db}.items (id INT NOT NULL PRIMARY KEY, v VARCHAR(20))`);
  // Rows the initial snapshot reads, duplicates among them.
  await sql.query(`INSERT INTO ${db}.ledger VALUES (1, 'snap', 1.50, '2020-01-01 00:00:00.000001', '{"k": [1, 2]}', 0.1), (1, 'snap', 1.50, '2020-01-01 00:00:00.000001', '{"k": [1, 2]}', 0.1), (2, NULL, NULL, NULL, NULL, NULL);
    INSERT INTO ${db}.items VALUES (1, 'one'), (2, 'two')`);

  configFile = writeConfig({ name, source: { url: mysqlUrlFor(db) }, kafka: { brokers: bed.kafkaBrokers }, topicPrefix: prefix });
  await whileStreaming(configFile, async () => {
    const t = `${db}.ledger`;
    await sql.query(`UPDATE ${t} SET b = 'changed', amount = 2.00 WHERE b = 'snap' LIMIT 1`);
    // 'ab' and 'Ab', 'x' and 'x ' are equal under the column's collation, not as values: the replay must remove the right one.
    await sql.query(`INSERT INTO ${t} VALUES (3, 'ab', 0.10, '2021-06-01 12:00:00', '{"a":1}', -0.5), (3, 'Ab', 0.10, '2021-06-01 12:00:00', '{"a":1}', -0.5), (4, 'x', NULL, NULL, 'null', NULL), (4, 'x ', NULL, NULL, 'null', NULL), (5, NULL, NULL, NULL, NULL, NULL), (5, NULL, NULL, NULL, NULL, NULL)`);
    await sql.query(`DELETE FROM ${t} WHERE BINARY b = 'ab' LIMIT 1`);
    await sql.query(`UPDATE ${t} SET f = 2.5 WHERE BINARY b = 'x ' LIMIT 1`);
    await sql.query(`DELETE FROM ${t} WHERE a = 5 LIMIT 1`);
    await sql.query(`DELETE FROM ${t} WHERE a = 2`);
    await sql.query(`UPDATE ${db}.items SET v = 'uno' WHERE id = 1`);
    await sql.query(`INSERT INTO ${t} VALUES (6, 'triple', NULL, NULL, NULL, 1.25), (6, 'triple', NULL, NULL, NULL, 1.25), (6, 'triple', NULL, NULL, NULL, 1.25)`);
    await sql.query(`UPDATE ${t} SET a = 7 WHERE a = 6 LIMIT 1`);
    await sql.query(`CREATE TABLE ${db}.journal (n INT, note VARCHAR(10));
      INSERT INTO ${db}.journal VALUES (1, 'before'), (1, 'before');
      TRUNCATE TABLE ${db}.journal;
      INSERT INTO ${db}.journal VALUES (2, 'after'), (2, 'after'), (3, NULL);
      DELETE FROM ${db}.journal WHERE n = 2 LIMIT 1`);
    await waitMariadbCheckpointed(sql, new CheckpointStore(kafka, prefix, name), 90_000);
  }, { streamingTimeoutMs: 120_000, logged: /"level":"(error|warn)"/ });
}, 240_000);

afterAll(async () => {
  for (const database of databases) await sql.query(`DROP DATABASE IF EXISTS ${database}`).catch(() => {});
  await sql.end();
});

describe('a MariaDB table without a primary key', () => {
  it('is published to a change log topic (not compacted, every record kept)', async () => {
    expect(await topicConfig(`${prefix}.${db}.ledger`)).toEqual({ 'cleanup.policy': 'delete', 'retention.ms': '-1' });
    expect((await topicConfig(`${prefix}.${db}.items`))['cleanup.policy']).toBe('compact');
  });

  it('is rebuilt exactly by replay --verify into an empty database (a multiset: duplicates kept; case and trailing spaces told apart)', async () => {
    const expected = await ledgerRows(db);
    expect(expected).toHaveLength(9);
    expect(expected.filter((r) => r.includes('"a":6'))).toHaveLength(2);
    const target = uniqueName('keyless_db');
    await sql.query(`CREATE DATABASE ${target}`);
    databases.push(target);
    const first = await replay(['--target', mysqlUrlFor(target), '--verify']);
    expect(first.stderr).toBe('');
    expect(first.code).toBe(0);
    expect(first.stdout).toMatch(new RegExp(`^equal ${db}\\.ledger: source 9 rows `, 'm'));
    expect(first.stdout).toMatch(new RegExp(`^equal ${db}\\.journal: source 2 rows `, 'm'));
    expect(first.stdout).toMatch(new RegExp(`^equal ${db}\\.items: source 2 rows `, 'm'));
    expect(await ledgerRows(target)).toEqual(expected);

    const second = await replay(['--target', mysqlUrlFor(target), '--verify']);
    expect(second.code).toBe(0);
    expect(await ledgerRows(target)).toEqual(expected);
  }, 240_000);
});
