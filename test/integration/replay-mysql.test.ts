import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import mysql from 'mysql2/promise';
import pg from 'pg';
import { createKafka } from '../../src/kafka/kafka-client.js';
import { CheckpointStore } from '../../src/kafka/checkpoint-store.js';
import { readTopicToEnd } from '../../src/kafka/read-to-end.js';
import { testBed } from '../helpers/test-bed.js';
import { mysqlConnectionOptions, mysqlUrlFor, pgUrlFor } from '../helpers/test-bed-databases.js';
import { type CliResult, runLogtap } from '../helpers/logtap-cli.js';
import { uniqueName } from '../helpers/names.js';
import { waitMariadbCheckpointed } from '../helpers/mariadb-checkpoint.js';
import { userLines, whileStreaming, writeConfig } from '../helpers/daemon.js';

/*
 * MariaDB → Kafka (a real `logtap run`) → `logtap replay` into empty MariaDB databases and into PostgreSQL:
 * every MariaDB type of the matrix with edge values after inserts, updates, deletes, a key change, a
 * TRUNCATE and an ADD COLUMN, in the Schema Registry framing; --verify, a second run, --until a source position,
 * and a type PostgreSQL lacks.
 */

const bed = testBed();
const kafka = createKafka({ brokers: bed.kafkaBrokers }, 'test');
const connection = mysqlConnectionOptions({ multipleStatements: true, dateStrings: true, supportBigNumbers: true, bigNumberStrings: true });
const name = uniqueName('mreplay');
const prefix = uniqueName('rmy');
const db = uniqueName('src');
const mysqlDatabases: string[] = [];
const pgDatabases: string[] = [];
let sql: mysql.Connection;
let pgSql: pg.Client;
let configFile = '';
let phaseOne: { rows: unknown[]; until: string };

const replay = (args: string[]): Promise<CliResult> => runLogtap(['replay', '--config', configFile, ...args]);

async function mysqlDatabase(): Promise<string> {
  const database = uniqueName('replay_db');
  await sql.query(`CREATE DATABASE ${database}`);
  mysqlDatabases.push(database);
  return database;
}

async function pgDatabase(): Promise<string> {
  const database = uniqueName('replay_db');
  await pgSql.query(`CREATE DATABASE ${database}`);
  pgDatabases.push(database);
  return database;
}

/** Every row of a table, every value as the server's text (FLOAT as DOUBLE, binary as hex), in key order. */
async function tableRows(database: string, table = 'every_type'): Promise<unknown[]> {
  const [columns] = await sql.query(`SELECT COLUMN_NAME AS c, DATA_TYPE AS t FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ? ORDER BY ORDINAL_POSITION`, [database, table]) as unknown as [Array<{ c: string; t: string }>];
  const list = columns.map(({ c, t }) => {
    if (t === 'float') return `CAST(${c} AS DOUBLE) AS ${c}`;
    if (['binary', 'varbinary', 'blob', 'bit', 'geometry', 'point'].includes(t)) return `HEX(${c}) AS ${c}`;
    return `CAST(${c} AS CHAR) AS ${c}`;
  });
  const [rows] = await sql.query(`SELECT ${list.join(', ')} FROM ${database}.${table} ORDER BY id`);
  return rows as unknown[];
}

const COLUMNS = `id INT NOT NULL PRIMARY KEY, ti TINYINT, tiu TINYINT UNSIGNED, b1 TINYINT(1), si SMALLINT, mi MEDIUMINT UNSIGNED,
  i INT NOT NULL, iu INT UNSIGNED, bi BIGINT, biu BIGINT UNSIGNED, f FLOAT, d DOUBLE, dec65 DECIMAL(65,30), dec5 DECIMAL(5,2),
  dt DATE, dtm DATETIME(6), ts TIMESTAMP(6) NULL, tm TIME(6), yr YEAR, bt BIT(10), ch CHAR(5), vc VARCHAR(50), tx TEXT,
  lat VARCHAR(20) CHARACTER SET latin1, bn BINARY(4), vb VARBINARY(20), bl BLOB, js JSON, e ENUM('small','Medium','lárge','it''s') CHARACTER SET utf8mb4,
  st SET('a','b','c d','ü') CHARACTER SET utf8mb4, u UUID, ip4 INET4, ip6 INET6, g GEOMETRY`;

const ROWS = [
  `(1, -128, 255, 1, -32768, 16777215, 2147483647, 4294967295, -9223372036854775808, 18446744073709551615, 3.4028234663852886e38,
    1.7976931348623157e308, '99999999999999999999999999999999999.999999999999999999999999999999', '-999.99', '9999-12-31',
    '9999-12-31 23:59:59.999999', '2038-01-19 03:14:07.999999', '838:59:59.000000', 2155, b'1111111111', 'abc  ', 'tab\\there "q" \\\\ ü 😀',
    REPEAT('long text ', 200), 'ÀÿÆ', X'00FF00FF', X'', X'DEADBEEF', '{"b": 1, "a": [1.50, 2e5]}', 'lárge', 'a,c d,ü',
    'ffffffff-ffff-ffff-ffff-ffffffffffff', '255.255.255.255', '::ffff:1.2.3.4', ST_GeomFromText('POINT(1.5 -2)'))`,
  `(2, 127, 0, 0, 32767, 0, -2147483648, 0, 9223372036854775807, 0, -1.401298464324817e-45, 5e-324,
    '-0.000000000000000000000000000001', '0.01', '1000-01-01', '1000-01-01 00:00:00.000000', '1970-01-01 00:00:01.000000',
    '-838:59:59.000000', 1901, b'0', '', '', '', '', X'00000000', X'00', X'', '[]', 'small', '', '00000000-0000-0000-0000-000000000000',
    '0.0.0.0', '::', ST_GeomFromText('LINESTRING(0 0, 1 1, 2 0)'))`,
  `(3, 0, 1, NULL, 0, 1, 0, 2147483648, 9007199254740993, 9223372036854775808, 0.1, 0.1, '0', '12.5', '2020-02-29',
    '2020-06-01 12:00:00.000001', NULL, '00:00:00.000001', 2000, b'101', 'x', 'x', 'x', 'x', X'01020304', X'5C22', X'00', 'null', 'it''s', 'b',
    'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', '10.0.0.255', '2001:db8::1', NULL)`,
  `(4, -1, 128, 1, -1, 42, 42, 42, -1, 1, -0.5, -0.0, '-1.5', '-0.5', '1970-01-01', '1969-12-31 23:59:59.999999', '2000-01-01 00:00:00',
    '-00:00:00.000001', 1999, b'1', 'four', 'four', 'four', 'four', X'FFFFFFFF', X'FF', X'FFFF', '{"k": {"n": [true, false, null]}}',
    'Medium', 'a,b', 'A0EEBC99-9C0B-4EF8-BB6D-6BB9BD380A12', '192.168.0.1', 'fe80::1', ST_GeomFromText('POLYGON((0 0, 1 0, 1 1, 0 0))'))`,
];

const PORTABLE = `id BIGINT NOT NULL PRIMARY KEY, ti TINYINT, si SMALLINT UNSIGNED, i INT, iu INT UNSIGNED, bi BIGINT, biu BIGINT UNSIGNED,
  f FLOAT, d DOUBLE, n DECIMAL(20,6), dt DATE, dtm DATETIME(6), ts TIMESTAMP(6) NULL, tm TIME(6), yr YEAR, bt BIT(12), vc VARCHAR(30),
  tx TEXT, vb VARBINARY(10), js JSON, e ENUM('x','y z') CHARACTER SET utf8mb4, st SET('p','q') CHARACTER SET utf8mb4, u UUID`;
const PORTABLE_ROWS = [
  `(1, -128, 65535, -2147483648, 4294967295, -9223372036854775808, 18446744073709551615, 3.4028234663852886e38, 5e-324, '-12345678901234.123456',
    '9999-12-31', '9999-12-31 23:59:59.999999', '2038-01-19 03:14:07.999999', '-838:59:59.000000', 2155, b'111100001111', 'ü 😀 "q"', 'text',
    X'00FF', '{"a": [1, 2.50]}', 'y z', 'p,q', 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11')`,
  `(2, 0, 0, 0, 0, 0, 0, 0.1, -0.0, '0.000001', '1000-01-01', '1000-01-01 00:00:00', '1970-01-01 00:00:01', '838:59:59.999999', 1901, b'0', '',
    '', X'', 'null', 'x', '', '00000000-0000-0000-0000-000000000000')`,
  `(3, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL)`,
];

beforeAll(async () => {
  sql = await mysql.createConnection(connection);
  pgSql = new pg.Client({ connectionString: bed.pgUrl });
  await pgSql.connect();
  await sql.query(`CREATE DATABASE ${db}; CREATE TABLE ${db}.every_type (${COLUMNS}); CREATE TABLE ${db}.portable (${PORTABLE})`);
  configFile = writeConfig({ name, source: { url: mysqlUrlFor(db), tables: [`${db}.every_type`, `${db}.portable`] }, kafka: { brokers: bed.kafkaBrokers }, topicPrefix: prefix, heartbeatIntervalMs: 500, snapshot: { mode: 'never' },
    // This file's topics use the Schema Registry framing (replay-postgres.test.ts: the registry-free one).
    encoding: { format: 'confluent', registryUrl: bed.registryUrl } });
  await whileStreaming(configFile, async () => {
    await sql.query(`INSERT INTO ${db}.every_type (id, i, tx) VALUES (100, 1, 'gone'), (101, 2, 'gone too')`);
    await sql.query(`TRUNCATE TABLE ${db}.every_type`);
    await sql.query(`INSERT INTO ${db}.every_type VALUES ${ROWS.join(', ')}`);
    await sql.query(`INSERT INTO ${db}.portable VALUES ${PORTABLE_ROWS.join(', ')}`);
    await sql.query(`UPDATE ${db}.every_type SET tx = 'updated', d = 2.5 WHERE id = 2`);
    await sql.query(`DELETE FROM ${db}.every_type WHERE id = 3`);
    const [[{ pos }]] = await sql.query('SELECT @@gtid_binlog_pos AS pos') as unknown as [[{ pos: string }]];
    phaseOne = { rows: await tableRows(db), until: `my1:gtid=${pos}` };

    await sql.query(`UPDATE ${db}.every_type SET id = 40 WHERE id = 4`);
    await sql.query(`ALTER TABLE ${db}.every_type ADD COLUMN added VARCHAR(20) NULL`);
    await sql.query(`INSERT INTO ${db}.every_type (id, i, added) VALUES (6, 6, 'after ADD COLUMN')`);
    await sql.query(`UPDATE ${db}.every_type SET added = 'set later', b1 = NULL WHERE id = 1`);
    await sql.query(`DELETE FROM ${db}.every_type WHERE id = 2`);
    await waitMariadbCheckpointed(sql, new CheckpointStore(kafka, prefix, name), 60_000);
  });
}, 180_000);

afterAll(async () => {
  for (const database of [db, ...mysqlDatabases]) await sql.query(`DROP DATABASE IF EXISTS ${database}`).catch(() => {});
  for (const database of pgDatabases) await pgSql.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`).catch(() => {});
  await sql.end();
  await pgSql.end();
});

describe('logtap replay from MariaDB', () => {
  it('rebuilds every type exactly in an empty MariaDB database (--verify reports equal), and a second run changes nothing', async () => {
    const framing: number[] = [];
    await readTopicToEnd(kafka, `${prefix}.${db}.every_type`, ({ message }) => { if (message.value) framing.push(message.value[0]!); });
    expect(new Set(framing)).toEqual(new Set([0]));

    const target = await mysqlDatabase();
    const first = await replay(['--target', mysqlUrlFor(target), '--table', `${db}.every_type`, '--verify']);
    expect(first.stderr).toBe('');
    expect(first.code).toBe(0);
    expect(first.stdout).toMatch(new RegExp(`^equal ${db}\\.every_type: source 3 rows `, 'm'));
    const rebuilt = await tableRows(target);
    expect(rebuilt).toEqual(await tableRows(db));

    const second = await replay(['--target', mysqlUrlFor(target), '--table', `${db}.every_type`, '--verify']);
    expect(second.code).toBe(0);
    expect(second.stdout).toMatch(/^equal /m);
    expect(await tableRows(target)).toEqual(rebuilt);
  }, 240_000);

  it('--until a source position (a GTID state) reproduces the rows as they were then', async () => {
    const target = await mysqlDatabase();
    const result = await replay(['--target', mysqlUrlFor(target), '--table', `${db}.every_type`, '--until', phaseOne.until]);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(await tableRows(target)).toEqual(phaseOne.rows);
  }, 240_000);

  it('rebuilds a table into PostgreSQL where every type has an equivalent (--verify reports equal)', async () => {
    const target = pgUrlFor(await pgDatabase());
    const result = await replay(['--target', target, '--table', `${db}.portable`, '--verify']);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(new RegExp(`^equal ${db}\\.portable: source 3 rows `, 'm'));
  }, 240_000);

  it('refuses a column PostgreSQL has no type for, naming it, before writing anything', async () => {
    const database = await pgDatabase();
    const result = await replay(['--target', pgUrlFor(database), '--verify']);
    expect(result.code).toBe(2);
    expect(userLines(result.stderr)).toEqual([expect.stringContaining(`${db}.every_type.g (geometry)`)]);
    const client = new pg.Client({ connectionString: pgUrlFor(database) });
    await client.connect();
    const { rows } = await client.query(`SELECT count(*)::int AS n FROM information_schema.tables WHERE table_schema = $1`, [db]);
    await client.end();
    expect(rows).toEqual([{ n: 0 }]);
  }, 240_000);
});
