import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import mysql from 'mysql2/promise';
import { testBed } from '../helpers/test-bed.js';
import { uniqueName } from '../helpers/names.js';
import { waitFor } from '../helpers/wait.js';
import { type Daemon, startDaemon, waitStreaming, writeConfig } from '../helpers/daemon.js';
import { dropConnectorObjects } from '../helpers/pg-connector-objects.js';
import { mysqlConnectionOptions, mysqlUrlFor, pgUrlFor } from '../helpers/test-bed-databases.js';
import { type ConnectWorker, apicurioAvroConverter, assembleJdbcSink, startConnectWorker } from '../helpers/debezium-jdbc-sink.js';

/**
 * Debezium's own consumer reads logtap's `envelope: debezium` topics: Debezium 3.2's JDBC sink connector (Kafka
 * Connect, Apicurio's Avro converter) rebuilds each source table in another database, and the rebuilt table equals
 * the source row for row, every column. PostgreSQL runs with its default replica identity, so a delete carries only
 * the key: the sink's task dies on a delete whose `before` is null (issue #17), and rows deleted at the source then
 * stay in the target.
 */

const bed = testBed();
const brokers = bed.kafkaBrokers.join(',');

const PG_COLUMNS = `id bigint PRIMARY KEY, qty integer NOT NULL, price numeric(12,2) NOT NULL, ratio double precision, label text NOT NULL,
  note varchar(40), flag boolean NOT NULL, day date, at timestamp(6) NOT NULL, at_tz timestamptz(6), doc jsonb, u uuid`;
const MY_COLUMNS = `id INT PRIMARY KEY, qty BIGINT NOT NULL, price DECIMAL(12,2) NOT NULL, ratio DOUBLE, label VARCHAR(40) NOT NULL,
  note TEXT, small SMALLINT NOT NULL, day DATE, at DATETIME(6) NOT NULL, at2 TIMESTAMP(6) NULL`;

/** Rows 1..n with every column varied, nulls in every nullable column now and then, timestamps with microseconds. */
function pgRow(i: number): unknown[] {
  return [i, i * 7, `${i * 13}.${String(i % 100).padStart(2, '0')}`, i % 4 === 0 ? null : i / 3, `label ${i} ünï`, i % 3 === 0 ? null : `note ${i}`,
    i % 2 === 0, i % 5 === 0 ? null : `2024-0${1 + (i % 9)}-1${i % 10}`, `2024-02-29 12:34:56.${String(100000 + i * 7919).slice(-6)}`,
    i % 6 === 0 ? null : `2023-12-31 23:59:59.${String(999999 - i).padStart(6, '0')}+02`, i % 4 === 1 ? null : JSON.stringify({ i, tags: ['a', i] }),
    i % 7 === 0 ? null : `a0eebc99-9c0b-4ef8-bb6d-6bb9bd38${String(i).padStart(4, '0')}`];
}

function myRow(i: number): unknown[] {
  return [i, i * 1_000_003, `${i * 13}.${String(i % 100).padStart(2, '0')}`, i % 4 === 0 ? null : i / 3, `label ${i} ünï`, i % 3 === 0 ? null : `note ${i}`,
    (i % 2 === 0 ? -1 : 1) * i * 100, i % 5 === 0 ? null : `2024-0${1 + (i % 9)}-1${i % 10}`, `2024-02-29 12:34:56.${String(100000 + i * 7919).slice(-6)}`,
    i % 6 === 0 ? null : `2023-12-31 23:59:59.${String(999999 - i).padStart(6, '0')}`];
}

const placeholders = (n: number, mark: (i: number) => string) => Array.from({ length: n }, (_, i) => mark(i + 1)).join(', ');

describe('Debezium\'s JDBC sink connector on logtap\'s debezium envelope', () => {
  const pgAdmin = new pg.Client({ connectionString: bed.pgUrl });
  let my: mysql.Connection;
  const cleanup: Array<() => Promise<unknown>> = [];
  beforeAll(async () => {
    await pgAdmin.connect();
    my = await mysql.createConnection(mysqlConnectionOptions({ multipleStatements: true, dateStrings: true, timezone: 'Z' }));
  });
  afterAll(async () => {
    for (const c of cleanup.splice(0).reverse()) await c().catch(() => {});
    await pgAdmin.end();
    await my.end();
  });

  it('rebuilds a PostgreSQL table (default replica identity) and a MariaDB table in other databases, row for row', async () => {
    // First, while nothing of the test runs yet: Maven blocks this process (about 2 minutes on a fresh machine, then cached).
    const install = assembleJdbcSink();
    const prefix = uniqueName('dbzsink');
    const pgTable = uniqueName('orders');
    const pgTarget = uniqueName('dbzsink_pg');
    const myDb = uniqueName('dbzsink_my');
    const myTarget = `${myDb}_t`;

    // Sources and targets: the target tables have the source's definition, so the comparison is column for column.
    await pgAdmin.query(`CREATE TABLE ${pgTable} (${PG_COLUMNS})`);
    cleanup.push(() => pgAdmin.query(`DROP TABLE IF EXISTS ${pgTable}`));
    await pgAdmin.query(`CREATE DATABASE ${pgTarget}`);
    cleanup.push(() => pgAdmin.query(`DROP DATABASE IF EXISTS ${pgTarget} WITH (FORCE)`));
    const pgSink = new pg.Client({ connectionString: pgUrlFor(pgTarget) });
    await pgSink.connect();
    cleanup.push(() => pgSink.end());
    await pgSink.query(`CREATE TABLE ${pgTable} (${PG_COLUMNS})`);
    await my.query(`CREATE DATABASE ${myDb}; CREATE TABLE ${myDb}.items (${MY_COLUMNS}); CREATE DATABASE ${myTarget}; CREATE TABLE ${myTarget}.items (${MY_COLUMNS})`);
    cleanup.push(() => my.query(`DROP DATABASE IF EXISTS ${myDb}; DROP DATABASE IF EXISTS ${myTarget}`));

    // Rows before logtap starts reach the topics through its initial snapshot (op r), the rest streamed.
    const insertPg = (from: number, to: number) => pgAdmin.query(`INSERT INTO ${pgTable} VALUES ${Array.from({ length: to - from + 1 }, (_, k) => `(${placeholders(12, (c) => `$${k * 12 + c}`)})`).join(', ')}`,
      Array.from({ length: to - from + 1 }, (_, k) => pgRow(from + k)).flat());
    const insertMy = (from: number, to: number) => my.query(`SET time_zone = '+00:00'; INSERT INTO ${myDb}.items VALUES ${Array.from({ length: to - from + 1 }, () => `(${placeholders(10, () => '?')})`).join(', ')}`,
      Array.from({ length: to - from + 1 }, (_, k) => myRow(from + k)).flat());
    await insertPg(1, 10);
    await insertMy(1, 10);

    const daemons: Daemon[] = [];
    const settings = { kafka: { brokers: bed.kafkaBrokers }, topicPrefix: prefix, envelope: 'debezium', encoding: { format: 'confluent', registryUrl: bed.registryUrl } };
    const pgName = uniqueName('dbzsinkpg');
    const myName = uniqueName('dbzsinkmy');
    for (const config of [
      { name: pgName, source: { url: bed.pgUrl, tables: [`public.${pgTable}`] }, ...settings },
      { name: myName, source: { url: mysqlUrlFor(myDb), tables: [`${myDb}.items`] }, heartbeatIntervalMs: 500, ...settings },
    ]) {
      const daemon = startDaemon(writeConfig(config));
      daemons.push(daemon);
      cleanup.push(async () => { daemon.child.kill('SIGKILL'); await daemon.exited; });
    }
    cleanup.push(() => dropConnectorObjects(pgAdmin, pgName));

    // Debezium's sink starts meanwhile.
    const sinkBase = {
      'connector.class': 'io.debezium.connector.jdbc.JdbcSinkConnector',
      'tasks.max': '1',
      'insert.mode': 'upsert',
      'delete.enabled': 'true',
      'primary.key.mode': 'record_key',
      'schema.evolution': 'none',
      'use.time.zone': 'UTC',
    };
    const myUrl = new URL(bed.mysqlUrl);
    const worker: ConnectWorker = await startConnectWorker(install, brokers, [
      {
        ...sinkBase, name: `${prefix}-pg`, topics: `${prefix}.public.${pgTable}`, 'collection.name.format': pgTable,
        'connection.url': `jdbc:postgresql://${new URL(bed.pgUrl).host}/${pgTarget}`,
        'connection.username': decodeURIComponent(new URL(bed.pgUrl).username), 'connection.password': decodeURIComponent(new URL(bed.pgUrl).password),
      },
      {
        ...sinkBase, name: `${prefix}-my`, topics: `${prefix}.${myDb}.items`, 'collection.name.format': 'items',
        'connection.url': `jdbc:mariadb://${myUrl.host}/${myTarget}`,
        'connection.username': decodeURIComponent(myUrl.username), 'connection.password': decodeURIComponent(myUrl.password),
      },
    ], { ...apicurioAvroConverter(bed.registryUrl), 'consumer.group.id': `${prefix}-connect` });
    cleanup.push(() => worker.stop());

    for (const daemon of daemons) await waitStreaming(daemon);
    await waitFor('the initial snapshots', () => (daemons.every((d) => /"msg":"snapshot finished"/.test(d.log())) ? true : undefined), 60_000);

    // The workload, on both sources: inserts, updates of values and to null, key updates, deletes, one transaction mixing them.
    await insertPg(11, 30);
    await pgAdmin.query(`UPDATE ${pgTable} SET qty = qty + 1, note = NULL, at = at + interval '1.000001 second', doc = '{"changed": true}' WHERE id % 4 = 1`);
    await pgAdmin.query(`UPDATE ${pgTable} SET id = id + 1000 WHERE id IN (3, 4, 12)`);
    await pgAdmin.query(`DELETE FROM ${pgTable} WHERE id IN (2, 5, 1004, 20)`);
    await pgAdmin.query(`BEGIN; INSERT INTO ${pgTable} VALUES (${placeholders(12, (c) => `$${c}`)}); UPDATE ${pgTable} SET id = 2000, price = 0.01 WHERE id = 7;
      DELETE FROM ${pgTable} WHERE id = 8; UPDATE ${pgTable} SET flag = NOT flag, ratio = NULL WHERE id > 25; COMMIT`.replace(/\$(\d+)/g, (_, n) => pgLiteral(pgRow(31)[Number(n) - 1])));
    await insertMy(11, 30);
    await my.query(`SET time_zone = '+00:00'; UPDATE ${myDb}.items SET qty = qty + 1, note = NULL, at = at + INTERVAL 1000001 MICROSECOND, at2 = '2001-02-03 04:05:06.000007' WHERE id % 4 = 1`);
    await my.query(`UPDATE ${myDb}.items SET id = id + 1000 WHERE id IN (3, 4, 12)`);
    await my.query(`DELETE FROM ${myDb}.items WHERE id IN (2, 5, 1004, 20)`);
    await my.query(`START TRANSACTION; UPDATE ${myDb}.items SET id = 2000, price = 0.01 WHERE id = 7; DELETE FROM ${myDb}.items WHERE id = 8;
      UPDATE ${myDb}.items SET small = -small, ratio = NULL WHERE id > 25; COMMIT`);

    const pgRows = async (client: pg.Client) => (await client.query<{ row: string }>(`SELECT t::text AS row FROM ${pgTable} t ORDER BY id`)).rows.map((r) => r.row);
    const myRows = async (db: string) => {
      const [rows] = await my.query(`SET time_zone = '+00:00'; SELECT * FROM ${db}.items ORDER BY id`) as unknown as [[unknown, Array<Record<string, unknown>>]];
      return rows[1].map((r) => JSON.stringify(r));
    };
    const pgSource = await pgRows(pgAdmin);
    const mySource = await myRows(myDb);
    // The workload's outcome, as a check that it ran: 31 (MariaDB 30) rows inserted, 5 deleted (one after its key moved).
    expect(pgSource).toHaveLength(26);
    expect(mySource).toHaveLength(25);

    /** Why the sink cannot catch up any more (a task died, the worker exited), or null. */
    const stuck = (): string | null => {
      const log = worker.log();
      const died = /Task threw an uncaught and unrecoverable exception/.exec(log);
      if (died) return `a sink task died: ${log.slice(Math.max(0, died.index - 3000), died.index + 1000)}`;
      return worker.child.exitCode === null ? null : `the Connect worker exited (${worker.child.exitCode}): ${log.slice(-4000)}`;
    };
    const outcome = await waitFor('the sink tables to equal the source tables', async () => {
      const why = stuck();
      if (why) return { why };
      const [pgNow, myNow] = [await pgRows(pgSink), await myRows(myTarget)];
      return JSON.stringify(pgNow) === JSON.stringify(pgSource) && JSON.stringify(myNow) === JSON.stringify(mySource) ? { why: null } : undefined;
    }, 240_000, 1_000).catch(() => ({ why: null }));
    if (outcome.why) throw new Error(outcome.why);
    // Equal, or the difference (which says more than a time-out).
    expect({ pg: await pgRows(pgSink), my: await myRows(myTarget) }).toEqual({ pg: pgSource, my: mySource });
    for (const daemon of daemons) expect(daemon.log()).not.toMatch(/"level":"error"/);
  }, 600_000);
});

/** A value as a PostgreSQL literal, for the one statement that mixes changes in a transaction. */
function pgLiteral(value: unknown): string {
  if (value === null) return 'NULL';
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return `'${String(value).replace(/'/g, "''")}'`;
}
