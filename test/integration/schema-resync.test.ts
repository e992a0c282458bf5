import { afterEach, describe, expect, it } from 'vitest';
import { writeFileSync } from 'node:fs';
import pg from 'pg';
import mysql from 'mysql2/promise';
import { createKafka } from '../../src/kafka/kafka-client.js';
import type { Row } from '../../src/model/change-event.js';
import { testBed } from '../helpers/test-bed.js';
import { uniqueName } from '../helpers/names.js';
import { waitFor } from '../helpers/wait.js';
import { type Daemon, startDaemon, waitStreaming, writeConfig } from '../helpers/daemon.js';
import { readTopicAsTable } from '../helpers/topic-table.js';
import { dropConnectorObjects } from '../helpers/pg-connector-objects.js';
import { CheckpointStore } from '../../src/kafka/checkpoint-store.js';
import { decodeBackfillState } from '../../src/backfill/backfill-state.js';
import { type BackfillDb, expectExact, history, recordTopic, startWorkload, tableVersions, waitForMarker } from './backfill-harness.js';

// DDL that changes existing rows without row events (docs/schema-changes.md), with the default config
// (no table list, no signal table): the daemon detects it and publishes the table's current rows again through
// the online backfill, so the compacted topic — read from the start, last value per key — equals the table,
// every row in the latest shape. With `schemaChanges.resync: warn` it only logs.
const bed = testBed();
const kafka = createKafka({ brokers: bed.kafkaBrokers }, 'test');
const ROWS = 300;

/** Values as text (null stays null), so the topic's canonical values and the database's text compare. */
const asText = (row: Row): Record<string, string | null> =>
  Object.fromEntries(Object.entries(row).map(([k, v]) => [k, v === null || v === undefined ? null : String(v)]));

const logLines = (daemon: Daemon, msg: string): Array<Record<string, unknown>> =>
  daemon.log().split('\n').filter((l) => l.includes(`"msg":"${msg}`)).map((l) => JSON.parse(l) as Record<string, unknown>);

/** The topic folded equals `expected` (id → row as text) exactly: same keys, same columns, same values. */
async function topicEquals(prefix: string, topic: string, expected: Map<string, Record<string, string | null>>): Promise<string | true> {
  const { table } = await readTopicAsTable(kafka, prefix, topic, (key) => String(key.id));
  if (table.size !== expected.size) return `${table.size} keys in the topic, ${expected.size} rows in the table`;
  for (const [id, row] of expected) {
    const found = table.get(id);
    if (!found) return `id ${id} missing`;
    const text = asText(found);
    if (JSON.stringify(text, Object.keys(row).sort()) !== JSON.stringify(row, Object.keys(row).sort()) || Object.keys(text).length !== Object.keys(row).length) {
      return `id ${id}: topic ${JSON.stringify(text)}, table ${JSON.stringify(row)}`;
    }
  }
  return true;
}

async function awaitTopicEquals(prefix: string, topic: string, tableRows: () => Promise<Map<string, Record<string, string | null>>>): Promise<void> {
  let last = '';
  try {
    await waitFor('the topic to equal the table', async () => {
      const result = await topicEquals(prefix, topic, await tableRows());
      if (result === true) return true;
      last = result;
      return undefined;
    }, 240_000, 1_000);
  } catch (err) {
    throw new Error(`${(err as Error).message}; last difference: ${last}`);
  }
}

describe('schema-change resync', () => {
  const cleanup: Array<() => Promise<unknown>> = [];
  afterEach(async () => {
    for (const c of cleanup.splice(0).reverse()) await c().catch(() => {});
  });

  async function postgresDatabase(): Promise<{ url: string; sql: pg.Client }> {
    const admin = new pg.Client({ connectionString: bed.pgUrl });
    await admin.connect();
    const database = uniqueName('rs');
    await admin.query(`CREATE DATABASE ${database}`);
    const url = new URL(bed.pgUrl);
    url.pathname = `/${database}`;
    const sql = new pg.Client({ connectionString: url.toString() });
    await sql.connect();
    cleanup.push(async () => {
      await sql.end();
      await admin.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
      await admin.end();
    });
    return { url: url.toString(), sql };
  }

  async function startPostgres(resync: 'auto' | 'warn'): Promise<{ daemon: Daemon; sql: pg.Client; prefix: string; topic: string }> {
    const { url, sql } = await postgresDatabase();
    await sql.query('CREATE TABLE items (id integer PRIMARY KEY, n integer NOT NULL, note text)');
    await sql.query(`INSERT INTO items SELECT g, g * 137, 'row ' || g FROM generate_series(1, ${ROWS}) g`);
    const name = uniqueName('rspg');
    const prefix = uniqueName('rp');
    const config: Record<string, unknown> = { name, source: { url }, kafka: { brokers: bed.kafkaBrokers }, topicPrefix: prefix, heartbeatIntervalMs: 500 };
    if (resync === 'warn') config.schemaChanges = { resync: 'warn' };
    const daemon = startDaemon(writeConfig(config));
    cleanup.push(async () => {
      daemon.child.kill('SIGKILL');
      await daemon.exited;
      if (process.env.RESYNC_TEST_LOG) writeFileSync(process.env.RESYNC_TEST_LOG, daemon.log());
      const admin = new pg.Client({ connectionString: bed.pgUrl });
      await admin.connect();
      await dropConnectorObjects(admin, name);
      await admin.end();
    });
    await waitStreaming(daemon, 120_000);
    return { daemon, sql, prefix, topic: `${prefix}.public.items` };
  }

  const pgRows = (sql: pg.Client, columns: string) => async () => {
    const { rows } = await sql.query(`SELECT ${columns} FROM items`);
    return new Map(rows.map((r: Row) => [String(r.id), asText(r)]));
  };

  it('PostgreSQL: ADD COLUMN with a volatile default and ALTER COLUMN TYPE … USING are published again; the topic equals the table', async () => {
    const { daemon, sql, prefix, topic } = await startPostgres('auto');
    // Streaming: the snapshot's rows, then changes.
    await sql.query("UPDATE items SET note = 'streamed' WHERE id <= 5");
    await awaitTopicEquals(prefix, topic, pgRows(sql, 'id, n::text AS n, note'));

    await sql.query('ALTER TABLE items ADD COLUMN u uuid DEFAULT gen_random_uuid()');
    // PostgreSQL describes the new shape with the table's next change (docs: detection at the next change).
    await sql.query("UPDATE items SET note = 'after uuid' WHERE id = 1");
    await awaitTopicEquals(prefix, topic, pgRows(sql, 'id, n::text AS n, note, u::text AS u'));

    await sql.query('ALTER TABLE items ALTER COLUMN n TYPE numeric(12,2) USING n / 100.0');
    await sql.query("UPDATE items SET note = 'after type' WHERE id = 2");
    await sql.query(`INSERT INTO items (id, n, note) VALUES (${ROWS + 1}, 1.25, 'new')`);
    await awaitTopicEquals(prefix, topic, pgRows(sql, 'id, n::text AS n, note, u::text AS u'));

    // A STORED generated column: PostgreSQL < 18 does not publish it, so nothing changes in the stream.
    await sql.query('ALTER TABLE items ADD COLUMN twice numeric GENERATED ALWAYS AS (n * 2) STORED');
    await sql.query("UPDATE items SET note = 'after generated' WHERE id = 3");
    await awaitTopicEquals(prefix, topic, pgRows(sql, 'id, n::text AS n, note, u::text AS u'));

    expect(daemon.child.exitCode).toBeNull();
    const resyncs = logLines(daemon, 'schema change rewrote existing rows without row events: publishing');
    expect(resyncs.map((l) => [l.table, l.reason, l.columns])).toEqual([
      ['public.items', 'volatile-default', ['u']],
      ['public.items', 'column-type-changed', ['n']],
    ]);
    // Without a signal table: nothing was created in the source for it.
    expect((await sql.query("SELECT 1 FROM pg_class WHERE relname = 'logtap_signal'")).rowCount).toBe(0);
  }, 420_000);

  it('PostgreSQL: a rewriting DDL followed by no change of the table is found by the catalog poll', async () => {
    const { daemon, sql, prefix, topic } = await startPostgres('auto');
    await awaitTopicEquals(prefix, topic, pgRows(sql, 'id, n::text AS n, note'));
    await sql.query('ALTER TABLE items ALTER COLUMN n TYPE numeric(12,2) USING n / 100.0');
    // No change of the table follows: no Relation message; the poll (at keepalives, every 10 s at most) sees it.
    await awaitTopicEquals(prefix, topic, pgRows(sql, 'id, n::text AS n, note'));
    expect(logLines(daemon, 'schema change rewrote existing rows without row events: publishing').map((l) => [l.table, l.reason, l.columns])).toEqual([
      ['public.items', 'column-type-changed', ['n']],
    ]);
    // The table's next change brings the Relation message of the shape already known: no second pass.
    await sql.query("UPDATE items SET note = 'later' WHERE id = 1");
    await awaitTopicEquals(prefix, topic, pgRows(sql, 'id, n::text AS n, note'));
    expect(logLines(daemon, 'backfill requested')).toHaveLength(1);
  }, 300_000);

  it('PostgreSQL with resync: warn logs the rewrite and publishes nothing extra', async () => {
    const { daemon, sql, prefix, topic } = await startPostgres('warn');
    await awaitTopicEquals(prefix, topic, pgRows(sql, 'id, n::text AS n, note'));
    await sql.query('ALTER TABLE items ADD COLUMN u uuid DEFAULT gen_random_uuid()');
    await sql.query("UPDATE items SET note = 'after uuid' WHERE id = 1");
    await waitFor('the warning', async () => (logLines(daemon, 'schema change rewrote existing rows without row events: the topic keeps').length > 0 ? true : undefined), 120_000, 200);
    const [warning] = logLines(daemon, 'schema change rewrote existing rows without row events: the topic keeps');
    expect([warning!.table, warning!.reason, warning!.columns]).toEqual(['public.items', 'volatile-default', ['u']]);
    // The snapshot's rows and the one update: nothing re-published.
    await waitFor('the update in the topic', async () => ((await readTopicAsTable(kafka, prefix, topic, (k) => String(k.id))).table.get('1')?.note === 'after uuid' ? true : undefined), 60_000, 500);
    const read = await readTopicAsTable(kafka, prefix, topic, (k) => String(k.id));
    expect(read.records).toBe(ROWS + 1);
    expect(read.table.get('2')!.u).toBeUndefined();
    expect(logLines(daemon, 'backfill requested')).toEqual([]);
  }, 300_000);

  it('PostgreSQL: a resync under concurrent writes survives kill -9 mid-pass: exact result, no key goes back', async () => {
    const rows = 20_000;
    const { url, sql } = await postgresDatabase();
    await sql.query('CREATE TABLE items (id bigint PRIMARY KEY, version integer NOT NULL, note text NOT NULL)');
    await sql.query(`INSERT INTO items SELECT g, 0, 'row ' || g FROM generate_series(1, ${rows}) g`);
    const db: BackfillDb = {
      kind: 'postgres', url, table: 'public.items', drop: async () => {},
      async connect() {
        const client = new pg.Client({ connectionString: url });
        await client.connect();
        return {
          async query(text, params = []) {
            let i = 0;
            return (await client.query(text.replace(/\?/g, () => `$${++i}`), params)).rows as Array<Record<string, unknown>>;
          },
          end: () => client.end(),
        };
      },
    };
    const name = uniqueName('rspgk');
    const prefix = uniqueName('rk');
    const topic = `${prefix}.public.items`;
    // Default config but small chunks (signal stays off): many windows, so the kill lands inside the pass.
    const configFile = writeConfig({ name, source: { url }, kafka: { brokers: bed.kafkaBrokers }, topicPrefix: prefix, heartbeatIntervalMs: 300, signal: { chunkRows: 200 } });
    const first = startDaemon(configFile);
    cleanup.push(async () => {
      first.child.kill('SIGKILL');
      await first.exited;
      const admin = new pg.Client({ connectionString: bed.pgUrl });
      await admin.connect();
      await dropConnectorObjects(admin, name);
      await admin.end();
    });
    await waitStreaming(first, 120_000);
    const recorder = await recordTopic(kafka, topic);
    cleanup.push(() => recorder.finish());
    await awaitTopicEquals(prefix, topic, pgRows(sql, 'id, version, note'));
    const workload = startWorkload(db, rows);
    cleanup.push(() => workload.stop());

    await sql.query('ALTER TABLE items ADD COLUMN u uuid DEFAULT gen_random_uuid()');
    const checkpoints = new CheckpointStore(kafka, prefix, name);
    const reached = await waitFor('a checkpoint inside the resync', async () => {
      const state = decodeBackfillState((await checkpoints.load().catch(() => null))?.snapshot ?? null);
      const done = state.queue[0]?.rows ?? 0;
      return done >= rows / 4 ? done : undefined;
    }, 240_000, 100);
    first.child.kill('SIGKILL');
    await first.exited;
    expect(logLines(first, 'backfill of table finished')).toEqual([]);

    const second = startDaemon(configFile);
    cleanup.push(async () => { second.child.kill('SIGKILL'); await second.exited; });
    await waitFor('the resumed resync to finish', async () => (logLines(second, 'backfill of table finished').length > 0 ? true : undefined), 300_000, 500);
    await workload.stop();
    await waitForMarker(db, recorder, kafka, prefix);
    const [resumed] = logLines(second, 'backfill resumes from the checkpoint');
    expect(resumed!.rows).toBeGreaterThanOrEqual(reached);
    expectExact(await history(kafka, prefix, recorder.records), await tableVersions(db));
    await awaitTopicEquals(prefix, topic, pgRows(sql, 'id, version, note, u::text AS u'));
    expect(second.child.exitCode).toBeNull();
  }, 600_000);

  async function startMariadb(resync: 'auto' | 'warn'): Promise<{ daemon: Daemon; sql: mysql.Connection; database: string; prefix: string; topic: string }> {
    const base = new URL(bed.mysqlUrl);
    const sql = await mysql.createConnection({ host: base.hostname, port: Number(base.port), user: decodeURIComponent(base.username), password: decodeURIComponent(base.password), supportBigNumbers: true, bigNumberStrings: true });
    const database = uniqueName('rs');
    await sql.query(`CREATE DATABASE ${database}`);
    cleanup.push(async () => {
      await sql.query(`DROP DATABASE IF EXISTS ${database}`);
      await sql.end();
    });
    await sql.query(`CREATE TABLE ${database}.items (id INT PRIMARY KEY, c INT NOT NULL, note VARCHAR(50))`);
    await sql.query(`INSERT INTO ${database}.items SELECT seq, seq * 7, CONCAT('row ', seq) FROM ${database}.seq_1_to_${ROWS}`);
    const name = uniqueName('rsmy');
    const prefix = uniqueName('rm');
    const config: Record<string, unknown> = { name, source: { url: `${bed.mysqlUrl.replace(/\/[^/]*$/, '')}/${database}` }, kafka: { brokers: bed.kafkaBrokers }, topicPrefix: prefix, heartbeatIntervalMs: 500 };
    if (resync === 'warn') config.schemaChanges = { resync: 'warn' };
    const daemon = startDaemon(writeConfig(config));
    cleanup.push(async () => { daemon.child.kill('SIGKILL'); await daemon.exited; if (process.env.RESYNC_TEST_LOG) writeFileSync(process.env.RESYNC_TEST_LOG, daemon.log()); });
    await waitStreaming(daemon, 120_000);
    return { daemon, sql, database, prefix, topic: `${prefix}.${database}.items` };
  }

  const mariadbRows = (sql: mysql.Connection, database: string, columns: string) => async () => {
    const [rows] = await sql.query(`SELECT ${columns} FROM ${database}.items`);
    return new Map((rows as Row[]).map((r) => [String(r.id), asText(r)]));
  };

  it('MariaDB: ADD COLUMN … DEFAULT CURRENT_TIMESTAMP and MODIFY int → varchar are published again; the topic equals the table', async () => {
    const { daemon, sql, database, prefix, topic } = await startMariadb('auto');
    await sql.query(`UPDATE ${database}.items SET note = 'streamed' WHERE id <= 5`);
    await awaitTopicEquals(prefix, topic, mariadbRows(sql, database, 'id, c, note'));

    await sql.query(`ALTER TABLE ${database}.items ADD COLUMN created timestamp DEFAULT CURRENT_TIMESTAMP`);
    // The topic's timestamp is microseconds since the epoch.
    await awaitTopicEquals(prefix, topic, mariadbRows(sql, database, 'id, c, note, CAST(UNIX_TIMESTAMP(created) * 1000000 AS UNSIGNED) AS created'));

    await sql.query(`ALTER TABLE ${database}.items MODIFY c varchar(20) NOT NULL`);
    await sql.query(`UPDATE ${database}.items SET c = CONCAT('x', c) WHERE id = 3`);
    await awaitTopicEquals(prefix, topic, mariadbRows(sql, database, 'id, c, note, CAST(UNIX_TIMESTAMP(created) * 1000000 AS UNSIGNED) AS created'));

    expect(daemon.child.exitCode).toBeNull();
    const resyncs = logLines(daemon, 'schema change rewrote existing rows without row events: publishing');
    expect(resyncs.map((l) => [l.table, l.reason, l.columns])).toEqual([
      [`${database}.items`, 'volatile-default', ['created']],
      [`${database}.items`, 'column-type-changed', ['c']],
    ]);
    // The watermarks' signal table was created when the first resync needed it, and is never published.
    const [tables] = await sql.query(`SELECT TABLE_NAME AS t FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? AND TABLE_NAME = 'logtap_signal'`, [database]);
    expect(tables).toHaveLength(1);
  }, 420_000);

  it('MariaDB: an added PERSISTENT generated column and CONVERT TO CHARACTER SET are published again', async () => {
    const { daemon, sql, database, prefix, topic } = await startMariadb('auto');
    await awaitTopicEquals(prefix, topic, mariadbRows(sql, database, 'id, c, note'));
    await sql.query(`ALTER TABLE ${database}.items ADD COLUMN twice INT AS (c * 2) PERSISTENT`);
    await awaitTopicEquals(prefix, topic, mariadbRows(sql, database, 'id, c, note, twice'));
    await sql.query(`ALTER TABLE ${database}.items CONVERT TO CHARACTER SET latin1`);
    await awaitTopicEquals(prefix, topic, mariadbRows(sql, database, 'id, c, note, twice'));
    expect(logLines(daemon, 'schema change rewrote existing rows without row events: publishing').map((l) => [l.reason, l.columns])).toEqual([
      ['stored-generated-column', ['twice']],
      ['charset-converted', ['note']],
    ]);
    await waitFor('the second pass to finish', async () => (logLines(daemon, 'backfill of table finished').length >= 2 ? true : undefined), 120_000, 200);
    expect(daemon.child.exitCode).toBeNull();
  }, 300_000);

  it('MariaDB: a resync under concurrent writes survives kill -9 mid-pass: exact result, no key goes back', async () => {
    const rows = 20_000;
    const base = new URL(bed.mysqlUrl);
    const options = { host: base.hostname, port: Number(base.port), user: decodeURIComponent(base.username), password: decodeURIComponent(base.password), supportBigNumbers: true, bigNumberStrings: true };
    const sql = await mysql.createConnection(options);
    const database = uniqueName('rs');
    await sql.query(`CREATE DATABASE ${database}`);
    cleanup.push(async () => {
      await sql.query(`DROP DATABASE IF EXISTS ${database}`);
      await sql.end();
    });
    await sql.query(`CREATE TABLE ${database}.items (id BIGINT PRIMARY KEY, version INT NOT NULL, note VARCHAR(200) NOT NULL)`);
    await sql.query(`INSERT INTO ${database}.items SELECT seq, 0, CONCAT('row ', seq) FROM ${database}.seq_1_to_${rows}`);
    const url = `${bed.mysqlUrl.replace(/\/[^/]*$/, '')}/${database}`;
    const db: BackfillDb = {
      kind: 'mysql', url, table: `${database}.items`, drop: async () => {},
      async connect() {
        const client = await mysql.createConnection(options);
        return {
          async query(text, params = []) {
            const [result] = await client.query(text, params);
            return Array.isArray(result) ? (result as Array<Record<string, unknown>>) : [];
          },
          end: () => client.end(),
        };
      },
    };
    const name = uniqueName('rsmyk');
    const prefix = uniqueName('rk');
    const topic = `${prefix}.${database}.items`;
    const configFile = writeConfig({ name, source: { url }, kafka: { brokers: bed.kafkaBrokers }, topicPrefix: prefix, heartbeatIntervalMs: 300, signal: { chunkRows: 200 } });
    const first = startDaemon(configFile);
    cleanup.push(async () => { first.child.kill('SIGKILL'); await first.exited; });
    await waitStreaming(first, 120_000);
    const recorder = await recordTopic(kafka, topic);
    cleanup.push(() => recorder.finish());
    await awaitTopicEquals(prefix, topic, mariadbRows(sql, database, 'id, version, note'));
    const workload = startWorkload(db, rows);
    cleanup.push(() => workload.stop());

    await sql.query(`ALTER TABLE ${database}.items ADD COLUMN tag char(36) DEFAULT (UUID())`);
    const checkpoints = new CheckpointStore(kafka, prefix, name);
    const reached = await waitFor('a checkpoint inside the resync', async () => {
      const state = decodeBackfillState((await checkpoints.load().catch(() => null))?.snapshot ?? null);
      const done = state.queue[0]?.rows ?? 0;
      return done >= rows / 4 ? done : undefined;
    }, 240_000, 100);
    first.child.kill('SIGKILL');
    await first.exited;
    expect(logLines(first, 'backfill of table finished')).toEqual([]);

    const second = startDaemon(configFile);
    cleanup.push(async () => { second.child.kill('SIGKILL'); await second.exited; });
    await waitFor('the resumed resync to finish', async () => (logLines(second, 'backfill of table finished').length > 0 ? true : undefined), 300_000, 500);
    await workload.stop();
    await waitForMarker(db, recorder, kafka, prefix);
    const [resumed] = logLines(second, 'backfill resumes from the checkpoint');
    expect(resumed!.rows).toBeGreaterThanOrEqual(reached);
    expectExact(await history(kafka, prefix, recorder.records), await tableVersions(db));
    await awaitTopicEquals(prefix, topic, mariadbRows(sql, database, 'id, version, note, tag'));
    expect(second.child.exitCode).toBeNull();
  }, 600_000);

  it('MariaDB with resync: warn logs the rewrite and publishes nothing extra', async () => {
    const { daemon, sql, database, prefix, topic } = await startMariadb('warn');
    await awaitTopicEquals(prefix, topic, mariadbRows(sql, database, 'id, c, note'));
    await sql.query(`ALTER TABLE ${database}.items ADD COLUMN created timestamp DEFAULT CURRENT_TIMESTAMP`);
    await waitFor('the warning', async () => (logLines(daemon, 'schema change rewrote existing rows without row events: the topic keeps').length > 0 ? true : undefined), 120_000, 200);
    const [warning] = logLines(daemon, 'schema change rewrote existing rows without row events: the topic keeps');
    expect([warning!.table, warning!.reason, warning!.columns]).toEqual([`${database}.items`, 'volatile-default', ['created']]);
    await sql.query(`UPDATE ${database}.items SET note = 'after' WHERE id = 1`);
    await waitFor('the update in the topic', async () => ((await readTopicAsTable(kafka, prefix, topic, (k) => String(k.id))).table.get('1')?.note === 'after' ? true : undefined), 60_000, 500);
    const read = await readTopicAsTable(kafka, prefix, topic, (k) => String(k.id));
    expect(read.records).toBe(ROWS + 1);
    expect(logLines(daemon, 'backfill requested')).toEqual([]);
    const [tables] = await sql.query(`SELECT TABLE_NAME AS t FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? AND TABLE_NAME = 'logtap_signal'`, [database]);
    expect(tables).toHaveLength(0);
  }, 300_000);
});
