import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import mysql from 'mysql2/promise';
import pg from 'pg';
import { createKafka } from '../../src/kafka/kafka-client.js';
import { CheckpointStore } from '../../src/kafka/checkpoint-store.js';
import { testBed } from '../helpers/test-bed.js';
import { mysqlConnectionOptions, mysqlUrlFor, pgUrlFor } from '../helpers/test-bed-databases.js';
import { type CliResult, runLogtap } from '../helpers/logtap-cli.js';
import { uniqueName } from '../helpers/names.js';
import { waitMariadbCheckpointed } from '../helpers/mariadb-checkpoint.js';
import { whileStreaming, writeConfig } from '../helpers/daemon.js';
import { readWithLatestValueSchema } from '../helpers/latest-schema-read.js';

/*
 * Columns added with a default while streaming (MariaDB): a real `logtap run` with the default config (no table
 * list) on a fresh database. The rows that existed before the ADD COLUMN read the default at the source without any
 * binlog event saying so; the topic and the replayed table must read it too.
 */

const bed = testBed();
const kafka = createKafka({ brokers: bed.kafkaBrokers }, 'test');
const connection = mysqlConnectionOptions({ dateStrings: true });
const name = uniqueName('mdflt');
const prefix = uniqueName('dmy');
const db = uniqueName('dflt_src');
const mysqlDatabases: string[] = [db];
const pgDatabases: string[] = [];
let sql: mysql.Connection;
let configFile = '';
let daemonLog = '';

const replay = (args: string[]): Promise<CliResult> => runLogtap(['replay', '--config', configFile, ...args]);

async function tableRows(database: string): Promise<unknown[]> {
  const [rows] = await sql.query(`SELECT id, title, channel, points FROM ${database}.loan ORDER BY id`);
  return rows as unknown[];
}

beforeAll(async () => {
  sql = await mysql.createConnection(connection);
  await sql.query(`CREATE DATABASE ${db}`);
  await sql.query(`CREATE TABLE ${db}.loan (id INT NOT NULL PRIMARY KEY, title VARCHAR(40) NOT NULL)`);
  for (let id = 1; id <= 20; id++) await sql.query(`INSERT INTO ${db}.loan VALUES (?, ?)`, [id, `before the snapshot ${id}`]);
  configFile = writeConfig({ name, source: { url: mysqlUrlFor(db) }, kafka: { brokers: bed.kafkaBrokers }, topicPrefix: prefix, heartbeatIntervalMs: 500 });
  daemonLog = await whileStreaming(configFile, async (daemon) => {
    for (let id = 21; id <= 40; id++) await sql.query(`INSERT INTO ${db}.loan VALUES (?, ?)`, [id, `streamed ${id}`]);
    await sql.query(`ALTER TABLE ${db}.loan ADD COLUMN channel VARCHAR(16) NOT NULL DEFAULT 'web'`);
    await sql.query(`ALTER TABLE ${db}.loan ADD COLUMN points INT DEFAULT 10`);
    await sql.query(`INSERT INTO ${db}.loan (id, title, channel, points) VALUES (41, 'after', 'app', NULL), (42, 'after too', 'shop', 3)`);
    await sql.query(`INSERT INTO ${db}.loan (id, title) VALUES (43, 'defaults')`);
    await sql.query(`UPDATE ${db}.loan SET title = 'updated after' WHERE id = 5`);
    await waitMariadbCheckpointed(sql, new CheckpointStore(kafka, prefix, name), 90_000, daemon);
    expect(daemon.child.exitCode).toBeNull();
  });
}, 180_000);

afterAll(async () => {
  for (const database of mysqlDatabases) await sql.query(`DROP DATABASE IF EXISTS ${database}`).catch(() => {});
  await sql.end();
  if (pgDatabases.length > 0) {
    const admin = new pg.Client({ connectionString: bed.pgUrl });
    await admin.connect();
    for (const database of pgDatabases) await admin.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`).catch(() => {});
    await admin.end();
  }
});

describe('a column added with a default while streaming from MariaDB', () => {
  it('keeps the daemon running: the new schema is a compatible change', () => {
    expect(daemonLog).not.toMatch(/cannot read records of version/);
    expect(daemonLog).not.toMatch(/"level":"error"/);
  });

  it('reads the default on the rows written before the change, from the topic with the latest value schema', async () => {
    const { rows, versions } = await readWithLatestValueSchema(kafka, prefix, `${prefix}.${db}.loan`, 'id');
    expect(versions).toBeGreaterThanOrEqual(2);
    expect(rows.size).toBe(43);
    for (const id of [1, 20, 21, 40]) expect(rows.get(String(id))).toMatchObject({ id, channel: 'web', points: 10 });
    expect(rows.get('5')).toMatchObject({ title: 'updated after', channel: 'web', points: 10 });
    expect(rows.get('41')).toMatchObject({ channel: 'app', points: null });
    expect(rows.get('42')).toMatchObject({ channel: 'shop', points: 3 });
    expect(rows.get('43')).toMatchObject({ channel: 'web', points: 10 });
  }, 120_000);

  it('replays into an empty database equal to the source (--verify), with the defaults on the table', async () => {
    const target = uniqueName('dflt_target');
    await sql.query(`CREATE DATABASE ${target}`);
    mysqlDatabases.push(target);
    const result = await replay(['--target', mysqlUrlFor(target), '--verify']);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(new RegExp(`^equal ${db}\\.loan: source 43 rows `, 'm'));
    expect(await tableRows(target)).toEqual(await tableRows(db));

    await sql.query(`INSERT INTO ${target}.loan (id, title) VALUES (100, 'new')`);
    const [inserted] = await sql.query(`SELECT channel, points FROM ${target}.loan WHERE id = 100`);
    expect(inserted).toEqual([{ channel: 'web', points: 10 }]);
  }, 240_000);

  it('replays into an empty PostgreSQL database equal to the source (--verify): the defaults as constants', async () => {
    const database = uniqueName('dflt_target');
    const admin = new pg.Client({ connectionString: bed.pgUrl });
    await admin.connect();
    try {
      await admin.query(`CREATE DATABASE ${database}`);
      pgDatabases.push(database);
    } finally {
      await admin.end();
    }
    const result = await replay(['--target', pgUrlFor(database), '--verify']);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(new RegExp(`^equal ${db}\\.loan: source 43 rows `, 'm'));
    const target = new pg.Client({ connectionString: pgUrlFor(database) });
    await target.connect();
    try {
      await target.query(`INSERT INTO "${db}".loan (id, title) VALUES (100, 'new')`);
      expect((await target.query(`SELECT channel, points FROM "${db}".loan WHERE id = 100`)).rows).toEqual([{ channel: 'web', points: 10 }]);
    } finally {
      await target.end();
    }
  }, 240_000);
});
