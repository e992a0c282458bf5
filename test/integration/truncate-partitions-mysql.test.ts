import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import mysql from 'mysql2/promise';
import { createKafka } from '../../src/kafka/kafka-client.js';
import { CheckpointStore } from '../../src/kafka/checkpoint-store.js';
import { readTopicToEnd } from '../../src/kafka/read-to-end.js';
import { testBed } from '../helpers/test-bed.js';
import { mysqlConnectionOptions, mysqlUrlFor } from '../helpers/test-bed-databases.js';
import { type CliResult, runLogtap } from '../helpers/logtap-cli.js';
import { uniqueName } from '../helpers/names.js';
import { waitMariadbCheckpointed } from '../helpers/mariadb-checkpoint.js';
import { whileStreaming, writeConfig } from '../helpers/daemon.js';

/*
 * A TRUNCATE on MariaDB with `topics.partitions: 6` and the default config otherwise (every table of a fresh
 * database, an initial snapshot): rows before the start, rows, TRUNCATE, new rows → the truncate marker is
 * in every Kafka partition of the table's topic and `logtap replay --verify` rebuilds the table exactly.
 */

const bed = testBed();
const kafka = createKafka({ brokers: bed.kafkaBrokers }, 'test');
const connection = mysqlConnectionOptions({ multipleStatements: true });
const name = uniqueName('mtrunc');
const prefix = uniqueName('tmy');
const db = uniqueName('src');
const databases = [db];
let sql: mysql.Connection;
let configFile = '';

const replay = (args: string[]): Promise<CliResult> => runLogtap(['replay', '--config', configFile, ...args]);

async function rows(database: string): Promise<unknown[]> {
  const [result] = await sql.query(`SELECT id, note FROM ${database}.items ORDER BY id`);
  return result as unknown[];
}

beforeAll(async () => {
  sql = await mysql.createConnection(connection);
  await sql.query(`CREATE DATABASE ${db}; CREATE TABLE ${db}.items (id INT NOT NULL PRIMARY KEY, note VARCHAR(20) NOT NULL); USE ${db}`);
  await sql.query(`INSERT INTO ${db}.items SELECT seq, 'before' FROM seq_1_to_30`);
  configFile = writeConfig({ name, source: { url: mysqlUrlFor(db) }, kafka: { brokers: bed.kafkaBrokers }, topicPrefix: prefix, heartbeatIntervalMs: 500, topics: { partitions: 6 } });
  await whileStreaming(configFile, async () => {
    await sql.query(`INSERT INTO ${db}.items SELECT seq, 'gone' FROM seq_31_to_60`);
    await sql.query(`UPDATE ${db}.items SET note = 'gone too' WHERE id <= 10`);
    await sql.query(`TRUNCATE TABLE ${db}.items`);
    await sql.query(`INSERT INTO ${db}.items SELECT seq, 'after' FROM seq_100_to_130`);
    await sql.query(`DELETE FROM ${db}.items WHERE id = 100`);
    await waitMariadbCheckpointed(sql, new CheckpointStore(kafka, prefix, name), 120_000);
  }, { streamingTimeoutMs: 120_000 });
}, 300_000);

afterAll(async () => {
  for (const database of databases) await sql.query(`DROP DATABASE IF EXISTS ${database}`).catch(() => {});
  await sql.end();
});

describe('TRUNCATE on MariaDB with topics.partitions: 6', () => {
  it('writes the truncate marker to every Kafka partition of the table\'s topic', async () => {
    const markers = new Set<number>();
    await readTopicToEnd(kafka, `${prefix}.${db}.items`, ({ partition, message }) => {
      if (String(message.headers?.['logtap.op']) === 't') markers.add(partition);
    });
    expect([...markers].sort()).toEqual([0, 1, 2, 3, 4, 5]);
  }, 60_000);

  it('replay --verify rebuilds the table exactly in an empty database', async () => {
    const target = uniqueName('replay_db');
    await sql.query(`CREATE DATABASE ${target}`);
    databases.push(target);
    const result = await replay(['--target', mysqlUrlFor(target), '--table', `${db}.items`, '--verify']);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(new RegExp(`^equal ${db}\\.items: source 30 rows `, 'm'));
    expect(await rows(target)).toEqual(await rows(db));
  }, 240_000);
});
