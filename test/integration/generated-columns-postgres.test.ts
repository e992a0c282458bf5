import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import { createKafka } from '../../src/kafka/kafka-client.js';
import { CheckpointStore } from '../../src/kafka/checkpoint-store.js';
import { testBed } from '../helpers/test-bed.js';
import { pgUrlFor } from '../helpers/test-bed-databases.js';
import { runLogtap } from '../helpers/logtap-cli.js';
import { uniqueName } from '../helpers/names.js';
import { waitPgCheckpointed } from '../helpers/postgres-checkpoint.js';
import { whileStreaming, writeConfig } from '../helpers/daemon.js';
import { readTopicAsTable } from '../helpers/topic-table.js';
import { dropConnectorObjects } from '../helpers/pg-connector-objects.js';

/*
 * PostgreSQL 18 publishes stored generated columns (publish_generated_columns = stored, which logtap sets on its
 * publication): the snapshot and the stream both carry them like any column, and replay rebuilds them as
 * generated columns that compute their values (never written). Before 18 pgoutput cannot publish them at all,
 * so the suite is skipped there (visibly, by its title); the version matrix and CI's PostgreSQL 18 run exercise it.
 */

const bed = testBed();
const serverVersion = await (async () => {
  const client = new pg.Client({ connectionString: bed.pgUrl });
  await client.connect();
  try {
    return (await client.query<{ v: number }>(`SELECT current_setting('server_version_num')::int AS v`)).rows[0]!.v;
  } finally {
    await client.end();
  }
})();
const major = Math.floor(serverVersion / 10000);

describe.skipIf(major < 18)(`stored generated columns on PostgreSQL 18+ (skipped on ${major}: its pgoutput does not publish generated columns)`, () => {
  const sql = new pg.Client({ connectionString: bed.pgUrl });
  const kafka = createKafka({ brokers: bed.kafkaBrokers }, 'test');
  const name = uniqueName('genpg');
  const prefix = uniqueName('genpg');
  const table = uniqueName('gen_items');
  const databases: string[] = [];
  let configFile = '';

  const SOURCE_ROWS = `SELECT id, qty, price::text AS price, total::text AS total, label FROM ${table} ORDER BY id`;

  beforeAll(async () => {
    await sql.connect();
    await sql.query(`CREATE TABLE ${table} (id integer PRIMARY KEY, qty integer NOT NULL, price numeric(10,2),
      total numeric GENERATED ALWAYS AS (price * qty) STORED, label text GENERATED ALWAYS AS ('#' || id || ' x' || qty) STORED)`);
    // Rows before logtap starts: they come through the initial snapshot.
    await sql.query(`INSERT INTO ${table} (id, qty, price) VALUES (1, 2, 1.50), (2, 3, NULL), (3, 1, 9.99)`);
    configFile = writeConfig({ name, source: { url: bed.pgUrl, tables: [`public.${table}`] }, kafka: { brokers: bed.kafkaBrokers }, topicPrefix: prefix, snapshot: { mode: 'initial' } });
    await whileStreaming(configFile, async () => {
      // And changes after it: they come through the stream.
      await sql.query(`INSERT INTO ${table} (id, qty, price) VALUES (4, 5, 2.00), (5, 7, 0.10)`);
      await sql.query(`UPDATE ${table} SET qty = 10 WHERE id = 1`);
      await sql.query(`UPDATE ${table} SET price = 4.25 WHERE id = 2`);
      await sql.query(`DELETE FROM ${table} WHERE id = 3`);
      await waitPgCheckpointed(sql, new CheckpointStore(kafka, prefix, name), 60_000);
    }, { streamingTimeoutMs: 120_000 });
  }, 240_000);

  afterAll(async () => {
    await dropConnectorObjects(sql, name).catch(() => {});
    for (const database of databases) await sql.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`).catch(() => {});
    await sql.query(`DROP TABLE IF EXISTS ${table}`).catch(() => {});
    await sql.end();
  });

  it('logtap publication publishes stored generated columns', async () => {
    const { rows } = await sql.query(`SELECT p.pubgencols FROM pg_catalog.pg_publication p WHERE p.pubname LIKE $1`, [`%${name.replace(/[^a-z0-9_]/gi, '_').toLowerCase()}%`]);
    expect(rows).toEqual([{ pubgencols: 's' }]);
  });

  it('the topic carries the generated values of snapshot and streamed rows, equal to the table', async () => {
    const read = await readTopicAsTable(kafka, prefix, `${prefix}.public.${table}`, (k) => String(k.id));
    expect(read.positions.some((p) => p.startsWith('pgsnap1:'))).toBe(true);
    const topic = [...read.table.values()]
      .map((r) => ({ id: r.id, qty: r.qty, price: r.price === null ? null : String(r.price), total: r.total === null ? null : String(r.total), label: r.label }))
      .sort((a, b) => Number(a.id) - Number(b.id));
    const { rows } = await sql.query(SOURCE_ROWS);
    expect(topic).toEqual(rows);
    expect(rows.map((r: { label: string }) => r.label)).toEqual(['#1 x10', '#2 x3', '#4 x5', '#5 x7']);
  });

  it('replay rebuilds them as generated columns that compute the values (--verify reports equal)', async () => {
    const database = uniqueName('replay_gen');
    await sql.query(`CREATE DATABASE ${database}`);
    databases.push(database);
    const target = pgUrlFor(database);
    const result = await runLogtap(['replay', '--config', configFile, '--target', target, '--table', `public.${table}`, '--verify']);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(new RegExp(`^equal public\\.${table}: source 4 rows `, 'm'));
    const replica = new pg.Client({ connectionString: target });
    await replica.connect();
    try {
      const kinds = await replica.query(`SELECT attname, attgenerated FROM pg_catalog.pg_attribute WHERE attrelid = $1::regclass AND attnum > 0 AND NOT attisdropped ORDER BY attnum`, [table]);
      expect(kinds.rows).toEqual([
        { attname: 'id', attgenerated: '' }, { attname: 'qty', attgenerated: '' }, { attname: 'price', attgenerated: '' },
        { attname: 'total', attgenerated: 's' }, { attname: 'label', attgenerated: 's' },
      ]);
      expect((await replica.query(SOURCE_ROWS)).rows).toEqual((await sql.query(SOURCE_ROWS)).rows);
    } finally {
      await replica.end();
    }
  }, 120_000);
});
